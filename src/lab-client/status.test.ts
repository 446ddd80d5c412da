import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionState, RetryReason, StopReason } from './connection.ts';
import { statusFor } from './status.ts';

const hangul = /[가-힣]/;

test('every connection state has a Korean status line', () => {
  const retry: RetryReason[] = ['unreachable', 'network', 'over-capacity', 'rate-limited', 'shutting-down', 'internal'];
  const stop: StopReason[] = [
    'sandbox-failed',
    'session-expired',
    'forbidden-origin',
    'replaced',
    'idle',
    'cookies-blocked',
    'protocol',
    'ended-by-instructor',
    'class-only',
    'class-ended',
  ];
  const states: ConnectionState[] = [
    { kind: 'connecting', step: 'session' },
    { kind: 'connecting', step: 'socket' },
    ...(['queued', 'creating', 'starting', 'engine', 'shell', 'ready'] as const).map((phase) => ({ kind: 'booting' as const, phase, progress: 0.5 })),
    { kind: 'queued', position: 2, etaSeconds: 90 },
    { kind: 'connected' },
    { kind: 'offline' },
    { kind: 'exited', code: 0 },
    ...retry.map((reason) => ({ kind: 'retrying' as const, reason, attempt: 1, retryAt: 5_000 })),
    ...stop.map((reason) => ({ kind: 'stopped' as const, reason })),
  ];
  for (const state of states) {
    const s = statusFor(state, 0);
    assert.match(s.text, hangul, JSON.stringify(state));
  }
});

test('errors say what the reader can do', () => {
  assert.equal(statusFor({ kind: 'stopped', reason: 'session-expired' }).action, 'new-sandbox');
  assert.equal(statusFor({ kind: 'stopped', reason: 'sandbox-failed' }).action, 'new-sandbox');
  assert.equal(statusFor({ kind: 'stopped', reason: 'replaced' }).action, 'retry');
  const unreachable = statusFor({ kind: 'retrying', reason: 'unreachable', attempt: 3, retryAt: 4_200 }, 0);
  assert.equal(unreachable.tone, 'error');
  assert.equal(unreachable.action, 'retry');
  assert.match(unreachable.text, /5초 후 자동으로 다시 시도/);
  const full = statusFor({ kind: 'retrying', reason: 'over-capacity', attempt: 1, retryAt: 30_000 }, 0);
  assert.match(full.text, /가득/);
  assert.match(full.text, /30초/);
});

test('booting shows the phase and its progress', () => {
  const s = statusFor({ kind: 'booting', phase: 'engine', progress: 0.6 });
  assert.equal(s.tone, 'busy');
  assert.equal(s.progress, 0.6);
  assert.match(s.text, /Docker 엔진/);
  assert.deepEqual(statusFor({ kind: 'connected' }), { tone: 'ok', text: '연결됨' });
});

test('a queued learner sees the place and the wait in whole minutes (at least 1)', () => {
  assert.match(statusFor({ kind: 'queued', position: 4, etaSeconds: 90 }).text, /^대기 순번 4번 · 약 2분/);
  assert.match(statusFor({ kind: 'queued', position: 1, etaSeconds: 0 }).text, /^대기 순번 1번 · 약 1분/);
  assert.equal(statusFor({ kind: 'queued', position: 1, etaSeconds: 0 }).tone, 'busy');
});
