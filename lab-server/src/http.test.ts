import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readCookie, tossedCookies } from './http.ts';

test('readCookie finds a cookie among others, by its exact name', () => {
  assert.equal(readCookie('a=1; lab_session=tok; lab_sessionx=no', 'lab_session'), 'tok');
  assert.equal(readCookie('lab_session=', 'lab_session'), '');
  assert.equal(readCookie('other=1', 'lab_session'), undefined);
  assert.equal(readCookie(undefined, 'lab_session'), undefined);
});

test('a cookie sent twice (one tossed by another page of the host) reads as absent, whichever comes first', () => {
  assert.equal(readCookie('lab_session=x; lab_session=real', 'lab_session'), undefined);
  assert.equal(readCookie('lab_session=real; a=1; lab_session=real', 'lab_session'), undefined);
  assert.equal(readCookie('lab_session=; lab_session=real', 'lab_session'), undefined);
  assert.equal(readCookie('lab_session=x; lab_session=real; lab_learner=l', 'lab_learner'), 'l');
});

test('tossedCookies names the lab_ cookies sent more than once, and only those', () => {
  assert.deepEqual(tossedCookies('lab_session=x; app=1; app=2; lab_session=y; lab_session=z; lab_learner=l'), ['lab_session']);
  assert.deepEqual(tossedCookies('lab_session=x; lab_preview_owner=o'), []);
  assert.deepEqual(tossedCookies(undefined), []);
});
