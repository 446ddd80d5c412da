import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countDone, progressKey, readProgress, recordPass } from './progress.ts';

class MemoryStore {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

test('records passed snippet ids once per lesson', () => {
  const s = new MemoryStore();
  assert.deepEqual(readProgress(s, 'intro'), []);
  recordPass(s, 'intro', 'aaa');
  recordPass(s, 'intro', 'bbb');
  recordPass(s, 'intro', 'aaa');
  recordPass(s, 'other', 'ccc');
  assert.equal(s.getItem(progressKey('intro')), '["aaa","bbb"]');
  assert.deepEqual(readProgress(s, 'other'), ['ccc']);
});

test('a corrupt entry reads as empty and is repaired by the next pass', () => {
  const s = new MemoryStore();
  s.setItem('lab-progress:x', '{not json');
  assert.deepEqual(readProgress(s, 'x'), []);
  s.setItem('lab-progress:x', '{"a":1}');
  assert.deepEqual(readProgress(s, 'x'), []);
  s.setItem('lab-progress:x', '["a",3,null,"b"]');
  assert.deepEqual(readProgress(s, 'x'), ['a', 'b']);
  recordPass(s, 'x', 'c');
  assert.deepEqual(readProgress(s, 'x'), ['a', 'b', 'c']);
});

test('storage that throws does not break recording', () => {
  const s = {
    getItem: () => null,
    setItem: () => {
      throw new Error('QuotaExceeded');
    },
  };
  assert.deepEqual(recordPass(s, 'l', 'id'), ['id']);
});

test('done count only counts ids still on the page, duplicates once', () => {
  assert.equal(countDone(['a', 'b', 'gone'], ['a', 'b', 'c', 'a']), 2);
  assert.equal(countDone([], ['a']), 0);
});
