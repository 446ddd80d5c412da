/**
 * HTTP routes of the lab server:
 *
 *   POST    /lab/session   create (or resume) the caller's session; sets the HttpOnly cookie
 *                          (503 over-capacity at the caps, 429 when a client churns sessions)
 *   DELETE  /lab/session   end it now (the page's "reset" and tests)
 *   OPTIONS /lab/session   CORS preflight, only for LAB_ALLOWED_ORIGINS
 *   GET     /healthz       200 when sandboxes can be created, else 503 with the reasons
 *   GET     /metrics       Prometheus text format (LAB_METRICS_TOKEN: Bearer token required;
 *                          LAB_ADMIN_LISTEN: only on that address, see createAdminHandler)
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
import type { Config } from './config.ts';
import type { Health } from './health.ts';
import type { Lab } from './lab.ts';
import type { Metrics } from './metrics.ts';
import { clientKey, type OriginPolicy } from './origin.ts';
import { LAB_SESSION_PATH, SESSION_COOKIE, type ErrorCode, type SessionResponse } from './protocol.ts';
import type { StaticSite } from './static-site.ts';
import { TokenBucket } from './token-bucket.ts';

export interface HttpDeps {
  config: Config;
  lab: Lab;
  policy: OriginPolicy;
  metrics: Metrics;
  health: Health;
  site: StaticSite;
  log: Logger;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
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
class CreationLimiter {
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

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
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
  const { config, lab, policy, metrics, health, site, log } = deps;
  const creations = new CreationLimiter(config.sessions.createPerMinute, config.sessions.createBurst);
  const foreignHost = hostGuard(policy, metrics, log);

  function cookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
    const secure = config.cookie.secure === 'on' || (config.cookie.secure === 'auto' && policy.isHttps(req));
    return [
      `${SESSION_COOKIE}=${value}`,
      'Path=/lab',
      'HttpOnly',
      `SameSite=${config.cookie.sameSite}`,
      `Max-Age=${maxAgeSeconds}`,
      ...(secure ? ['Secure'] : []),
    ].join('; ');
  }

  function cors(origin: string | undefined): Record<string, string> {
    if (!policy.isAllowedCrossOrigin(origin)) return {};
    return { 'Access-Control-Allow-Origin': origin!, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
  }

  function session(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS') {
      if (!policy.isAllowedCrossOrigin(origin)) {
        metrics.reject('foreign-origin');
        res.writeHead(403).end();
        return;
      }
      res.writeHead(204, {
        ...cors(origin),
        'Access-Control-Allow-Methods': 'POST, DELETE',
        'Access-Control-Allow-Headers': 'Content-Type',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST' && req.method !== 'DELETE') {
      res.writeHead(405, { Allow: 'POST, DELETE, OPTIONS' }).end();
      return;
    }
    const verdict = policy.check(req);
    if (!verdict.ok) {
      metrics.reject(verdict.reason);
      log.warn({ origin: verdict.origin, reason: verdict.reason, ip: policy.clientIp(req) }, 'session request refused: origin');
      return httpError(res, 403, 'forbidden-origin', 'Origin not allowed');
    }
    const headers = cors(verdict.origin);
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
    if (existing) {
      const body: SessionResponse = { resumed: true, expiresAt: existing.expiresAt, idleTimeoutMs };
      // The cookie itself is not re-sent: the token is only ever written once.
      return json(res, 200, body, headers);
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

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      const refused = foreignHost(req);
      if (refused) {
        res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'close' }).end(refused);
        return;
      }
      if (path === LAB_SESSION_PATH) return session(req, res);
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
