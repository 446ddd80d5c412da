import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  declaredPorts,
  isPreviewUrl,
  listPorts,
  panelView,
  PREVIEW_WAIT_MS,
  refusal,
  requestPreview,
  TICKET_REFRESH_MS,
  type OpenAnswer,
} from './preview.ts';
import { TICKET_TTL_MS } from '../../lab-server/src/preview/registry.ts';
import { ko } from './messages.ko.ts';

const LAB = 'http://localhost:4321';
const ORIGIN = 'http://localhost:4322';
const answer =
  (status: number, body: unknown): typeof fetch =>
  async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const opened = (state: string, extra: Record<string, unknown> = {}) => ({
  port: 8080,
  url: `${ORIGIN}/__lab/open?ticket=abc`,
  state,
  origin: ORIGIN,
  ...extra,
});

test('POST: JSON body with the port only, with credentials; the answer is passed on', async () => {
  let seen: { url: string; init: RequestInit } | undefined;
  const fetchImpl: typeof fetch = async (url, init) => {
    seen = { url: String(url), init: init! };
    return new Response(JSON.stringify(opened('ready')), { status: 200 });
  };
  const result = await requestPreview(`${LAB}/lab/preview`, 8080, LAB, fetchImpl);
  assert.deepEqual(result, { kind: 'opened', ...opened('ready') });
  assert.equal(seen!.url, `${LAB}/lab/preview`);
  assert.equal(seen!.init.method, 'POST');
  assert.equal(seen!.init.credentials, 'include');
  assert.equal(seen!.init.body, JSON.stringify({ port: 8080 }));
});

test('an answer whose URL is not on the preview origin, or for another port, is refused', async () => {
  const bad = [
    opened('ready', { url: 'javascript:alert(1)' }),
    opened('ready', { url: `${LAB}/lab/session` }),
    opened('ready', { url: 'http://evil.example/x' }),
    opened('ready', { origin: LAB, url: `${LAB}/x` }),
    opened('ready', { port: 8081 }),
    opened('maybe'),
    { ports: [] },
  ];
  for (const body of bad) {
    assert.deepEqual(
      await requestPreview('u', 8080, LAB, answer(200, body)),
      { kind: 'error', message: ko.preview.failedRequest(200), retry: false },
      JSON.stringify(body),
    );
  }
  assert.equal(isPreviewUrl(`${ORIGIN}/cap/`, ORIGIN, LAB), true);
  assert.equal(isPreviewUrl('not a url', ORIGIN, LAB), false);
});

test('refusals in Korean, by code then by status; only a booting sandbox is asked again', async () => {
  const table: [number, unknown, string, boolean][] = [
    [409, { error: 'sandbox-not-ready', detail: '' }, ko.preview.notReady, true],
    [409, '<html>conflict</html>', ko.preview.notReady, true],
    [401, { error: 'no-session', detail: '' }, ko.preview.noSession, false],
    [404, { error: 'session-expired', detail: '' }, ko.preview.noSession, false],
    [429, { error: 'rate-limited', detail: '' }, ko.error.rateLimited, false],
    [403, { error: 'forbidden-origin', detail: '' }, ko.error.forbiddenOrigin, false],
    [502, '<html>bad gateway</html>', ko.preview.failedRequest(502), false],
  ];
  for (const [status, body, message, retry] of table) {
    assert.deepEqual(await requestPreview('u', 8080, LAB, answer(status, body)), { kind: 'error', message, retry }, `${status}`);
  }
  const down: typeof fetch = async () => {
    throw new TypeError('Failed to fetch');
  };
  assert.deepEqual(await requestPreview('u', 8080, LAB, down), { kind: 'error', message: ko.preview.unreachable, retry: false });
  assert.deepEqual(refusal(400, 'constructor'), { message: ko.preview.failedRequest(400), retry: false });
});

test('GET: the published ports, sorted; errors in Korean', async () => {
  const ports = [
    { port: 8081, containerName: 'api', containerPort: 8080, listening: false },
    { port: 8080, containerName: 'web', containerPort: 80, listening: true },
  ];
  const result = await listPorts('u', answer(200, { ports }));
  assert.deepEqual(result, { kind: 'ports', ports: [ports[1], ports[0]] });
  assert.deepEqual(await listPorts('u', answer(404, { error: 'no-session', detail: '' })), { kind: 'error', message: ko.preview.noSession });
  assert.deepEqual(await listPorts('u', answer(200, { ports: [{ port: 0 }] })), { kind: 'error', message: ko.preview.failedRequest(200) });
});

test('the panel: ready shows the page; not-listening waits with backoff, then says what to check', () => {
  const ok = { kind: 'opened', ...opened('ready') } as OpenAnswer;
  assert.deepEqual(panelView(8080, ok, 0, 0), { kind: 'frame', url: opened('ready').url, message: ko.preview.ready(8080) });

  const waiting = { kind: 'opened', ...opened('not-listening') } as OpenAnswer;
  const first = panelView(8080, waiting, 0, 0, () => 0);
  assert.deepEqual(first, { kind: 'wait', message: ko.preview.waiting(8080), delayMs: 250 });
  assert.equal(ko.preview.waiting(8080), '8080 포트를 기다리는 중…');
  // The delays grow and stop at 4 s; the whole wait is bounded.
  const delays = [0, 1, 2, 3, 4, 5].map((a) => (panelView(8080, waiting, a, 0, () => 0.999999) as { delayMs: number }).delayMs);
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 4000, 4000]);
  let elapsed = 0;
  let attempt = 0;
  for (let view = panelView(8080, waiting, attempt, elapsed); view.kind === 'wait'; view = panelView(8080, waiting, ++attempt, elapsed)) {
    elapsed += view.delayMs;
  }
  assert.ok(elapsed <= PREVIEW_WAIT_MS && elapsed > PREVIEW_WAIT_MS - 4_000, `waited ${elapsed} ms`);
  assert.deepEqual(panelView(8080, waiting, attempt, PREVIEW_WAIT_MS), { kind: 'message', message: ko.preview.notListening(8080) });
  assert.match(ko.preview.notListening(8080), /docker ps/);
});

test('the panel: no container and a port nobody publishes are said at once, with what to do', () => {
  const of = (state: string) => ({ kind: 'opened', ...opened(state) }) as OpenAnswer;
  assert.deepEqual(panelView(8080, of('not-published'), 0, 0), { kind: 'message', message: ko.preview.notPublished(8080) });
  assert.deepEqual(panelView(8080, of('no-container'), 0, 0), { kind: 'message', message: ko.preview.noContainer });
  const booting: OpenAnswer = { kind: 'error', message: ko.preview.notReady, retry: true };
  assert.equal(panelView(8080, booting, 0, 0).kind, 'wait');
  assert.deepEqual(panelView(8080, booting, 9, PREVIEW_WAIT_MS), { kind: 'message', message: ko.preview.notReadyGaveUp });
  const gone: OpenAnswer = { kind: 'error', message: ko.preview.noSession, retry: false };
  assert.deepEqual(panelView(8080, gone, 0, 0), { kind: 'message', message: ko.preview.noSession });
});

test('declared ports: what the build wrote, nothing else', () => {
  assert.deepEqual(declaredPorts('8080 8443'), [8080, 8443]);
  assert.deepEqual(declaredPorts(undefined), []);
  assert.deepEqual(declaredPorts('0 70000 x 80'), [80]);
});

test('the 새 탭 link replaces its ticket well before the server forgets it', () => {
  assert.ok(TICKET_REFRESH_MS <= TICKET_TTL_MS - 10_000, `${TICKET_REFRESH_MS} ms vs a ${TICKET_TTL_MS} ms ticket`);
});
