/**
 * GET/POST LAB_PREVIEW_PATH on the lab origin (http.ts checks Origin and the
 * session cookie first, as for /lab/check): the published ports of the
 * caller's own sandbox, read from its inner engine (never from the page),
 * and a one-time URL on the preview origin for one of them.
 *
 * Every POST asks the sandbox (`lab-port list`, one exec, ~0.2-0.5 s), so it
 * is rate-limited per session; the state it answers is advice for the page
 * (what to say while waiting): the URL is minted in every state, and the
 * preview origin answers it with its own Korean page until the app answers.
 */
import type { PreviewList, PreviewOpened, PreviewState, PublishedPort } from '../protocol.ts';
import { PreviewRequest, type ErrorCode } from '../protocol.ts';
import type { SandboxHandle, SandboxPorts, PortListing } from '../sandbox/driver.ts';
import { TokenBucket } from '../token-bucket.ts';
import { OPEN_PATH } from './addressing.ts';
import type { PreviewRegistry } from './registry.ts';

/** Largest POST body read (`{"port":65535}` is 14 bytes). */
export const MAX_PREVIEW_BODY_BYTES = 256;
/** Port list requests per session and minute (GET and POST together), and as many at once. */
export const PREVIEW_REQUESTS_PER_MINUTE = 60;
export const PREVIEW_BURST = 20;

/** What the inner engine says about `port`. Pure. */
export function previewState(listing: PortListing, port: number): PreviewState {
  const published: PublishedPort | undefined = listing.ports.find((p) => p.port === port);
  if (published) return published.listening ? 'ready' : 'not-listening';
  return listing.containers === 0 ? 'no-container' : 'not-published';
}

/** Parses a POST body; the reason on failure. Pure. */
export function parsePreviewRequest(body: string): { ok: true; port: number } | { ok: false; detail: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, detail: 'not JSON' };
  }
  const parsed = PreviewRequest.safeParse(raw);
  return parsed.success ? { ok: true, port: parsed.data.port } : { ok: false, detail: parsed.error.issues[0]?.message ?? 'invalid' };
}

export type ApiAnswer<T> = { status: 200; body: T } | { status: number; error: ErrorCode; detail: string; retryAfter?: number };

export class PreviewApi<S extends { readonly id: string; readonly ended: boolean }> {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly deps: { registry: PreviewRegistry<S>; ports: SandboxPorts };

  constructor(deps: { registry: PreviewRegistry<S>; ports: SandboxPorts }) {
    this.deps = deps;
    setInterval(() => this.buckets.clear(), 10 * 60_000).unref();
  }

  private limited(session: S): ApiAnswer<never> | undefined {
    let bucket = this.buckets.get(session.id);
    if (!bucket) this.buckets.set(session.id, (bucket = new TokenBucket(PREVIEW_REQUESTS_PER_MINUTE / 60, PREVIEW_BURST)));
    return bucket.take() ? undefined : { status: 429, error: 'rate-limited', detail: 'too many port preview requests', retryAfter: 5 };
  }

  private async listing(sandbox: SandboxHandle): Promise<PortListing | ApiAnswer<never>> {
    try {
      return await this.deps.ports.listPorts(sandbox);
    } catch (err) {
      return { status: 502, error: 'internal', detail: `could not read the sandbox's ports: ${String(err).slice(0, 200)}` };
    }
  }

  /** GET: the sandbox's published ports. `sandbox` undefined = still booting (409). */
  async list(session: S, sandbox: SandboxHandle | undefined): Promise<ApiAnswer<PreviewList>> {
    if (!sandbox) return { status: 409, error: 'sandbox-not-ready', detail: 'the sandbox is still starting', retryAfter: 2 };
    const refused = this.limited(session);
    if (refused) return refused;
    const listing = await this.listing(sandbox);
    if ('status' in listing) return listing;
    return { status: 200, body: { ports: listing.ports } };
  }

  /** POST: a one-time preview URL for `body.port` on `previewOrigin`, with the port's state. */
  async open(session: S, sandbox: SandboxHandle | undefined, body: string, previewOrigin: string): Promise<ApiAnswer<PreviewOpened>> {
    const parsed = parsePreviewRequest(body);
    if (!parsed.ok) return { status: 400, error: 'bad-message', detail: parsed.detail };
    if (!sandbox) return { status: 409, error: 'sandbox-not-ready', detail: 'the sandbox is still starting', retryAfter: 2 };
    const refused = this.limited(session);
    if (refused) return refused;
    const listing = await this.listing(sandbox);
    if ('status' in listing) return listing;
    if (session.ended) return { status: 404, error: 'session-expired', detail: 'the session ended' };
    const { ticket } = this.deps.registry.open(session, parsed.port);
    return {
      status: 200,
      body: {
        port: parsed.port,
        url: `${previewOrigin}${OPEN_PATH}?ticket=${ticket}`,
        state: previewState(listing, parsed.port),
        origin: previewOrigin,
      },
    };
  }
}
