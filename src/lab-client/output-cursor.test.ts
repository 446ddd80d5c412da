import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputCursor } from './output-cursor.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test('first attach after a page load resumes from 0 and counts bytes', () => {
  const c = new OutputCursor();
  assert.equal(c.resumeFrom, 0);
  assert.deepEqual(c.attached(0, true), { lost: 0 });
  assert.equal(text(c.accept(bytes('$ '))), '$ ');
  assert.equal(text(c.accept(bytes('echo hi\r\n'))), 'echo hi\r\n');
  assert.equal(c.resumeFrom, 11);
});

test('after a reload the server replays its buffer from a later offset: all shown once', () => {
  const c = new OutputCursor();
  // the buffer no longer has bytes 0..999; the page is new, so that is not "lost" to it
  c.attached(1000, false);
  assert.equal(text(c.accept(bytes('abc'))), 'abc');
  assert.equal(c.resumeFrom, 1003);
});

test('reconnect with resumeFrom: server sends exactly what is missing', () => {
  const c = new OutputCursor();
  c.attached(0, true);
  c.accept(bytes('hello '));
  assert.equal(c.resumeFrom, 6);
  assert.deepEqual(c.attached(6, false), { lost: 0 });
  assert.equal(text(c.accept(bytes('world'))), 'world');
  assert.equal(c.received, 11);
});

test('reconnect where the server resends an overlap: overlap dropped, no duplicates', () => {
  const c = new OutputCursor();
  c.attached(0, true);
  c.accept(bytes('0123456789'));
  c.attached(4, false);
  assert.equal(text(c.accept(bytes('456'))), '', 'entirely seen');
  assert.equal(text(c.accept(bytes('789AB'))), 'AB', 'partly seen');
  assert.equal(text(c.accept(bytes('CD'))), 'CD');
  assert.equal(c.received, 14);
});

test('reconnect after the buffer moved on: the gap is reported as lost', () => {
  const c = new OutputCursor();
  c.attached(0, true);
  c.accept(bytes('abc'));
  assert.deepEqual(c.attached(50, false), { lost: 47 });
  assert.equal(text(c.accept(bytes('xyz'))), 'xyz');
  assert.equal(c.resumeFrom, 53);
});

test('a fresh shell restarts the numbering', () => {
  const c = new OutputCursor();
  c.attached(0, true);
  c.accept(bytes('old output'));
  assert.deepEqual(c.attached(0, true), { lost: 0 });
  assert.equal(text(c.accept(bytes('$ '))), '$ ');
  assert.equal(c.resumeFrom, 2);
});

test('frames before any attached are taken as contiguous', () => {
  const c = new OutputCursor();
  assert.equal(text(c.accept(bytes('ab'))), 'ab');
  assert.equal(c.resumeFrom, 2);
});
