import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputQueue, OutputFlow, splitUtf8 } from './flow.ts';

test('output: pause above the high watermark, resume below the low one, once each', () => {
  const signals: string[] = [];
  const f = new OutputFlow((s) => signals.push(s), 100, 20);
  f.written(60);
  f.written(40);
  assert.deepEqual(signals, [], 'at the watermark: not yet');
  f.written(10);
  assert.deepEqual(signals, ['pause']);
  f.written(500);
  assert.deepEqual(signals, ['pause'], 'no repeated pause');
  f.processed(60);
  f.processed(40);
  f.processed(10);
  assert.deepEqual(signals, ['pause'], 'still 500 pending');
  f.processed(480);
  assert.deepEqual(signals, ['pause'], '20 pending is not below the low watermark');
  f.processed(1);
  assert.deepEqual(signals, ['pause', 'resume']);
});

test('output: resume exactly when pending drops under low', () => {
  const signals: string[] = [];
  const f = new OutputFlow((s) => signals.push(s), 100, 20);
  f.written(150);
  f.processed(130);
  assert.deepEqual(signals, ['pause'], '20 pending is not below 20');
  f.processed(1);
  assert.deepEqual(signals, ['pause', 'resume']);
  assert.equal(f.paused, false);
  assert.equal(f.pending, 19);
});

test('output: pending never goes negative; new connection re-pauses if still full', () => {
  const signals: string[] = [];
  const f = new OutputFlow((s) => signals.push(s), 100, 20);
  f.processed(5);
  assert.equal(f.pending, 0);
  f.written(200);
  f.newConnection();
  assert.deepEqual(signals, ['pause', 'pause']);
  f.processed(200);
  assert.deepEqual(signals, ['pause', 'pause', 'resume']);
});

test('splitUtf8 keeps pieces within the limit and characters whole', () => {
  const input = new TextEncoder().encode('가나다라마바사'.repeat(1000) + 'abc😀');
  for (const max of [4, 5, 7, 64, 1000]) {
    const parts = splitUtf8(input, max);
    for (const p of parts) {
      assert.ok(p.byteLength <= max);
      new TextDecoder('utf-8', { fatal: true }).decode(p); // throws on a cut character
    }
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let o = 0;
    for (const p of parts) (joined.set(p, o), (o += p.byteLength));
    assert.deepEqual(joined, input);
  }
  assert.deepEqual(splitUtf8(new Uint8Array(0), 10).length, 1);
  assert.throws(() => splitUtf8(input, 3));
});

function fakeSocket() {
  const sent: Uint8Array[] = [];
  let buffered = 0;
  let open = true;
  return {
    sent,
    sink: { send: (f: Uint8Array) => (sent.push(f), (buffered += f.byteLength)), buffered: () => buffered, ready: () => open },
    flush: () => (buffered = 0),
    setOpen: (v: boolean) => (open = v),
  };
}

test('input: a large paste goes out in frames <= max, waiting while the socket is full', async () => {
  const s = fakeSocket();
  const q = new InputQueue(s.sink, 1000, 3000);
  const big = new Uint8Array(10_000).fill(0x61);
  q.push(big);
  assert.equal(s.sent.length, 3, 'stops once 3000 bytes are buffered');
  assert.ok(s.sent.every((f) => f.byteLength <= 1000));
  s.flush();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(s.sent.length, 6);
  for (let i = 0; i < 5; i++) {
    s.flush();
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.equal(
    s.sent.reduce((n, f) => n + f.byteLength, 0),
    10_000,
    'nothing lost',
  );
  assert.equal(q.size, 0);
});

test('input: typed while disconnected waits and goes out in order after reattach', () => {
  const s = fakeSocket();
  s.setOpen(false);
  const q = new InputQueue(s.sink, 1000);
  q.push(new TextEncoder().encode('ls'));
  q.push(new TextEncoder().encode('\r'));
  assert.equal(s.sent.length, 0);
  s.setOpen(true);
  q.drain();
  assert.equal(new TextDecoder().decode(Buffer.concat(s.sent)), 'ls\r');
});

test('input: the offline queue is bounded', () => {
  const s = fakeSocket();
  s.setOpen(false);
  const q = new InputQueue(s.sink, 1000, 1000, 10);
  assert.equal(q.push(new Uint8Array(8)), true);
  assert.equal(q.push(new Uint8Array(8)), false);
  assert.equal(q.size, 8);
});

test('acks: every N bytes of progress at once, a caught-up ack after a short delay, never backwards', async () => {
  const { OutputAcks } = await import('./flow.ts');
  const sent: number[] = [];
  const a = new OutputAcks((n) => sent.push(n), 100, 20);
  a.reset(1000);
  a.processed(1050, false);
  assert.deepEqual(sent, []);
  a.processed(1100, false);
  assert.deepEqual(sent, [1100], 'a full step: at once');
  a.processed(1120, true);
  a.processed(1150, true);
  assert.deepEqual(sent, [1100], 'caught up: not yet');
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(sent, [1100, 1150], 'one ack for the trickle, with the latest offset');
  a.processed(1150, true);
  a.processed(1120, true);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(sent, [1100, 1150], 'no repeats, no going back');
  a.reset(0);
  a.processed(10, true);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(sent, [1100, 1150, 10], 'a new attach (fresh numbering) starts over');
});
