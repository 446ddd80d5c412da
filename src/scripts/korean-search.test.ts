import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeKoreanQuery, stripKoreanWord } from './korean-search.ts';

test('particles are stripped from nouns', () => {
  assert.equal(stripKoreanWord('컨테이너를'), '컨테이너');
  assert.equal(stripKoreanWord('볼륨으로'), '볼륨');
  assert.equal(stripKoreanWord('네트워크에서는'), '네트워크');
  assert.equal(stripKoreanWord('이미지의'), '이미지');
  assert.equal(stripKoreanWord('Docker를'), 'Docker');
});

test('verbal endings are stripped back to the noun', () => {
  assert.equal(stripKoreanWord('재시작하려면'), '재시작');
  assert.equal(stripKoreanWord('삭제하는'), '삭제');
  assert.equal(stripKoreanWord('격리된'), '격리');
  assert.equal(stripKoreanWord('실행했습니다'), '실행');
});

test('short words and plain stems stay whole', () => {
  for (const word of ['정의', '경로', '차이', '하나', '컨테이너', '재시작', '볼륨', 'docker', '--rm', 'PID']) {
    assert.equal(stripKoreanWord(word), word);
  }
});

test('the stem is always a prefix of the typed word (stripping never loses a match)', () => {
  for (const word of ['컨테이너를', '볼륨으로', '재시작하려면', '로그는', '포트로', '프로세스가']) {
    assert.ok(word.startsWith(stripKoreanWord(word)));
  }
});

test('whole queries: every word, spacing normalised', () => {
  assert.equal(normalizeKoreanQuery('  컨테이너를   재시작하려면 '), '컨테이너 재시작');
  assert.equal(normalizeKoreanQuery('docker run 옵션을'), 'docker run 옵션');
  assert.equal(normalizeKoreanQuery(''), '');
});
