import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RingBuffer } from './ring-buffer.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const s = (buf: Buffer) => buf.toString('latin1');

test('empty buffer replays nothing from 0', () => {
  const r = new RingBuffer(8);
  assert.deepEqual(r.readFrom(0), { from: 0, lost: 0, bytes: Buffer.alloc(0) });
  assert.equal(r.start, 0);
  assert.equal(r.end, 0);
});

test('replay from any offset inside the buffer returns exactly the missing bytes', () => {
  const r = new RingBuffer(16);
  r.append(b('hello '));
  r.append(b('world'));
  assert.equal(r.end, 11);
  for (let k = 0; k <= 11; k++) {
    const got = r.readFrom(k);
    assert.equal(got.from, k);
    assert.equal(got.lost, 0);
    assert.equal(s(got.bytes), 'hello world'.slice(k));
  }
});

test('wrap-around keeps the newest bytes and accounts lost ones', () => {
  const r = new RingBuffer(8);
  r.append(b('abcdef'));
  r.append(b('ghijk')); // total 11, holds "defghijk"
  assert.equal(r.start, 3);
  assert.equal(r.end, 11);
  const all = r.readFrom(0);
  assert.equal(all.from, 3);
  assert.equal(all.lost, 3);
  assert.equal(s(all.bytes), 'defghijk');
  const tail = r.readFrom(9);
  assert.deepEqual({ from: tail.from, lost: tail.lost, text: s(tail.bytes) }, { from: 9, lost: 0, text: 'jk' });
});

test('a chunk larger than the capacity keeps only its tail', () => {
  const r = new RingBuffer(4);
  r.append(b('xy'));
  r.append(b('0123456789'));
  assert.equal(r.end, 12);
  const got = r.readFrom(0);
  assert.deepEqual({ from: got.from, lost: got.lost, text: s(got.bytes) }, { from: 8, lost: 8, text: '6789' });
});

test('an offset past the end replays nothing and starts at the end', () => {
  const r = new RingBuffer(8);
  r.append(b('abc'));
  const got = r.readFrom(100);
  assert.deepEqual({ from: got.from, lost: got.lost, len: got.bytes.length }, { from: 3, lost: 0, len: 0 });
});

test('replay plus live bytes equals the whole stream exactly once (randomized)', () => {
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (let round = 0; round < 200; round++) {
    const cap = 1 + rand(64);
    const r = new RingBuffer(cap);
    let stream = '';
    const chunks = 1 + rand(20);
    for (let i = 0; i < chunks; i++) {
      const len = rand(3 * cap);
      const chunk = Array.from({ length: len }, () => String.fromCharCode(97 + rand(26))).join('');
      r.append(b(chunk));
      stream += chunk;
    }
    const seen = rand(stream.length + 1);
    const got = r.readFrom(seen);
    // What the page had + lost gap + replay = the stream's length, and the replay is the stream's tail.
    assert.equal(got.from, seen + got.lost);
    assert.equal(s(got.bytes), stream.slice(got.from));
    assert.ok(got.bytes.length <= cap);
  }
});
