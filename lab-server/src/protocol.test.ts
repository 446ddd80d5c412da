import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CLOSE_CODES,
  ClientMessage,
  CloseCode,
  Limits,
  ServerMessage,
  clampSize,
  closeCodeInfo,
  encode,
  parseClientMessage,
  parseServerMessage,
  type ClientMessage as ClientMessageT,
  type ServerMessage as ServerMessageT,
  CreateClassRequest,
  HelpRequest,
  JoinRequest,
  nameProblem,
  rosterLimit,
} from './protocol.ts';

const clientExamples: ClientMessageT[] = [
  { type: 'hello', terminal: 'main', cols: 80, rows: 24, resumeFrom: 0 },
  { type: 'resize', cols: 100, rows: 30 },
  { type: 'pause' },
  { type: 'resume' },
  { type: 'ping', id: 7 },
  { type: 'ack', processed: 65536 },
];
const serverExamples: ServerMessageT[] = [
  { type: 'status', phase: 'engine', progress: 0.5 },
  { type: 'attached', sessionExpiresAt: 1, from: 0, lost: 0, freshShell: true },
  { type: 'exit', code: 130 },
  { type: 'error', code: 'bad-message', detail: 'x' },
  { type: 'pong', id: 7 },
  { type: 'notice', kind: 'time-warning', text: '10분 뒤에 실습이 끝납니다', at: 1, endsAt: 600_001 },
];

test('every message type of each union parses back to itself (the known types come from the schemas)', () => {
  assert.deepEqual(
    clientExamples.map((m) => m.type),
    ClientMessage.options.map((o) => o.shape.type.value),
    'one example per client type',
  );
  assert.deepEqual(
    serverExamples.map((m) => m.type),
    ServerMessage.options.map((o) => o.shape.type.value),
    'one example per server type',
  );
  for (const m of clientExamples) assert.deepEqual(parseClientMessage(encode(m)), { ok: true, message: m });
  for (const m of serverExamples) assert.deepEqual(parseServerMessage(encode(m)), { ok: true, message: m });
});

test('unknown types are told apart from malformed known ones (forward compatibility)', () => {
  assert.deepEqual(parseClientMessage('{"type":"future-thing","x":1}'), { ok: false, reason: 'unknown-type', detail: 'future-thing' });
  // A server type is unknown to the server's parser, and the other way round.
  assert.equal(parseClientMessage(encode({ type: 'pong', id: 1 })).ok, false);
  assert.equal((parseServerMessage(encode({ type: 'ping', id: 1 })) as { reason: string }).reason, 'unknown-type');
  for (const text of [
    'not json',
    '[]',
    '{"no":"type"}',
    '{"type":"hello","terminal":"BAD NAME","cols":1,"rows":1,"resumeFrom":0}',
    '{"type":"ack","processed":-1}',
  ]) {
    const parsed = parseClientMessage(text);
    assert.equal(parsed.ok, false, text);
    assert.equal((parsed as { reason: string }).reason, 'invalid', text);
  }
});

test('close codes: one table, unique codes, CloseCode derived from it, every code told what the page does', () => {
  const entries = Object.entries(CLOSE_CODES);
  assert.equal(new Set(entries.map(([, e]) => e.code)).size, entries.length, 'codes are unique');
  for (const [name, e] of entries) {
    assert.equal(CloseCode[name as keyof typeof CloseCode], e.code);
    assert.equal(closeCodeInfo(e.code), e);
    assert.ok(e.meaning.length > 0);
    if (e.page === 'retry' || e.page === 'wait') assert.ok(e.reason.length > 0, name);
    assert.ok(e.code === 1000 || e.code === 1009 || (e.code >= 4000 && e.code < 5000), `${name}: application codes are 4000-4999`);
  }
  assert.equal(closeCodeInfo(1006), undefined, 'a code the server never sends has no entry');
  assert.equal(CloseCode.Replaced, 4009);
});

test('terminal sizes are clamped into the limits, fractions floored', () => {
  assert.deepEqual(clampSize(1, 1), { cols: Limits.minCols, rows: Limits.minRows });
  assert.deepEqual(clampSize(10_000, 10_000), { cols: Limits.maxCols, rows: Limits.maxRows });
  assert.deepEqual(clampSize(80.9, 24.2), { cols: 80, rows: 24 });
});

test('class mode: display names are trimmed; empty, long or control characters are bad-name, markup is name-markup', () => {
  assert.equal(nameProblem('  김철수  '), undefined);
  assert.equal(nameProblem('가'.repeat(40)), undefined);
  assert.equal(nameProblem('😀'.repeat(40)), undefined, 'characters, not UTF-16 units');
  for (const bad of ['', '   ', '가'.repeat(41), 'a\u0000b', 'a\nb', 'a\u202eb', 42, undefined])
    assert.equal(nameProblem(bad), 'bad-name', JSON.stringify(bad));
  for (const markup of ['<b>', 'a>b', '<img src=x onerror=alert(1)>']) assert.equal(nameProblem(markup), 'name-markup');
});

test('class mode: join codes are normalised, bodies are strict, a class has a duration or an end, help text is bounded', () => {
  assert.equal(JoinRequest.parse({ code: ' abc-234 ', name: 'x' }).code, 'ABC234');
  assert.equal(JoinRequest.safeParse({ code: 'ABC234', name: 'x', classId: 'other' }).success, false);
  assert.equal(CreateClassRequest.safeParse({ name: '반', seats: 3, durationMinutes: 60 }).success, true);
  assert.equal(CreateClassRequest.safeParse({ name: '반', seats: 3 }).success, false);
  assert.equal(CreateClassRequest.safeParse({ name: '반', seats: 3, durationMinutes: 60, endsAt: 1 }).success, false);
  assert.equal(HelpRequest.parse({ text: '  막혔어요 ' }).text, '막혔어요');
  assert.equal(HelpRequest.safeParse({ text: '가'.repeat(201) }).success, false);
  assert.equal(rosterLimit(3), 6);
});
