import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClassMembership, besideSession, progressResult } from './learner.ts';

test('an outcome is reported as ✓ / 예상대로 실패 / ✗, and a run without an exit code not at all', () => {
  assert.equal(progressResult({ kind: 'pass' }), 'ok');
  assert.equal(progressResult({ kind: 'stopped', byPage: true }), 'ok');
  assert.equal(progressResult({ kind: 'expected-failure', exit: 1 }), 'expected-fail');
  assert.equal(progressResult({ kind: 'unexpected', exit: 2, expected: 0 }), 'fail');
  assert.equal(progressResult({ kind: 'no-exit' }), null);
});

test('class routes sit beside the session endpoint, keeping a PUBLIC_LAB_URL prefix', () => {
  assert.equal(besideSession('http://localhost:4321/lab/session', '/lab/help'), 'http://localhost:4321/lab/help');
  assert.equal(besideSession('https://lab.example.org/prefix/lab/session', '/join/api/me'), 'https://lab.example.org/prefix/join/api/me');
});

/** A fake fetch answering GET me with `meStatus` and recording every request. */
function fakeFetch(meStatus: number) {
  const requests: { url: string; method: string; body?: string }[] = [];
  const impl = (async (url: string, init: RequestInit = {}) => {
    requests.push({ url, method: init.method ?? 'GET', body: init.body as string | undefined });
    if (url.endsWith('/join/api/me')) {
      const body =
        meStatus === 200
          ? { learner: { id: 'l1', name: '김', endsAt: 2 }, class: { id: 'c1', name: '수업', endsAt: 2, lessons: [] } }
          : { error: 'not-joined', detail: 'no learner cookie' };
      return new Response(JSON.stringify(body), { status: meStatus, headers: { 'content-type': 'application/json' } });
    }
    if (url.endsWith('/lab/help')) return new Response(JSON.stringify({ error: 'rate-limited', detail: 'slow down' }), { status: 429 });
    return new Response(null, { status: 204 });
  }) as typeof fetch;
  return { impl, requests };
}

test('a class member reports progress; an anonymous reader sends nothing', async () => {
  const member = fakeFetch(200);
  const m = new ClassMembership('http://h/lab/session', member.impl);
  assert.equal((await m.checked)?.learner.id, 'l1');
  m.report('lessons/docker-intro', '0123456789ab', 'expected-fail');
  await new Promise((r) => setTimeout(r, 0));
  const sent = member.requests.find((r) => r.url === 'http://h/lab/progress');
  assert.deepEqual(JSON.parse(sent!.body!), { lesson: 'lessons/docker-intro', snippet: '0123456789ab', result: 'expected-fail' });
  assert.equal(sent!.method, 'POST');

  const anonymous = fakeFetch(401);
  const a = new ClassMembership('http://h/lab/session', anonymous.impl);
  assert.equal(await a.checked, null);
  a.report('lessons/docker-intro', '0123456789ab', 'ok');
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(
    anonymous.requests.map((r) => r.url),
    ['http://h/join/api/me'],
  );
});

test('a refused help request comes back as the Korean text for its code', async () => {
  const m = new ClassMembership('http://h/lab/session', fakeFetch(200).impl);
  const r = await m.help('  docker ps가 안 돼요  ');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : '', /요청이 너무 많습니다/);
});
