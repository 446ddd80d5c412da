import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode, type ErrorCode } from '../../lab-server/src/protocol.ts';
import { decideClose, decideSessionFailure, retriesSlowly, type CloseDecision, type SocketClose } from './close-policy.ts';

const close = (code: number, more: Partial<SocketClose> = {}): SocketClose => ({
  code,
  opened: true,
  serverError: null,
  online: true,
  authFailures: 0,
  ...more,
});

test('which closes retry by themselves, which ask for a session, and which wait for the reader', () => {
  const table: [string, SocketClose, CloseDecision][] = [
    ['4001 no cookie: new session at once', close(CloseCode.Unauthorized, { authFailures: 1 }), { action: 'new-session' }],
    ['4004 session gone (server restart): new session', close(CloseCode.NoSuchSession, { authFailures: 2 }), { action: 'new-session' }],
    [
      'a third 4001 in a row: cookies do not stick',
      close(CloseCode.Unauthorized, { authFailures: 3 }),
      { action: 'stop', reason: 'cookies-blocked', newSessionNext: true },
    ],
    ['4003 forbidden origin', close(CloseCode.ForbiddenOrigin), { action: 'stop', reason: 'forbidden-origin' }],
    ['4009 another tab took the terminal', close(CloseCode.Replaced), { action: 'stop', reason: 'replaced' }],
    ['4010 idle', close(CloseCode.Idle), { action: 'stop', reason: 'idle' }],
    ['4011 expired', close(CloseCode.Expired), { action: 'stop', reason: 'session-expired', newSessionNext: true }],
    ['4013 sandbox failed', close(CloseCode.SandboxFailed), { action: 'stop', reason: 'sandbox-failed' }],
    ['4012 full: retry (slowly)', close(CloseCode.OverCapacity), { action: 'retry', reason: 'over-capacity' }],
    ['4008 rate-limited: retry (slowly)', close(CloseCode.RateLimited), { action: 'retry', reason: 'rate-limited' }],
    ['4014 shutting down: retry', close(CloseCode.ShuttingDown), { action: 'retry', reason: 'shutting-down' }],
    ['4015 ended by the instructor: stop', close(CloseCode.EndedByInstructor), { action: 'stop', reason: 'ended-by-instructor' }],
    ['4005 protocol error: retry', close(CloseCode.ProtocolError), { action: 'retry', reason: 'internal' }],
    ['1006 after the server said over-capacity', close(1006, { serverError: 'over-capacity' }), { action: 'retry', reason: 'over-capacity' }],
    ['1006 after the server said sandbox-failed', close(1006, { serverError: 'sandbox-failed' }), { action: 'stop', reason: 'sandbox-failed' }],
    ['1006 after the server said session-expired', close(1006, { serverError: 'session-expired' }), { action: 'stop', reason: 'session-expired' }],
    ['1006 after an error with no rule of its own', close(1006, { serverError: 'internal' as ErrorCode }), { action: 'retry', reason: 'network' }],
    ['1006 while the browser is offline', close(1006, { online: false }), { action: 'offline' }],
    ['1006 after the socket opened: a network drop', close(1006), { action: 'retry', reason: 'network' }],
    ['1006 before it opened: no lab there', close(1006, { opened: false }), { action: 'retry', reason: 'unreachable' }],
    ['4000 (a simulated drop)', close(4000), { action: 'retry', reason: 'network' }],
  ];
  for (const [name, input, expected] of table) assert.deepEqual(decideClose(input), expected, name);
});

test('a failed session request: 403 stops, full and rate-limited wait, no lab behind the address is unreachable', () => {
  const table: [number, string | null, ReturnType<typeof decideSessionFailure>][] = [
    [403, 'forbidden-origin', 'forbidden-origin'],
    [403, null, 'forbidden-origin'],
    [403, 'class-only', 'class-only'],
    [410, 'class-ended', 'class-ended'],
    [503, 'shutting-down', 'shutting-down'],
    [503, 'over-capacity', 'over-capacity'],
    [503, null, 'over-capacity'],
    [429, null, 'rate-limited'],
    [400, 'rate-limited', 'rate-limited'],
    [404, null, 'unreachable'],
    [405, null, 'unreachable'],
    [501, null, 'unreachable'],
    [502, null, 'unreachable'],
    [504, null, 'unreachable'],
    [500, 'internal', 'internal'],
    [500, 'a-code-newer-than-this-page', 'internal'],
  ];
  for (const [status, error, expected] of table) assert.equal(decideSessionFailure(status, error), expected, `${status} ${error}`);
});

test('only a full or rate-limiting server is retried with the slow backoff', () => {
  assert.deepEqual((['unreachable', 'network', 'over-capacity', 'rate-limited', 'shutting-down', 'internal'] as const).filter(retriesSlowly), [
    'over-capacity',
    'rate-limited',
  ]);
});
