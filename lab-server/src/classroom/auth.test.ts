import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import pino from 'pino';
import { AdminAuth, MAX_SESSIONS, SESSION_TTL_MS } from './auth.ts';
import { SqliteStore } from './store.ts';

/** A pino logger whose lines land in `lines` (parsed). */
function recordingLog() {
  const lines: { msg: string; level: number }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

test('without LAB_ADMIN_TOKEN a token is generated once, logged once, and only its hash is stored', async () => {
  const store = new SqliteStore(':memory:');
  const first = recordingLog();
  const auth = await AdminAuth.open(store, undefined, first.log);
  const printed = first.lines.filter((l) => /instructor login token/.test(l.msg));
  assert.equal(printed.length, 1);
  const token = /token \(shown this once.*?\): (\S+)/.exec(printed[0]!.msg)?.[1];
  assert.ok(token && token.length === 43, printed[0]!.msg);
  assert.equal(await store.adminTokenHash(), sha256(token));
  assert.ok(auth.login(token).ok);

  // The next start finds the hash: same token, nothing printed.
  const second = recordingLog();
  const again = await AdminAuth.open(store, undefined, second.log);
  assert.ok(again.login(token).ok);
  assert.ok(!second.lines.some((l) => l.msg.includes(token)));
  store.close();
});

test('LAB_ADMIN_TOKEN replaces a stored token, and is never logged', async () => {
  const store = new SqliteStore(':memory:');
  await store.setAdminTokenHash(sha256('an-old-generated-token-xxxxxxxxxxxxxxxxxxxx'));
  const { log, lines } = recordingLog();
  const auth = await AdminAuth.open(store, 'correct horse battery staple', log);
  assert.ok(auth.login('correct horse battery staple').ok);
  assert.deepEqual(auth.login('an-old-generated-token-xxxxxxxxxxxxxxxxxxxx'), { ok: false, reason: 'bad-token' });
  assert.equal(await store.adminTokenHash(), sha256('correct horse battery staple'));
  assert.ok(!lines.some((l) => JSON.stringify(l).includes('battery')));
  store.close();
});

test('wrong tokens of any length are refused; the right one opens a session its cookie names', async () => {
  const store = new SqliteStore(':memory:');
  const auth = await AdminAuth.open(store, 'the-instructor-token', recordingLog().log);
  for (const wrong of ['', 'the-instructor-toke', 'the-instructor-token ', 'x'.repeat(10_000), 'THE-INSTRUCTOR-TOKEN']) {
    assert.deepEqual(auth.login(wrong), { ok: false, reason: 'bad-token' }, JSON.stringify(wrong.slice(0, 30)));
  }
  const ok = auth.login('the-instructor-token');
  assert.ok(ok.ok);
  assert.match(ok.cookie, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(auth.session(ok.cookie));
  assert.equal(auth.session('the-instructor-token'), undefined, 'the admin token itself is not a session cookie');
  assert.equal(auth.session(undefined), undefined);
  assert.equal(auth.session('x'.repeat(43)), undefined);
  store.close();
});

test('logout ends the session and tells the listeners; sessions also end after their lifetime', async () => {
  const store = new SqliteStore(':memory:');
  const clock = { now: 1_000_000 };
  const auth = await AdminAuth.open(store, 'the-instructor-token', recordingLog().log, () => clock.now);
  const ended: string[] = [];
  auth.onEnd((id) => ended.push(id));
  const a = auth.login('the-instructor-token');
  const b = auth.login('the-instructor-token');
  assert.ok(a.ok && b.ok);
  const idA = auth.session(a.cookie)!;
  auth.logout(a.cookie);
  assert.equal(auth.session(a.cookie), undefined);
  assert.deepEqual(ended, [idA]);
  assert.ok(auth.session(b.cookie));
  clock.now += SESSION_TTL_MS;
  assert.equal(auth.session(b.cookie), undefined);
  assert.equal(ended.length, 2);
  store.close();
});

test('at most MAX_SESSIONS admin sessions: the oldest goes first', async () => {
  const store = new SqliteStore(':memory:');
  const auth = await AdminAuth.open(store, 'the-instructor-token', recordingLog().log);
  const cookies: string[] = [];
  for (let i = 0; i < MAX_SESSIONS + 3; i++) {
    const r = auth.login('the-instructor-token');
    assert.ok(r.ok);
    cookies.push(r.cookie);
  }
  assert.equal(auth.sessionCount, MAX_SESSIONS);
  assert.equal(auth.session(cookies[0]), undefined);
  assert.equal(auth.session(cookies[2]), undefined);
  assert.ok(auth.session(cookies[3]));
  assert.ok(auth.session(cookies.at(-1)));
  store.close();
});

test('a LOG_LEVEL that hides warnings does not hide the generated token: it goes to stderr', async () => {
  const store = new SqliteStore(':memory:');
  const written: string[] = [];
  const quiet = pino({ level: 'error' }, { write: () => assert.fail('nothing at error level expected') });
  const auth = await AdminAuth.open(store, undefined, quiet, Date.now, { write: (text: string) => written.push(text) });
  const token = /token \(shown this once.*?\): (\S+)/.exec(written.join(''))?.[1];
  assert.ok(token, written.join(''));
  assert.ok(auth.login(token).ok);
  store.close();
});
