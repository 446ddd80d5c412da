/**
 * HTTP routes of the lab server:
 *
 *   POST    /lab/session   create (or resume) the caller's session; sets the HttpOnly cookie
 *                          (503 over-capacity at the caps, 429 when a client churns sessions);
 *                          a class learner's (lab_learner cookie) holds a seat instead: 202 queued
 *                          while none is free, 410 class-ended; LAB_ANONYMOUS_LABS=off: 403
 *                          class-only for everyone else (classroom/seats.ts)
 *   DELETE  /lab/session   end it now (the page's "reset" and tests)
 *   OPTIONS /lab/session   CORS preflight, only for LAB_ALLOWED_ORIGINS
 *   POST    /lab/check     run a challenge's check in the caller's own sandbox (challenges.ts);
 *                          same Origin and cookie rules; OPTIONS as above
 *   GET     /lab/preview   port preview: the caller's sandbox's published ports (preview/api.ts)
 *   POST    /lab/preview   a one-time URL on the preview origin for one port (preview/proxy.ts serves it);
 *                          same cookie rules; GET also from the same origin without Origin (browsers omit it)
 *   GET     /healthz       200 when sandboxes can be created, else 503 with the reasons
 *   GET     /metrics       Prometheus text format (LAB_METRICS_TOKEN: Bearer token required;
 *                          LAB_ADMIN_LISTEN: only on that address, see createAdminHandler)
 *   *       /instructor/api/…, /join/api/…, /lab/progress, /lab/help
 *                          class mode (classroom/http.ts, issue 13), same Origin guard
 *   GET     *              the built site (static-site.ts)
 *
 * Every request first has its Host checked (origin.ts, DNS rebinding): a
 * Host that is not one of our names gets 421 Misdirected Request.
 *
 * Session routes check Origin like the WebSocket upgrade does: the cookie is
 * sent by the browser whoever the page is, so Origin is the CSRF defence.
 * Cross-origin callers on the allowlist get credentialed CORS headers;
 * nobody else gets any.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Checks, MAX_CHECK_BODY_BYTES, parseCheckRequest, type CheckVerdict } from './challenges.ts';
import type { Config } from './config.ts';
import { setCookieHeader } from './cookies.ts';
import type { Health } from './health.ts';
import type { Lab } from './lab.ts';
import type { Metrics } from './metrics.ts';
import { clientKey, type OriginPolicy } from './origin.ts';
import {
  LAB_CHECK_PATH,
  LAB_PREVIEW_PATH,
  LAB_SESSION_PATH,
  LEARNER_COOKIE,
  SESSION_COOKIE,
  type ErrorCode,
  type QueuedResponse,
  type SessionResponse,
} from './protocol.ts';
import { MAX_PREVIEW_BODY_BYTES, type PreviewApi } from './preview/api.ts';
import type { PreviewOrigins } from './preview/origins.ts';
import type { Session } from './sessions.ts';
import type { StaticSite } from './static-site.ts';
import type { ClassroomSeats } from './classroom/seats.ts';
import type { ClassroomRoutes, OriginGuard } from './classroom/http.ts';
import { TokenBucket } from './token-bucket.ts';

export interface HttpDeps {
  config: Config;
  lab: Lab;
  policy: OriginPolicy;
  metrics: Metrics;
  health: Health;
  site: StaticSite;
  checks: Checks;
  log: Logger;
  /** Port preview (preview/): GET/POST /lab/preview; without it that path is the site's. */
  previews?: { api: PreviewApi<Session>; origins: PreviewOrigins };
  /** Class mode routes (classroom/http.ts); without them those paths are the site's. */
  classroom?: ClassroomRoutes;
  /** Class mode, the lab side: learners' sessions hold seats (classroom/seats.ts). */
  seats?: Pick<ClassroomSeats, 'learnerFor' | 'request'>;
}

/** A JSON answer that is never cached; `body` undefined = no content (204s). The one writer of every JSON route. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, { 'Cache-Control': 'no-store', ...headers }).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

const httpError = (res: ServerResponse, status: number, error: ErrorCode, detail: string, headers: Record<string, string> = {}) =>
  json(res, status, { error, detail }, headers);

/**
 * New sessions per client: each one boots a sandbox (a second of CPU), so
 * churning sessions (create, delete, create ...) is limited separately from
 * the cap on concurrent ones.
 */
export class CreationLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly perMinute: number;
  private readonly burst: number;
  constructor(perMinute: number, burst: number) {
    this.perMinute = perMinute;
    this.burst = burst;
    setInterval(() => this.buckets.clear(), 10 * 60_000).unref();
  }
  allow(client: string): boolean {
    let bucket = this.buckets.get(client);
    if (!bucket) this.buckets.set(client, (bucket = new TokenBucket(this.perMinute / 60, this.burst)));
    return bucket.take();
  }
}

/**
 * 421 for a Host that is not ours, logged once a minute per host with the
 * variable that would allow it (a legitimate name the operator forgot).
 */
export function hostGuard(policy: OriginPolicy, metrics: Metrics, log: Logger) {
  const logged = new Map<string, number>();
  return function refuseForeignHost(req: IncomingMessage): string | undefined {
    const verdict = policy.hostAllowed(req);
    if (verdict.ok) return undefined;
    metrics.reject('foreign-host');
    const last = logged.get(verdict.host) ?? 0;
    if (Date.now() - last > 60_000) {
      if (logged.size > 1000) logged.clear();
      logged.set(verdict.host, Date.now());
      log.warn(
        { host: verdict.host, ip: policy.clientIp(req) },
        `request refused: Host "${verdict.host}" is not one of this server's names (DNS rebinding); if it is yours, add it to LAB_ALLOWED_HOSTS or set LAB_PUBLIC_ORIGIN`,
      );
    }
    return 'Misdirected Request: this server does not answer to that host name (LAB_ALLOWED_HOSTS)';
  };
}

/**
 * A cookie's value, or undefined when it is absent OR sent more than once:
 * the one cookie reader of every route, the gateway and class mode. Twice
 * means tossed: cookies are not isolated by port (nor, with Domain=, from a
 * sibling host), so a page the preview origin serves can add
 * `lab_session=…; Path=/lab/ws` for the lab's host. It cannot replace the
 * HttpOnly cookie, but the browser sends the longer path first: reading the
 * first would attach the reader's terminal to a session the page chose;
 * reading none costs the reader at most a new session.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  let value: string | undefined;
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    if (value !== undefined) return undefined;
    value = part.slice(eq + 1).trim();
  }
  return value;
}

/** The `lab_*` cookie names a Cookie header carries more than once (readCookie reads them as absent). */
export function tossedCookies(header: string | undefined): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const part of header?.split(';') ?? []) {
    const name = part.slice(0, Math.max(part.indexOf('='), 0)).trim();
    if (!name.startsWith('lab_')) continue;
    if (seen.has(name)) twice.add(name);
    seen.add(name);
  }
  return [...twice];
}

/**
 * For the lab listener's requests and upgrades: a request with a tossed
 * `lab_*` cookie is counted (lab_rejected_total{reason="cookie-tossed"}) and
 * logged, once a minute per client. readCookie already refuses the value.
 */
export function watchTossedCookies(policy: OriginPolicy, metrics: Metrics, log: Logger) {
  const logged = new Map<string, number>();
  return function noteTossed(req: IncomingMessage): void {
    const names = tossedCookies(req.headers.cookie);
    if (!names.length) return;
    metrics.reject('cookie-tossed');
    const ip = policy.clientIp(req);
    if (Date.now() - (logged.get(ip) ?? 0) < 60_000) return;
    if (logged.size > 1000) logged.clear();
    logged.set(ip, Date.now());
    log.warn(
      { names, ip, path: (req.url ?? '').slice(0, 200), origin: req.headers.origin },
      'cookie sent twice (tossed by another page of this host): read as absent',
    );
  };
}

/**
 * The request body as text, or undefined when it is over `limit` bytes: a
 * declared Content-Length over it is refused unread; a body that grows past
 * it stops being read (the answer closes the connection).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Stop here: the rest is not read (the answer says Connection: close).
      req.off('data', onData).off('end', onEnd).off('error', reject);
      req.pause();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

async function sendMetrics(res: ServerResponse, metrics: Metrics): Promise<void> {
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
  res.end(text);
}

/** LAB_ADMIN_LISTEN: /metrics and /healthz only, for the monitoring network. */
export function createAdminHandler(deps: Pick<HttpDeps, 'metrics' | 'health' | 'log'>) {
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      if (path === '/metrics') return await sendMetrics(res, deps.metrics);
      if (path === '/healthz') {
        const result = await deps.health.check();
        return json(res, result.ok ? 200 : 503, result);
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found');
    } catch (err) {
      deps.log.error({ err, path }, 'admin request failed');
      if (!res.headersSent) httpError(res, 500, 'internal', 'internal error');
      else res.destroy();
    }
  };
}

export function createRequestHandler(deps: HttpDeps) {
  const { config, lab, policy, metrics, health, site, checks, log } = deps;
  const creations = new CreationLimiter(config.sessions.createPerMinute, config.sessions.createBurst);
  const foreignHost = hostGuard(policy, metrics, log);

  /** Whether a cookie set in answer to `req` is `Secure` (LAB_COOKIE_SECURE; every cookie this server sets). */
  function secureCookie(req: IncomingMessage): boolean {
    return config.cookie.secure === 'on' || (config.cookie.secure === 'auto' && policy.isHttps(req));
  }

  function cookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
    return setCookieHeader(SESSION_COOKIE, value, { path: '/lab', sameSite: config.cookie.sameSite, secure: secureCookie(req), maxAgeSeconds });
  }

  function cors(origin: string | undefined): Record<string, string> {
    if (!policy.isAllowedCrossOrigin(origin)) return {};
    return { 'Access-Control-Allow-Origin': origin!, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
  }

  /** The CORS preflight of a lab route: only for LAB_ALLOWED_ORIGINS. */
  function preflight(req: IncomingMessage, res: ServerResponse, methods: string): void {
    const origin = req.headers.origin;
    if (!policy.isAllowedCrossOrigin(origin)) {
      metrics.reject('foreign-origin');
      res.writeHead(403).end();
      return;
    }
    res.writeHead(204, {
      ...cors(origin),
      'Access-Control-Allow-Methods': methods,
      'Access-Control-Allow-Headers': 'Content-Type',
      'Access-Control-Max-Age': '600',
    });
    res.end();
  }

  /** The CSRF defence of every lab route: the CORS headers to answer with, or undefined after a 403. */
  function allowOrigin(req: IncomingMessage, res: ServerResponse, what: string): Record<string, string> | undefined {
    const verdict = policy.check(req);
    if (!verdict.ok) {
      metrics.reject(verdict.reason);
      log.warn({ origin: verdict.origin, reason: verdict.reason, ip: policy.clientIp(req) }, `${what} request refused: origin`);
      httpError(res, 403, 'forbidden-origin', 'Origin not allowed');
      return undefined;
    }
    return cors(verdict.origin);
  }

  /** What the class-mode routes borrow: this Origin guard and the cookie rule. */
  const classGuard: OriginGuard = { allowOrigin, preflight, secure: secureCookie };

  async function session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') return preflight(req, res, 'POST, DELETE');
    if (req.method !== 'POST' && req.method !== 'DELETE') {
      res.writeHead(405, { Allow: 'POST, DELETE, OPTIONS' }).end();
      return;
    }
    const headers = allowOrigin(req, res, 'session');
    if (!headers) return;
    const existing = lab.lookup(readCookie(req.headers.cookie, SESSION_COOKIE));

    if (req.method === 'DELETE') {
      if (existing) lab.endSession(existing, 'ended');
      res.writeHead(204, { ...headers, 'Set-Cookie': cookie(req, '', 0), 'Cache-Control': 'no-store' }).end();
      return;
    }
    if (lab.isShuttingDown) {
      metrics.reject('shutting-down');
      return httpError(res, 503, 'shutting-down', 'server is shutting down', { ...headers, 'Retry-After': '10' });
    }
    const idleTimeoutMs = config.sessions.idleTimeoutMs;
    const learner = await deps.seats?.learnerFor(readCookie(req.headers.cookie, LEARNER_COOKIE));
    if (learner) return learnerSession(req, res, learner, existing, headers);
    if (existing) {
      const body: SessionResponse = { resumed: true, expiresAt: existing.expiresAt, idleTimeoutMs };
      // The cookie itself is not re-sent: the token is only ever written once.
      return json(res, 200, body, headers);
    }
    if (!config.classroom.anonymousLabs) {
      metrics.classRefused.inc({ reason: 'class-only' });
      log.info({ ip: policy.clientIp(req) }, 'session refused: labs are for class members (LAB_ANONYMOUS_LABS=off)');
      return httpError(res, 403, 'class-only', 'labs are for learners who joined a class (LAB_ANONYMOUS_LABS=off)', headers);
    }
    const client = clientKey(policy.clientIp(req));
    if (!creations.allow(client)) {
      metrics.reject('rate-limited');
      return httpError(res, 429, 'rate-limited', 'too many new sessions from this address', { ...headers, 'Retry-After': '60' });
    }
    const created = lab.createSession(client);
    if (!created.ok) {
      metrics.reject('over-capacity');
      log.warn({ client, reason: created.reason }, 'session refused: over capacity');
      const detail = created.reason === 'client-cap' ? 'too many sessions from this address' : 'all sandboxes are in use';
      return httpError(res, 503, 'over-capacity', detail, { ...headers, 'Retry-After': '30' });
    }
    const maxAge = Math.max(1, Math.floor((created.session.expiresAt - Date.now()) / 1000));
    const body: SessionResponse = { resumed: false, expiresAt: created.session.expiresAt, idleTimeoutMs };
    json(res, 201, body, { ...headers, 'Set-Cookie': cookie(req, created.token, maxAge) });
  }

  /**
   * A class learner's POST: a seat of the class, not the per-address caps
   * (classroom/seats.ts): 201/200 with the session, 202 QueuedResponse while
   * no seat or sandbox is free (the page asks again every few seconds), 410
   * when the class is over, 429 when the learner churns sessions (the
   * creation limit, per learner). An anonymous session of the same browser
   * is ended: the learner's takes its place.
   */
  async function learnerSession(
    req: IncomingMessage,
    res: ServerResponse,
    learner: Parameters<ClassroomSeats['request']>[0],
    existing: ReturnType<Lab['lookup']>,
    headers: Record<string, string>,
  ): Promise<void> {
    if (existing && !existing.owner) lab.endSession(existing, 'ended');
    const current = existing?.owner ? existing : undefined;
    const answer = await deps.seats!.request(learner, clientKey(policy.clientIp(req)), current, () => creations.allow(`learner ${learner.id}`));
    switch (answer.kind) {
      case 'class-ended':
        return httpError(res, 410, 'class-ended', answer.detail, headers);
      case 'rate-limited':
        metrics.reject('rate-limited');
        return httpError(res, 429, 'rate-limited', 'too many new sessions for this learner', { ...headers, 'Retry-After': '60' });
      case 'queued': {
        const body: QueuedResponse = { queued: true, position: answer.position, etaSeconds: answer.etaSeconds };
        return json(res, 202, body, { ...headers, 'Retry-After': '3' });
      }
      case 'session': {
        const { session: s, token } = answer;
        const body: SessionResponse = { resumed: answer.result !== 'created', expiresAt: s.expiresAt, idleTimeoutMs: config.sessions.idleTimeoutMs };
        if (!token) return json(res, 200, body, headers);
        const maxAge = Math.max(1, Math.floor((s.expiresAt - Date.now()) / 1000));
        return json(res, answer.result === 'created' ? 201 : 200, body, { ...headers, 'Set-Cookie': cookie(req, token, maxAge) });
      }
      default:
        answer satisfies never;
    }
  }

  /**
   * POST LAB_CHECK_PATH: Origin (403), cookie (401 none, 404 no live
   * session), body (413 over MAX_CHECK_BODY_BYTES, 400 not CheckRequest),
   * then Checks.run (404 unknown id, 409 booting, 429, 200 with the verdict).
   * Every answer is counted (lab_checks_total) and logged.
   */
  async function check(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') return preflight(req, res, 'POST');
    const began = Date.now();
    let sessionId: string | undefined;
    let challenge: string | undefined;
    const done = (verdict: CheckVerdict, headers: Record<string, string> = {}) => {
      metrics.checks.inc({ result: verdict.result });
      const ms = Date.now() - began;
      if (verdict.result === 'refused') {
        const line = { session: sessionId, challenge, result: 'refused', status: verdict.status, error: verdict.error, detail: verdict.detail, ms };
        log.warn({ ...line, ip: policy.clientIp(req) }, 'check refused');
        const retry: Record<string, string> = verdict.retryAfter ? { 'Retry-After': String(verdict.retryAfter) } : {};
        return httpError(res, verdict.status, verdict.error, verdict.detail, { ...headers, ...retry });
      }
      const { exitCode } = verdict.body;
      log.info({ session: sessionId, challenge, result: verdict.result, exitCode, discarded: verdict.discarded, ms }, 'check');
      json(res, 200, verdict.body, headers);
    };
    const refuse = (status: number, error: ErrorCode, detail: string, headers: Record<string, string> = {}) =>
      done({ status, result: 'refused', error, detail }, headers);

    if (req.method !== 'POST') return refuse(405, 'bad-message', 'POST only', { Allow: 'POST, OPTIONS' });
    const headers = allowOrigin(req, res, 'check');
    if (!headers) {
      metrics.checks.inc({ result: 'refused' });
      return;
    }
    if (lab.isShuttingDown) return refuse(503, 'shutting-down', 'server is shutting down', { ...headers, 'Retry-After': '10' });
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!token) return refuse(401, 'no-session', 'no session cookie', headers);
    const session = lab.lookup(token);
    if (!session) {
      const ended = lab.sessions.whyEnded(token);
      const code: ErrorCode = ended?.reason === 'sandbox-failed' ? 'sandbox-failed' : ended ? 'session-expired' : 'no-session';
      return refuse(404, code, ended ? `session ended: ${ended.reason}` : 'no such session', headers);
    }
    sessionId = session.id;

    const body = await readBody(req, MAX_CHECK_BODY_BYTES);
    if (body === undefined) return refuse(413, 'bad-message', `body over ${MAX_CHECK_BODY_BYTES} bytes`, { ...headers, Connection: 'close' });
    const parsed = parseCheckRequest(body);
    if (!parsed.ok) return refuse(400, 'bad-message', parsed.detail, headers);
    challenge = parsed.challenge;
    const verdict = await checks.run(session.id, lab.sandboxOf(session), parsed.challenge);
    if (session.ended && verdict.result === 'refused') return refuse(404, 'session-expired', 'session ended during the check', headers);
    done(verdict, headers);
  }

  /**
   * GET/POST LAB_PREVIEW_PATH: Origin (403; a GET may come without one from
   * the same origin: browsers send none there), cookie (401 none, 404 no live
   * session), then preview/api.ts (400, 409 booting, 429, 502, 200). Every
   * refusal is logged.
   */
  async function preview(req: IncomingMessage, res: ServerResponse, previews: NonNullable<HttpDeps['previews']>): Promise<void> {
    if (req.method === 'OPTIONS') return preflight(req, res, 'GET, POST');
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.writeHead(405, { Allow: 'GET, POST, OPTIONS' }).end();
      return;
    }
    const site = req.headers['sec-fetch-site'];
    const sameOriginGet = req.method === 'GET' && !req.headers.origin && (site === undefined || site === 'same-origin');
    const headers = sameOriginGet ? {} : allowOrigin(req, res, 'preview');
    if (!headers) return;
    const refuse = (status: number, error: ErrorCode, detail: string, extra: Record<string, string> = {}, session?: string) => {
      log.warn({ session, status, error, detail, ip: policy.clientIp(req) }, 'preview request refused');
      httpError(res, status, error, detail, { ...headers, ...extra });
    };
    if (lab.isShuttingDown) return refuse(503, 'shutting-down', 'server is shutting down', { 'Retry-After': '10' });
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!token) return refuse(401, 'no-session', 'no session cookie');
    const session = lab.lookup(token);
    if (!session) return refuse(404, 'no-session', 'no such session');
    let answer;
    if (req.method === 'GET') answer = await previews.api.list(session, lab.sandboxOf(session));
    else {
      const body = await readBody(req, MAX_PREVIEW_BODY_BYTES);
      if (body === undefined) return refuse(413, 'bad-message', `body over ${MAX_PREVIEW_BODY_BYTES} bytes`, { Connection: 'close' }, session.id);
      // The host name the page used (or LAB_PUBLIC_ORIGIN's): the preview origin is on it unless LAB_PREVIEW_ORIGIN says otherwise.
      const own = URL.parse(policy.ownOrigin(req) ?? '');
      const origin = previews.origins.forLab(own?.host ?? req.headers.host ?? 'localhost', own ? own.protocol === 'https:' : policy.isHttps(req));
      answer = await previews.api.open(session, lab.sandboxOf(session), body, origin);
    }
    if ('error' in answer) {
      return refuse(answer.status, answer.error, answer.detail, answer.retryAfter ? { 'Retry-After': String(answer.retryAfter) } : {}, session.id);
    }
    json(res, 200, answer.body, headers);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      const refused = foreignHost(req);
      if (refused) {
        res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'close' }).end(refused);
        return;
      }
      if (path === LAB_SESSION_PATH) return await session(req, res);
      if (path === LAB_CHECK_PATH) return await check(req, res);
      if (path === LAB_PREVIEW_PATH && deps.previews) return await preview(req, res, deps.previews);
      if (deps.classroom?.owns(path)) return await deps.classroom.handle(req, res, classGuard);
      if (path === '/healthz') {
        const result = await health.check();
        return json(res, result.ok ? 200 : 503, result);
      }
      if (path === '/metrics' && !config.adminListen) {
        if (config.metricsToken && !hasBearer(req, config.metricsToken)) {
          metrics.reject('metrics-auth');
          res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="lab metrics"', 'Cache-Control': 'no-store' }).end();
          return;
        }
        return await sendMetrics(res, metrics);
      }
      await site.serve(req, res);
    } catch (err) {
      log.error({ err, path }, 'request failed');
      if (!res.headersSent) httpError(res, 500, 'internal', 'internal error');
      else res.destroy();
    }
  };
}
