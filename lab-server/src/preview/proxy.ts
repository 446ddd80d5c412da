/**
 * The preview origin: a listener of its own (LAB_PREVIEW_LISTEN; a separate
 * origin from the lab, LAB_PREVIEW_ORIGIN behind a proxy) that shows what a
 * reader's inner containers serve, to that reader only.
 *
 * Why a separate origin (and not an opaque one): the sandbox serves
 * arbitrary HTML and JavaScript. On an origin of its own it cannot read the
 * lab page's DOM, cannot read the lab's cookies (all HttpOnly: lab_session,
 * lab_learner, lab_admin, and this origin's own lab_preview_*), and its
 * requests to the lab carry its own Origin, which no lab route allows (403;
 * CORS grants it nothing). `frame-ancestors` lets only the lab frame it. The
 * first version added `Content-Security-Policy: sandbox` (an opaque origin):
 * in Chromium that origin sent no Referer and no SameSite cookie, so every
 * root-relative asset of an app was a 404 (WordPress without its CSS). Cookies
 * are not isolated by port, so a previewed script can still add a
 * `lab_session` cookie with another Path for the lab's host; the lab reads a
 * cookie sent twice as absent (http.ts readCookie, counted as cookie-tossed).
 *
 * Who sees what (addressing.ts, registry.ts): `/<capability>/…` where the
 * capability is minted for the session's owner by POST /lab/preview, with
 * a one-time ticket (`/__lab/open?ticket=…`) that sets an owner cookie on
 * this origin. EVERY request (documents, subresources, upgrades, the 307 of a
 * root-relative one) needs the owner cookie of the capability's session:
 * none, another reader's, or a guessed capability is a 404. The preview's own
 * requests are same-origin, so they carry it. Decided so because the
 * capability is the secret (32 random bytes, never in the lab page's URL);
 * the cookie turns a leaked link into a 404 for every browser but the owner's.
 * The cookie is SameSite=Lax: the inline panel needs the preview origin to be
 * same-site as the lab (another port, or a sibling host name of the same
 * registrable domain); on another site the frame's cookie is a third-party
 * one that browsers block (새 탭 still works).
 *
 * Where a request goes: only to 127.0.0.1:<the capability's port> inside the
 * capability's session's sandbox, through SandboxPorts.openPort (an exec of
 * lab-port: the sandbox keeps `--network none`). A per-session http.Agent
 * whose createConnection is that exec: Node parses HTTP, streams bodies both
 * ways (nothing is buffered), keeps connections alive (an exec costs
 * ~200 ms, see docs/benchmarks.md), and WebSocket upgrades are piped.
 *
 * Limits: request body (LAB_PREVIEW_MAX_BODY, 413), time to the first
 * response byte (LAB_PREVIEW_FIRST_BYTE_TIMEOUT, 504), upstream
 * connections per session (LAB_PREVIEW_CONNECTIONS: requests beyond wait in
 * the Agent's queue; WebSocket upgrades beyond get 503), plus the listener's
 * own connection caps and timeouts (main.ts, shared with the lab listener).
 */
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Transform, pipeline } from 'node:stream';
import type { Logger } from 'pino';
import { readCookie } from '../http.ts';
import type { Metrics } from '../metrics.ts';
import type { SandboxHandle, SandboxPorts } from '../sandbox/driver.ts';
import {
  LAST_COOKIE,
  OWNER_COOKIE,
  isDocumentLoad,
  parseTarget,
  placeRootRequest,
  previewCookie,
  previewResponseHeaders,
  previewSecurityHeaders,
  upstreamRequestHeaders,
  type Target,
} from './addressing.ts';
import type { PreviewOrigins } from './origins.ts';
import { problemPage, type PreviewProblem } from './pages.ko.ts';
import type { Grant, PreviewRegistry } from './registry.ts';

export interface PreviewLimits {
  maxBodyBytes: number;
  firstByteTimeoutMs: number;
  connectionsPerSession: number;
  /** An idle kept-alive upstream connection is closed after this (below Apache's 5 s KeepAliveTimeout, so we close first). */
  keepAliveMs: number;
}

type SessionLike = { readonly id: string; readonly ended: boolean };

export interface PreviewProxyDeps<S extends SessionLike> {
  registry: PreviewRegistry<S>;
  ports: SandboxPorts;
  sandboxOf(session: S): SandboxHandle | undefined;
  origins: PreviewOrigins;
  isHttps(req: IncomingMessage): boolean;
  /** The Host allowlist (http.ts hostGuard over the preview host names): a message for a foreign Host. */
  refuseForeignHost(req: IncomingMessage): string | undefined;
  isShuttingDown(): boolean;
  limits: PreviewLimits;
  metrics: Metrics;
  log: Logger;
}

/** Errors counted (lab_preview_errors_total{reason}) and logged. */
export type PreviewErrorReason = PreviewProblem | 'owner' | 'upstream-error';

interface PerSession {
  agent: Agent;
  upgrades: Set<Duplex>;
  /** An upstream connection opened when a ticket was redeemed, per port, for the request the 303 brings next. */
  spares: Map<number, { stream: Promise<Duplex>; timer: NodeJS.Timeout }>;
}

interface Routed<S> {
  grant: Grant<S>;
  rest: string;
  origin: string;
  ancestors: string[];
  /** A document load under a prefix other than LAST_COOKIE's: the Set-Cookie that records it. */
  setLast?: string;
}

/** Headers of an answer the proxy writes itself (Set-Cookie may be several). */
type Headers = Record<string, string | string[]>;

const megabytes = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

/** Where a preview request goes upstream: always 127.0.0.1:<the grant's port> in the grant's sandbox, never a name the request chose. */
function upstreamTarget(req: IncomingMessage, grant: Grant<unknown>, path: string, origin: string, upgrade: boolean) {
  return {
    host: '127.0.0.1',
    port: grant.port,
    method: req.method,
    path,
    setHost: false,
    headers: upstreamRequestHeaders(req.headers, { host: new URL(origin).host, capability: grant.capability, previewOrigin: origin, upgrade }),
  };
}

export class PreviewProxy<S extends SessionLike> {
  private readonly deps: PreviewProxyDeps<S>;
  private readonly sessions = new Map<string, PerSession>();
  private readonly timer: NodeJS.Timeout;

  constructor(deps: PreviewProxyDeps<S>) {
    this.deps = deps;
    // Ended sessions answer 404 at once (registry lookups read `ended`); this frees their agents and sockets.
    this.timer = setInterval(() => this.sweep(), 5_000);
    this.timer.unref();
  }

  /** Closes the upstream connections and forgets the grants of sessions that ended. */
  sweep(): void {
    for (const id of this.deps.registry.sweep()) this.drop(id);
  }

  private drop(id: string): void {
    const entry = this.sessions.get(id);
    if (!entry) return;
    this.sessions.delete(id);
    entry.agent.destroy();
    for (const spare of entry.spares.values()) {
      clearTimeout(spare.timer);
      spare.stream.then(
        (s) => s.destroy(),
        () => undefined,
      );
    }
    for (const socket of entry.upgrades) socket.destroy();
  }

  close(): void {
    clearInterval(this.timer);
    for (const id of [...this.sessions.keys()]) this.drop(id);
  }

  /** A new upstream connection (one exec of lab-port) into the session's sandbox. */
  private open(session: S, port: number): Promise<Duplex> {
    const sandbox = this.deps.sandboxOf(session);
    if (!sandbox) return Promise.reject(new Error('the session has no sandbox'));
    this.deps.metrics.previewConnections.inc();
    return this.deps.ports.openPort(sandbox, port);
  }

  /**
   * Opens the upstream connection the page's first request will need while
   * the browser follows the ticket's 303: a new exec costs ~0.2-0.4 s
   * (docs/benchmarks.md). Unused after keepAliveMs, it is closed.
   */
  private prewarm(grant: Grant<S>): void {
    const entry = this.perSession(grant);
    if (entry.spares.has(grant.port) || !this.deps.sandboxOf(grant.session)) return;
    const stream = this.open(grant.session, grant.port);
    stream.catch(() => undefined);
    const timer = setTimeout(() => {
      if (entry.spares.get(grant.port)?.stream !== stream) return;
      entry.spares.delete(grant.port);
      stream.then(
        (s) => s.destroy(),
        () => undefined,
      );
    }, this.deps.limits.keepAliveMs);
    timer.unref();
    entry.spares.set(grant.port, { stream, timer });
  }

  private perSession(grant: Grant<S>): PerSession {
    const session = grant.session;
    let entry = this.sessions.get(session.id);
    if (entry) return entry;
    const { connectionsPerSession: n, keepAliveMs } = this.deps.limits;
    const agent = new Agent({ keepAlive: true, maxSockets: n, maxTotalSockets: n, maxFreeSockets: n, scheduling: 'lifo' });
    agent.createConnection = (options, oncreate) => {
      const port = Number(options.port);
      const spare = entry!.spares.get(port);
      entry!.spares.delete(port);
      if (spare) clearTimeout(spare.timer);
      const fresh = () => this.open(session, port);
      // A spare that already ended (nothing listened when it connected) would never end again for its request: a new one then.
      const usable = (s: Duplex) => (s.destroyed || !s.writable ? (s.destroy(), fresh()) : s);
      const stream = spare ? spare.stream.then(usable, fresh) : fresh();
      stream.then(
        (s) => oncreate?.(null, s),
        (err: Error) => oncreate?.(err, undefined as never),
      );
      return undefined;
    };
    const keep = agent.keepSocketAlive.bind(agent);
    // After the default (which resets the timeout to the Agent's own, none): an idle upstream connection ends after keepAliveMs.
    agent.keepSocketAlive = (socket) => {
      const kept = keep(socket);
      (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(keepAliveMs);
      return kept;
    };
    const reuse = agent.reuseSocket.bind(agent);
    agent.reuseSocket = (socket, req) => {
      (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(0);
      reuse(socket, req);
    };
    entry = { agent, upgrades: new Set(), spares: new Map() };
    this.sessions.set(session.id, entry);
    return entry;
  }

  private fail(req: IncomingMessage, reason: PreviewErrorReason, detail: string, port?: number): void {
    this.deps.metrics.previewErrors.inc({ reason });
    this.deps.log.info({ reason, detail, port, path: (req.url ?? '').slice(0, 200), ip: req.socket.remoteAddress }, 'preview error');
  }

  private pageFor(problem: PreviewProblem, port: number | undefined) {
    return problemPage(problem, port, {
      timeoutS: Math.round(this.deps.limits.firstByteTimeoutMs / 1000),
      maxBody: megabytes(this.deps.limits.maxBodyBytes),
    });
  }

  private sendProblem(req: IncomingMessage, res: ServerResponse, problem: PreviewProblem, ancestors: string[], port?: number, close = false): void {
    const page = this.pageFor(problem, port);
    const body = req.method === 'HEAD' ? '' : page.html;
    res.writeHead(page.status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(page.html)),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...previewSecurityHeaders(ancestors),
      ...(close ? { Connection: 'close' } : {}),
    });
    res.end(body);
  }

  /** Common routing of requests and upgrades: a grant to forward to, or a finished answer. */
  private route(
    req: IncomingMessage,
    answer: (status: number, problem: PreviewProblem | undefined, headers: Headers, port?: number) => void,
  ): Routed<S> | undefined {
    const refused = this.deps.refuseForeignHost(req);
    if (refused) {
      answer(421, undefined, {});
      return undefined;
    }
    const https = this.deps.isHttps(req);
    const host = req.headers.host ?? '';
    const origin = this.deps.origins.forPreview(host, https);
    const ancestors = this.deps.origins.frameAncestors(host, https);
    const refuse = (problem: PreviewProblem, reason: PreviewErrorReason, detail: string, port?: number) => {
      this.fail(req, reason, detail, port);
      answer(0, problem, previewSecurityHeaders(ancestors), port);
      return undefined;
    };
    if (this.deps.isShuttingDown()) return refuse('shutting-down', 'shutting-down', 'server is shutting down');
    const target: Target = parseTarget(req.url);
    if (target.kind === 'bad') return refuse('bad-request', 'bad-request', target.reason);

    if (target.kind === 'open') {
      const redeemed = req.method === 'GET' ? this.deps.registry.redeem(target.ticket) : undefined;
      if (!redeemed) return refuse('not-found', 'not-found', 'unknown, used or expired ticket');
      const { grant, ownerToken } = redeemed;
      this.deps.metrics.previewOpens.inc();
      this.prewarm(grant);
      this.deps.log.info({ session: grant.session.id, port: grant.port }, 'preview opened');
      answer(303, undefined, {
        Location: `/${grant.capability}/`,
        'Set-Cookie': [previewCookie(OWNER_COOKIE, ownerToken, https), previewCookie(LAST_COOKIE, grant.capability, https)],
        ...previewSecurityHeaders(ancestors),
      });
      return undefined;
    }

    const cookies = firstHeader(req.headers.cookie);
    const capability =
      target.kind === 'capability' ? target.capability : placeRootRequest(firstHeader(req.headers.referer), readCookie(cookies, LAST_COOKIE), origin);
    const grant = capability ? this.deps.registry.resolve(capability) : undefined;
    if (!grant) return refuse('not-found', 'not-found', capability ? 'unknown or ended capability' : 'no capability');
    const owner = this.deps.registry.owner(readCookie(cookies, OWNER_COOKIE));
    if (owner !== grant.session) {
      return refuse('not-found', 'owner', owner ? "another session's owner cookie" : 'no owner cookie', grant.port);
    }
    if (target.kind === 'other') {
      // An absolute or root-relative link of the app, followed from one of its pages: under its capability.
      answer(307, undefined, { Location: `/${grant.capability}${target.path}`, Vary: 'Referer, Cookie', ...previewSecurityHeaders(ancestors) });
      return undefined;
    }
    const recorded = readCookie(cookies, LAST_COOKIE) === grant.capability;
    const setLast =
      isDocumentLoad(firstHeader(req.headers['sec-fetch-dest'])) && !recorded ? previewCookie(LAST_COOKIE, grant.capability, https) : undefined;
    return { grant, rest: target.rest, origin, ancestors, setLast };
  }

  /** A request on the preview listener. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const routed = this.route(req, (status, problem, headers, port) => {
      if (problem) return this.sendProblem(req, res, problem, this.ancestorsOf(req), port);
      if (status === 421) {
        res
          .writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'close' })
          .end('Misdirected Request');
        return;
      }
      res.writeHead(status, { 'Cache-Control': 'no-store', 'Content-Length': '0', ...headers }).end();
    });
    if (routed) this.forward(req, res, routed, 0);
  }

  private ancestorsOf(req: IncomingMessage): string[] {
    return this.deps.origins.frameAncestors(req.headers.host ?? '', this.deps.isHttps(req));
  }

  private forward(req: IncomingMessage, res: ServerResponse, routed: Routed<S>, attempt: number): void {
    const { grant, rest, origin, ancestors } = routed;
    const { maxBodyBytes, firstByteTimeoutMs } = this.deps.limits;
    const sandbox = this.deps.sandboxOf(grant.session);
    if (!sandbox) {
      this.fail(req, 'booting', 'sandbox not ready', grant.port);
      return this.sendProblem(req, res, 'booting', ancestors, grant.port);
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      this.fail(req, 'too-large', `declared body over ${maxBodyBytes} bytes`, grant.port);
      return this.sendProblem(req, res, 'too-large', ancestors, grant.port, true);
    }
    const { agent } = this.perSession(grant);
    const upstream: ClientRequest = httpRequest({ ...upstreamTarget(req, grant, rest, origin, false), agent });
    let answered = false;
    const firstByte = setTimeout(() => {
      if (answered) return;
      answered = true;
      this.fail(req, 'timeout', `no response within ${firstByteTimeoutMs} ms`, grant.port);
      upstream.destroy();
      this.sendProblem(req, res, 'timeout', ancestors, grant.port);
    }, firstByteTimeoutMs);
    res.once('close', () => {
      clearTimeout(firstByte);
      if (!res.writableFinished) upstream.destroy();
    });

    upstream.once('response', (up) => {
      clearTimeout(firstByte);
      if (answered) return void up.destroy();
      answered = true;
      const headers = previewResponseHeaders(up.rawHeaders, {
        capability: grant.capability,
        previewOrigin: origin,
        port: grant.port,
        frameAncestors: ancestors,
      });
      if (routed.setLast) headers.push('Set-Cookie', routed.setLast);
      res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
      up.on('data', (chunk: Buffer) => this.deps.metrics.previewBytes.inc({ direction: 'down' }, chunk.length));
      pipeline(up, res, () => undefined);
    });
    upstream.once('error', (err: Error) => {
      if (answered) return void res.destroy();
      // A kept-alive connection the app closed meanwhile: once more on a new one (only without a body).
      const idempotent = req.method === 'GET' || req.method === 'HEAD';
      if (upstream.reusedSocket && idempotent && attempt === 0 && !req.headers['content-length'] && !req.headers['transfer-encoding']) {
        answered = true;
        clearTimeout(firstByte);
        return this.forward(req, res, routed, 1);
      }
      answered = true;
      clearTimeout(firstByte);
      const stderr = (upstream.socket as { stderr?: string } | null)?.stderr ?? '';
      const refused = /refused/i.test(stderr) || /socket hang up|ECONNRESET/.test(err.message);
      this.fail(req, refused ? 'refused' : 'upstream-error', `${err.message}${stderr ? `: ${stderr.trim().slice(0, 200)}` : ''}`, grant.port);
      this.sendProblem(req, res, 'refused', ancestors, grant.port);
    });

    // The body, streamed and counted; past the limit the upstream request is cut and the client gets 413.
    let size = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        size += chunk.length;
        if (size > maxBodyBytes) return cb(new Error('body too large'));
        this.deps.metrics.previewBytes.inc({ direction: 'up' }, chunk.length);
        cb(null, chunk);
      },
    });
    pipeline(req, counter, upstream, (err) => {
      if (!err || size <= maxBodyBytes || answered) return;
      answered = true;
      clearTimeout(firstByte);
      upstream.destroy();
      this.fail(req, 'too-large', `body over ${maxBodyBytes} bytes`, grant.port);
      this.sendProblem(req, res, 'too-large', ancestors, grant.port, true);
    });
  }

  /** An `Upgrade` request (WebSocket) on the preview listener: piped both ways once the app answers 101. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const raw = (status: number, problem: PreviewProblem | undefined, headers: Headers, port?: number) => {
      const page = problem ? this.pageFor(problem, port) : undefined;
      const code = page?.status ?? status;
      const body = page?.html ?? '';
      const lines = [`HTTP/1.1 ${code} ${code === 421 ? 'Misdirected Request' : 'Preview'}`, 'Connection: close', 'Cache-Control: no-store'];
      if (page) lines.push('Content-Type: text/html; charset=utf-8');
      lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
      for (const [name, value] of Object.entries(headers)) for (const one of [value].flat()) lines.push(`${name}: ${one}`);
      socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
    };
    const routed = this.route(req, raw);
    if (!routed) return;
    const { grant, rest, origin, ancestors } = routed;
    const security = previewSecurityHeaders(ancestors);
    const sandbox = this.deps.sandboxOf(grant.session);
    if (!sandbox) {
      this.fail(req, 'booting', 'sandbox not ready', grant.port);
      return raw(0, 'booting', security, grant.port);
    }
    const entry = this.perSession(grant);
    if (entry.upgrades.size >= this.deps.limits.connectionsPerSession) {
      this.fail(req, 'busy', `over ${this.deps.limits.connectionsPerSession} upgraded connections`, grant.port);
      return raw(0, 'busy', security, grant.port);
    }
    entry.upgrades.add(socket);
    socket.once('close', () => entry.upgrades.delete(socket));
    this.deps.metrics.previewConnections.inc();
    const upstream = httpRequest({
      ...upstreamTarget(req, grant, rest, origin, true),
      createConnection: (_options, oncreate) => {
        this.deps.ports.openPort(sandbox, grant.port).then(
          (stream) => oncreate(null, stream),
          (err: Error) => oncreate(err, undefined as never),
        );
        return undefined;
      },
    });
    const firstByte = setTimeout(() => {
      this.fail(req, 'timeout', 'no upgrade answer', grant.port);
      upstream.destroy();
      socket.destroy();
    }, this.deps.limits.firstByteTimeoutMs);
    socket.once('close', () => {
      clearTimeout(firstByte);
      upstream.destroy();
    });
    const ctx = { capability: grant.capability, previewOrigin: origin, port: grant.port, frameAncestors: ancestors };
    upstream.once('upgrade', (up, upSocket, upHead) => {
      clearTimeout(firstByte);
      const headers = previewResponseHeaders(up.rawHeaders, { ...ctx, upgrade: true });
      const lines = [`HTTP/1.1 101 ${up.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i + 1 < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      entry.upgrades.add(upSocket);
      upSocket.on('data', (chunk: Buffer) => this.deps.metrics.previewBytes.inc({ direction: 'down' }, chunk.length));
      socket.on('data', (chunk: Buffer) => this.deps.metrics.previewBytes.inc({ direction: 'up' }, chunk.length));
      const both = () => {
        entry.upgrades.delete(upSocket);
        socket.destroy();
        upSocket.destroy();
      };
      pipeline(upSocket, socket, both);
      pipeline(socket, upSocket, both);
    });
    upstream.once('response', (up) => {
      // The app did not switch protocols: its answer goes back as it is, and the connection closes.
      clearTimeout(firstByte);
      const headers = previewResponseHeaders(up.rawHeaders, ctx);
      const lines = [`HTTP/1.1 ${up.statusCode} ${up.statusMessage ?? ''}`, 'Connection: close'];
      for (let i = 0; i + 1 < headers.length; i += 2) if (!/^content-length$/i.test(headers[i]!)) lines.push(`${headers[i]}: ${headers[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      pipeline(up, socket, () => socket.destroy());
    });
    upstream.once('error', (err: Error) => {
      clearTimeout(firstByte);
      const stderr = (upstream.socket as { stderr?: string } | null)?.stderr ?? '';
      this.fail(req, 'refused', `${err.message}${stderr ? `: ${stderr.trim().slice(0, 200)}` : ''}`, grant.port);
      if (socket.writable && !socket.destroyed) raw(0, 'refused', security, grant.port);
    });
    upstream.end();
  }
}

const firstHeader = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * An idle kept-alive upstream connection (an exec) is closed after this:
 * below Apache's default KeepAliveTimeout (5 s; nginx 75 s), so the proxy
 * closes first and rarely sends a request on a connection the app is closing.
 */
export const UPSTREAM_KEEPALIVE_MS = 4_000;
