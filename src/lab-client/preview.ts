/**
 * Port preview, the page's rules (issue 11): asking the lab server for a
 * preview of a port the reader's sandbox publishes, and what the page says
 * and does with each answer. The DOM is preview-panel.ts; the server side
 * and the preview origin are lab-server/src/preview (contract: protocol.ts,
 * "Port preview").
 *
 *   POST LAB_PREVIEW_PATH {port} -> { port, url, state, origin }
 *   GET  LAB_PREVIEW_PATH        -> { ports: [{ port, containerName, containerPort, listening }] }
 *
 * `url` is a one-time ticket on the preview origin: the iframe uses one, and
 * the 새 탭 link holds another, fetched again after each use and before it
 * expires (TICKET_REFRESH_MS).
 *
 * Waiting: a container started with `docker run -d` is running when the
 * snippet ends, but its program may take a moment to listen (nginx ~0.1 s,
 * the WordPress stand-in's apache ~1 s, a JVM much longer). `not-listening`
 * and a booting sandbox (409) are therefore asked again with backoff
 * (backoff.ts: 0.5 s doubling to 4 s) for at most PREVIEW_WAIT_MS, then the
 * page says what to check (docker ps, docker logs). `not-published` and
 * `no-container` are not waited for: a snippet that has run has started
 * its containers, so those mean the container is gone or publishes another
 * port, and the reader is told how to find out.
 */
import { PreviewList, PreviewOpened, type PublishedPort, type PreviewState } from '../../lab-server/src/protocol.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { refusalText, requestJson, type RefusalTexts } from './lab-fetch.ts';
import { ko } from './messages.ko.ts';

/** How long a preview waits for a port to answer (or the sandbox to boot) before saying what to check. */
export const PREVIEW_WAIT_MS = 45_000;
export const previewBackoff: BackoffOptions = { baseMs: 500, maxMs: 4_000 };
/**
 * A ticket the 새 탭 link holds is replaced this often: the server forgets
 * unused tickets after 60 s (TICKET_TTL_MS in lab-server/src/preview/registry.ts;
 * preview.test.ts keeps this below it).
 */
export const TICKET_REFRESH_MS = 40_000;

export type OpenAnswer =
  | { kind: 'opened'; port: number; url: string; state: PreviewState; origin: string }
  /** `retry`: worth asking again by itself (the sandbox is still booting). */
  | { kind: 'error'; message: string; retry: boolean };

export type ListAnswer = { kind: 'ports'; ports: PublishedPort[] } | { kind: 'error'; message: string };

/** Korean text per refusal code of LAB_PREVIEW_PATH (protocol.ts ErrorCode); the status decides when the code is unknown. */
const REFUSALS: RefusalTexts = {
  byCode: {
    'sandbox-not-ready': ko.preview.notReady,
    'no-session': ko.preview.noSession,
    'session-expired': ko.preview.noSession,
    'rate-limited': ko.error.rateLimited,
    'forbidden-origin': ko.error.forbiddenOrigin,
  },
  byStatus: { 401: ko.preview.noSession, 404: ko.preview.noSession, 409: ko.preview.notReady, 429: ko.error.rateLimited },
  fallback: ko.preview.failedRequest,
};

/** The Korean text for a refused request, and whether asking again by itself makes sense. */
export function refusal(status: number, code: string | null): { message: string; retry: boolean } {
  const message = refusalText(status, code, REFUSALS);
  return { message, retry: message === ko.preview.notReady };
}

/**
 * Only an http(s) URL on the preview origin the server named is ever put in
 * an iframe or a link (never `javascript:`, never the lab's own origin).
 */
export function isPreviewUrl(url: string, origin: string, labOrigin: string): boolean {
  try {
    const u = new URL(url);
    const o = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o.origin && u.origin !== new URL(labOrigin).origin;
  } catch {
    return false;
  }
}

/** POST { port }: a preview URL and what the server found on that port. */
export async function requestPreview(url: string, port: number, labOrigin: string, fetchImpl: typeof fetch): Promise<OpenAnswer> {
  const answer = await requestJson(url, { json: { port } }, fetchImpl);
  if (!answer) return { kind: 'error', message: ko.preview.unreachable, retry: false };
  if (!answer.ok) return { kind: 'error', ...refusal(answer.status, answer.code) };
  const parsed = PreviewOpened.safeParse(answer.body);
  if (!parsed.success || parsed.data.port !== port || !isPreviewUrl(parsed.data.url, parsed.data.origin, labOrigin)) {
    return { kind: 'error', message: ko.preview.failedRequest(answer.status), retry: false };
  }
  return { kind: 'opened', ...parsed.data };
}

/** GET: the ports the sandbox's containers publish, as its engine reports them. */
export async function listPorts(url: string, fetchImpl: typeof fetch): Promise<ListAnswer> {
  const answer = await requestJson(url, { method: 'GET' }, fetchImpl);
  if (!answer) return { kind: 'error', message: ko.preview.unreachable };
  if (!answer.ok) return { kind: 'error', message: refusal(answer.status, answer.code).message };
  const parsed = PreviewList.safeParse(answer.body);
  if (!parsed.success) return { kind: 'error', message: ko.preview.failedRequest(answer.status) };
  const ports = [...parsed.data.ports].sort((a, b) => a.port - b.port);
  return { kind: 'ports', ports };
}

/** What the panel shows for an answer: a page, a wait (ask again), or a message with what to do. */
export type PanelView =
  { kind: 'frame'; url: string; message: string } | { kind: 'wait'; message: string; delayMs: number } | { kind: 'message'; message: string };

/**
 * The panel's next step after `answer`, the `attempt`-th ask (0 = first) of
 * a wait that began `elapsedMs` ago. `random` as in backoffDelay.
 */
export function panelView(port: number, answer: OpenAnswer, attempt: number, elapsedMs: number, random: () => number = Math.random): PanelView {
  const delayMs = backoffDelay(attempt, previewBackoff, random);
  const canWait = elapsedMs + delayMs <= PREVIEW_WAIT_MS;
  if (answer.kind === 'error') {
    if (!answer.retry) return { kind: 'message', message: answer.message };
    return canWait ? { kind: 'wait', message: answer.message, delayMs } : { kind: 'message', message: ko.preview.notReadyGaveUp };
  }
  switch (answer.state) {
    case 'ready':
      return { kind: 'frame', url: answer.url, message: ko.preview.ready(port) };
    case 'not-listening':
      return canWait ? { kind: 'wait', message: ko.preview.waiting(port), delayMs } : { kind: 'message', message: ko.preview.notListening(port) };
    case 'not-published':
      return { kind: 'message', message: ko.preview.notPublished(port) };
    case 'no-container':
      return { kind: 'message', message: ko.preview.noContainer };
  }
}

/** Ports from a wrapper's data-lab-ports ("8080 8443"), as the build wrote them (src/snippets/ports.ts). */
export function declaredPorts(value: string | undefined): number[] {
  return (value ?? '')
    .split(/\s+/)
    .filter((p) => /^\d{1,5}$/.test(p))
    .map(Number)
    .filter((p) => p >= 1 && p <= 65535);
}
