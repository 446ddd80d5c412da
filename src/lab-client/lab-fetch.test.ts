import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode, refusalText, requestJson, type RefusalTexts } from './lab-fetch.ts';

function recording(status: number, body: string | null) {
  const seen: { url: string; init: RequestInit }[] = [];
  const fetchImpl: typeof fetch = async (url, init) => {
    seen.push({ url: String(url), init: init! });
    return new Response(body, { status });
  };
  return { seen, fetchImpl };
}

test('a JSON body is POSTed as JSON with the cookies; no body is a GET asking for JSON', async () => {
  const post = recording(200, '{"a":1}');
  assert.deepEqual(await requestJson('http://lab/x', { json: { port: 8080 } }, post.fetchImpl), {
    status: 200,
    ok: true,
    body: { a: 1 },
    code: null,
  });
  const init = post.seen[0]!.init;
  assert.equal(init.method, 'POST');
  assert.equal(init.credentials, 'include');
  assert.equal(init.body, '{"port":8080}');
  assert.deepEqual(init.headers, { accept: 'application/json', 'content-type': 'application/json' });

  const get = recording(200, '[]');
  await requestJson('http://lab/y', {}, get.fetchImpl);
  assert.equal(get.seen[0]!.init.method, 'GET');
  assert.equal(get.seen[0]!.init.body, undefined);
  assert.deepEqual(get.seen[0]!.init.headers, { accept: 'application/json' });
});

test("a refusal's code is read as a plain string, also one newer than this page; a proxy's HTML page has none", async () => {
  const known = await requestJson('u', {}, recording(409, '{"error":"sandbox-not-ready","detail":""}').fetchImpl);
  assert.deepEqual(known, { status: 409, ok: false, body: { error: 'sandbox-not-ready', detail: '' }, code: 'sandbox-not-ready' });
  assert.equal((await requestJson('u', {}, recording(418, '{"error":"teapot-2030"}').fetchImpl))!.code, 'teapot-2030');
  assert.deepEqual(await requestJson('u', {}, recording(502, '<html>bad gateway</html>').fetchImpl), {
    status: 502,
    ok: false,
    body: null,
    code: null,
  });
  assert.deepEqual(await requestJson('u', { method: 'POST' }, recording(204, null).fetchImpl), { status: 204, ok: true, body: null, code: null });
  assert.equal(errorCode({ error: 7 }), null);
  assert.equal(errorCode(null), null);
});

test('an unreachable server is null, not an exception', async () => {
  const down: typeof fetch = async () => {
    throw new TypeError('Failed to fetch');
  };
  assert.equal(await requestJson('u', { json: {} }, down), null);
});

test('refusal text: the code first, then the status, then the fallback; prototype names are not codes', () => {
  const texts: RefusalTexts = { byCode: { busy: '바쁨' }, byStatus: { 429: '너무 잦음', 0: '연결 안 됨' }, fallback: (s) => `실패 ${s}` };
  assert.equal(refusalText(429, 'busy', texts), '바쁨');
  assert.equal(refusalText(429, 'newer-code', texts), '너무 잦음');
  assert.equal(refusalText(0, null, texts), '연결 안 됨');
  assert.equal(refusalText(500, 'constructor', texts), '실패 500');
  assert.equal(refusalText(500, 'toString', texts), '실패 500');
});
