import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setCookieHeader } from './cookies.ts';

test('a cookie is always HttpOnly, with the path, SameSite and lifetime asked for', () => {
  assert.equal(
    setCookieHeader('lab_session', 'abc', { path: '/lab', sameSite: 'Lax', secure: false, maxAgeSeconds: 60 }),
    'lab_session=abc; Path=/lab; HttpOnly; SameSite=Lax; Max-Age=60',
  );
});

test('Secure only when asked; no Max-Age makes a browser-session cookie; 0 deletes', () => {
  assert.equal(setCookieHeader('a', 'b', { path: '/', sameSite: 'Strict', secure: true }), 'a=b; Path=/; HttpOnly; SameSite=Strict; Secure');
  assert.match(setCookieHeader('a', '', { path: '/', sameSite: 'Lax', secure: false, maxAgeSeconds: 0 }), /Max-Age=0/);
});
