import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpErrorText, requestCheck } from './challenge.ts';
import { ko } from './messages.ko.ts';

const answer =
  (status: number, body: unknown): typeof fetch =>
  async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

test('the request: POST with credentials, JSON body holding only the id', async () => {
  let seen: { url: string; init: RequestInit } | undefined;
  const fetchImpl: typeof fetch = async (url, init) => {
    seen = { url: String(url), init: init! };
    return new Response(JSON.stringify({ challenge: 'zombie', passed: true, message: '✓ 좋아요', exitCode: 0 }), { status: 200 });
  };
  assert.deepEqual(await requestCheck('http://x/lab/check', 'zombie', fetchImpl), { kind: 'passed', message: '✓ 좋아요' });
  assert.equal(seen!.url, 'http://x/lab/check');
  assert.equal(seen!.init.method, 'POST');
  assert.equal(seen!.init.credentials, 'include');
  assert.equal(seen!.init.body, JSON.stringify({ challenge: 'zombie' }));
});

test("a failed check shows the check's own message; silence and a time-out get ours", async () => {
  const failed = (message: string, exitCode: number | null) => answer(200, { challenge: 'a', passed: false, message, exitCode });
  assert.deepEqual(await requestCheck('u', 'a', failed('web이 아직 실행 중입니다.\n', 1)), { kind: 'failed', message: 'web이 아직 실행 중입니다.' });
  assert.deepEqual(await requestCheck('u', 'a', failed('', 1)), { kind: 'failed', message: ko.challenge.noMessage });
  assert.deepEqual(await requestCheck('u', 'a', failed('', null)), { kind: 'failed', message: ko.challenge.timedOut });
});

test('HTTP errors in Korean: by error code, else by status; unreachable and garbage too', async () => {
  const table: [number, unknown, string][] = [
    [404, { error: 'unknown-challenge', detail: '' }, ko.challenge.unknown],
    [409, { error: 'sandbox-not-ready', detail: '' }, ko.challenge.notReady],
    [429, { error: 'check-running', detail: '' }, ko.challenge.busy],
    [429, { error: 'rate-limited', detail: '' }, ko.error.rateLimited],
    [401, { error: 'no-session', detail: '' }, ko.challenge.noSession],
    [404, { error: 'session-expired', detail: '' }, ko.challenge.noSession],
    [403, { error: 'forbidden-origin', detail: '' }, ko.error.forbiddenOrigin],
    [401, '<html>proxy</html>', ko.challenge.noSession],
    [502, '<html>bad gateway</html>', ko.challenge.failedRequest(502)],
    [200, { not: 'a verdict' }, ko.challenge.failedRequest(200)],
  ];
  for (const [status, body, text] of table) {
    assert.deepEqual(await requestCheck('u', 'a', answer(status, body)), { kind: 'error', message: text }, `${status} ${JSON.stringify(body)}`);
  }
  const down: typeof fetch = async () => {
    throw new TypeError('Failed to fetch');
  };
  assert.deepEqual(await requestCheck('u', 'a', down), { kind: 'error', message: ko.challenge.unreachable });
  assert.equal(httpErrorText(418, 'something-newer'), ko.challenge.failedRequest(418));
  assert.equal(httpErrorText(400, 'constructor'), ko.challenge.failedRequest(400));
});
