/**
 * Composition root of the lab server: the one place that constructs things
 * and wires them together. Read top to bottom, it is the architecture:
 *
 *   config ─► docker ─► SandboxDriver ─► SandboxPool ─► Lab (sessions, terminals)
 *                                │                        │
 *                                ├► Mirror                ├► Gateway (WebSocket /lab/ws)
 *                                └► Reconciler            └► HTTP (session, check, healthz, metrics, site)
 *
 * Lifecycle: start = reconcile away what a previous run left behind, adopt or
 * start the mirror, fill the warm pool, listen. SIGTERM/SIGINT = refuse new
 * work, end every session, remove every sandbox, exit, all within
 * LAB_SHUTDOWN_TIMEOUT (a hard timer exits regardless).
 */
import { existsSync, statfsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { totalmem } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { sessionCapacity } from './capacity.ts';
import { Checks, loadChallenges } from './challenges.ts';
import { CountedCaps } from './counted-caps.ts';
import { raiseNofile } from './fd-limit.ts';
import { Gateway } from './gateway.ts';
import { Health } from './health.ts';
import { createAdminHandler, createRequestHandler, hostGuard, readCookie, watchTossedCookies } from './http.ts';
import { Lab } from './lab.ts';
import { Metrics } from './metrics.ts';
import { OriginPolicy, clientKey, normalizeIp } from './origin.ts';
import { PreviewApi } from './preview/api.ts';
import { PreviewOrigins } from './preview/origins.ts';
import { PreviewProxy, UPSTREAM_KEEPALIVE_MS } from './preview/proxy.ts';
import { PreviewRegistry } from './preview/registry.ts';
import type { Session } from './sessions.ts';
import { ADMIN_COOKIE, CloseCode } from './protocol.ts';
import { createDataVolumes } from './sandbox/data-volume.ts';
import { createEgressFirewall } from './sandbox/egress-firewall.ts';
import { Naming } from './sandbox/labels.ts';
import { Mirror } from './sandbox/mirror.ts';
import { SandboxPool } from './sandbox/pool.ts';
import { Reconciler } from './sandbox/reconciler.ts';
import { sandboxDriverFromConfig } from './sandbox/docker-driver.ts';
import { hubCacheSpec, mirrorSpec } from './sandbox/spec.ts';
import { StaticSite } from './static-site.ts';
import { AdminAuth } from './classroom/auth.ts';
import { createClassroomRoutes } from './classroom/http.ts';
import { MirrorHub } from './classroom/mirror.ts';
import { ClassroomSeats } from './classroom/seats.ts';
import { SqliteStore } from './classroom/store.ts';

export interface RunningServer {
  url: string;
  shutdown(reason: string): Promise<void>;
}

/** Free bytes of the filesystem holding `dir` (or its nearest existing parent). */
function freeBytes(dir: string): number | undefined {
  while (!existsSync(dir) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return undefined;
  }
}

export async function startServer(config: Config): Promise<RunningServer> {
  const log = pino({ level: config.logLevel, base: { instance: config.instance } });

  // --- limits that depend on the host (README: limits) ----------------------
  const nofile = raiseNofile(config.connections.nofile);
  if (nofile.problem) log.warn({ problem: nofile.problem, limit: nofile.limit }, 'could not raise RLIMIT_NOFILE to LAB_NOFILE');
  const fdLimit = nofile.limit?.soft ?? 1024;
  const maxConnections = config.connections.max ?? Math.max(16, fdLimit - config.connections.fdReserve);
  log.info(
    { fdLimit, maxConnections, perClient: config.connections.perClient, wsPerSession: config.ws.perSession, wsPerClient: config.ws.perClient },
    'connection limits',
  );
  const docker = new Docker();
  const naming = new Naming(config.instance);
  if (!config.sessions.maxSessionsExplicit) {
    // The engine's host is what sandboxes use up (DOCKER_HOST may be another machine): its memory
    // from `docker info`, its disk where it is visible here (the engine's root dir, the loop disks).
    const info = (await Promise.race([docker.info().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())])) as
      { MemTotal?: number; DockerRootDir?: string } | undefined;
    const rootDir = info?.DockerRootDir ?? '/var/lib/docker';
    const dirs = [config.sandbox.diskDir, ...(existsSync(rootDir) ? [rootDir] : [])];
    const capacity = sessionCapacity(
      { totalMemoryBytes: info?.MemTotal || totalmem(), freeDiskBytes: dirs.map(freeBytes).filter((n): n is number => n !== undefined) },
      { memoryBytes: config.sandbox.memoryBytes, diskBytes: config.sandbox.diskBytes },
      config.sessions.maxSessions,
    );
    const maxSessions = capacity.maxSessions;
    config = { ...config, sessions: { ...config.sessions, maxSessions, maxPerClient: Math.min(config.sessions.maxPerClient, maxSessions) } };
    log.info(
      { maxSessions, limitedBy: capacity.limitedBy, byMemory: capacity.byMemory, byDisk: capacity.byDisk },
      `session cap ${maxSessions} derived from this host (${capacity.limitedBy}); set LAB_MAX_SESSIONS to choose`,
    );
  }

  // --- sandboxes -------------------------------------------------------------
  const egress = config.sandbox.egress ? await createEgressFirewall(config.instance, log) : undefined;
  const volumes = await createDataVolumes({
    docker,
    mode: config.sandbox.diskMode,
    dir: config.sandbox.diskDir,
    bytes: config.sandbox.diskBytes,
    log: log.child({ part: 'disk' }),
  });
  const driver = sandboxDriverFromConfig({ docker, naming, sandbox: config.sandbox, volumes, egress, log: log.child({ part: 'driver' }) });
  const pool: SandboxPool = new SandboxPool(
    driver,
    {
      target: config.sandbox.warmPool,
      concurrency: config.sandbox.bootConcurrency,
      bootTimeoutMs: config.sandbox.bootTimeoutMs,
      refillDelayMs: config.sandbox.warmPoolRefillDelayMs,
    },
    log.child({ part: 'pool' }),
    { onBooted: (s) => metrics.bootSeconds.observe(s.bootMs / 1000), onAcquire: (source) => metrics.sandboxAcquired.inc({ source }) },
  );
  // Read at scrape time only, when `lab` and `connections` exist.
  const metrics: Metrics = new Metrics({ stats: () => lab.stats(), connections: () => connections.size });
  metrics.sessionsCapacity.set(config.sessions.maxSessions);
  const lab = new Lab({ config, pool, driver, metrics, log: log.child({ part: 'lab' }) });
  // Class mode (issue 13): classes, rosters, progress and help in LAB_DB_PATH (kept across restarts), the
  // instructor's login, and the lab side of a class (seats instead of per-IP caps, queue, warm pool, warnings).
  const classStore = new SqliteStore(config.classroom.dbPath);
  const classLog = log.child({ part: 'class' });
  const adminAuth = await AdminAuth.open(classStore, config.classroom.adminToken, classLog);
  const classSeats = new ClassroomSeats({ config, lab, pool, store: classStore, stats: driver, metrics, log: classLog });

  const mirror = new Mirror(docker, mirrorSpec(), naming.labels('mirror'), log.child({ part: 'mirror' }));
  const reconciler = new Reconciler(
    driver,
    () => pool.ownedIds(),
    log.child({ part: 'reconciler' }),
    async (known) => {
      await volumes.prune(known);
      await egress?.prune(new Set([...known].map((id) => naming.bridge(id))));
    },
  );

  // --- HTTP + WebSocket ------------------------------------------------------
  const policy = new OriginPolicy({
    publicOrigin: config.publicOrigin,
    allowedOrigins: config.allowedOrigins,
    trustedProxies: config.trustedProxies,
    allowedHosts: config.allowedHosts,
  });
  const health = new Health({
    docker,
    image: config.sandbox.image,
    runtime: config.sandbox.runtime,
    mirrorProblem: () => (config.mirror ? mirror.problem() : Promise.resolve(undefined)),
    stats: () => lab.stats(),
  });
  // The instructor's read-only terminal mirrors (admin cookie, Origin), closed when that login ends.
  const classMirrors = new MirrorHub({
    lab,
    policy,
    metrics,
    log: classLog.child({ part: 'mirror' }),
    adminOf: (req) => adminAuth.session(readCookie(req.headers.cookie, ADMIN_COOKIE)),
  });
  adminAuth.onEnd((id) => classMirrors.loggedOut(id));
  const gateway = new Gateway({ lab, policy, metrics, config, log: log.child({ part: 'ws' }), mirrors: classMirrors });
  // A page served under another name than LAB_PUBLIC_ORIGIN (a site built with PUBLIC_LAB_URL) may still reach the labs.
  const labOrigins = config.publicOrigin ? [config.publicOrigin, config.publicOrigin.replace(/^http/, 'ws')] : [];
  // Port preview (issue 11): a listener of its own = a separate origin (preview/proxy.ts); its port and
  // the lab's are known once both listen (below), and read when a request needs them.
  let previewPort = 0;
  let labPort = 0;
  const previewOrigins = new PreviewOrigins({
    configured: config.preview.origin,
    labOrigins: config.publicOrigin ? [config.publicOrigin, ...config.allowedOrigins] : [],
    ports: () => ({ preview: previewPort, lab: labPort }),
  });
  const previewRegistry = new PreviewRegistry<Session>();
  const previewPolicy = new OriginPolicy({
    publicOrigin: config.preview.origin,
    allowedOrigins: [],
    trustedProxies: config.trustedProxies,
    allowedHosts: config.allowedHosts,
  });
  const previewLog = log.child({ part: 'preview' });
  const previewProxy = new PreviewProxy<Session>({
    registry: previewRegistry,
    ports: driver,
    sandboxOf: (session) => lab.sandboxOf(session),
    origins: previewOrigins,
    isHttps: (req) => previewPolicy.isHttps(req),
    refuseForeignHost: hostGuard(previewPolicy, metrics, previewLog),
    isShuttingDown: () => lab.isShuttingDown,
    limits: {
      maxBodyBytes: config.preview.maxBodyBytes,
      firstByteTimeoutMs: config.preview.firstByteTimeoutMs,
      connectionsPerSession: config.preview.connectionsPerSession,
      keepAliveMs: UPSTREAM_KEEPALIVE_MS,
    },
    metrics,
    log: previewLog,
  });
  const previewApi = new PreviewApi<Session>({ registry: previewRegistry, ports: driver });
  const site = new StaticSite(config.siteDir, { connectSources: labOrigins, frameSources: () => previewOrigins.frameSources() });
  // Challenges: the check scripts, read once; a request names one by id (challenges.ts).
  const catalog = loadChallenges(config.checks.dir);
  if (catalog.missing) log.warn({ dir: config.checks.dir }, 'no challenges directory (LAB_CHALLENGES_DIR): every check is 404');
  for (const problem of catalog.problems) log.warn({ dir: config.checks.dir, problem }, 'challenge not loaded');
  log.info({ dir: config.checks.dir, challenges: catalog.challenges.size }, 'challenges loaded');
  const checks = new Checks({
    catalog,
    driver,
    timeoutMs: config.checks.timeoutMs,
    outputBytes: config.checks.outputBytes,
    perMinute: config.checks.perMinute,
  });
  const classRoutes = createClassroomRoutes({ config, store: classStore, lab: classSeats, auth: adminAuth, policy, metrics, log: classLog });
  classSeats.onChange(() => classRoutes.changed());
  // A lab_* cookie sent twice was added by another page of this host (the preview): counted and logged here, read as absent everywhere.
  const noteTossed = watchTossedCookies(policy, metrics, log.child({ part: 'http' }));
  const handler = createRequestHandler({
    config,
    lab,
    policy,
    metrics,
    health,
    site,
    checks,
    log: log.child({ part: 'http' }),
    previews: { api: previewApi, origins: previewOrigins },
    classroom: classRoutes,
    seats: classSeats,
  });
  const server = createServer(
    {
      // Trickled headers were cut only after 72-86 s (Node's 60 s, checked every 30 s).
      headersTimeout: config.connections.headersTimeoutMs,
      requestTimeout: config.connections.requestTimeoutMs,
      keepAliveTimeout: config.connections.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      noteTossed(req);
      void handler(req, res);
    },
  );
  // A reader that stopped reading moves no byte: closed after this (WebSockets clear it; ws pings them).
  server.setTimeout(config.connections.socketIdleTimeoutMs, (socket: Socket) => {
    metrics.connectionTimeouts.inc({ kind: 'idle' });
    socket.destroy();
  });
  server.on('upgrade', (req, socket, head) => {
    noteTossed(req);
    gateway.handleUpgrade(req, socket, head);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  // The preview origin's listener: the same timeouts, and the same connection caps (below).
  const previewServer = createServer(
    {
      headersTimeout: config.connections.headersTimeoutMs,
      requestTimeout: config.connections.requestTimeoutMs,
      keepAliveTimeout: config.connections.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    (req, res) => previewProxy.handle(req, res),
  );
  previewServer.setTimeout(config.connections.socketIdleTimeoutMs, (socket: Socket) => {
    metrics.connectionTimeouts.inc({ kind: 'idle' });
    socket.destroy();
  });
  previewServer.on('upgrade', (req, socket, head) => previewProxy.handleUpgrade(req, socket, head));
  previewServer.on('clientError', (_err, socket) => socket.destroy());

  // Connection caps, at accept: the process keeps LAB_FD_RESERVE descriptors for
  // Docker (its sockets and exec streams) and files whatever clients do. Behind
  // a trusted proxy every connection comes from the proxy: it is not capped per
  // client (its own limits apply, README), only globally.
  const connections = new CountedCaps(maxConnections, config.connections.perClient);
  const refusedLog = new Map<string, { count: number; at: number }>();
  const capConnection = (socket: Socket) => {
    const peer = normalizeIp(socket.remoteAddress ?? 'unknown');
    const proxy = policy.isTrustedProxyAddress(peer);
    const key = proxy ? `proxy ${peer}` : clientKey(peer);
    const verdict = connections.take(key, proxy ? Infinity : undefined);
    if (!verdict.ok) {
      const reason = verdict.reason === 'global-cap' ? 'global-cap' : 'client-cap';
      metrics.connectionsRefused.inc({ reason });
      socket.destroy();
      // One line per reason and client every 10 s, with how many were refused meanwhile.
      const tag = `${reason} ${key}`;
      const entry = refusedLog.get(tag) ?? { count: 0, at: 0 };
      entry.count++;
      if (Date.now() - entry.at > 10_000) {
        const variable = reason === 'global-cap' ? 'LAB_MAX_CONNECTIONS' : 'LAB_MAX_CONNECTIONS_PER_CLIENT';
        log.warn(
          { reason, client: key, refused: entry.count, limit: reason === 'global-cap' ? maxConnections : config.connections.perClient },
          `connection refused: ${variable} reached`,
        );
        entry.at = Date.now();
        entry.count = 0;
      }
      refusedLog.set(tag, entry);
      if (refusedLog.size > 10_000) refusedLog.clear();
      return;
    }
    socket.once('close', () => connections.release(key));
  };
  server.on('connection', capConnection);
  previewServer.on('connection', capConnection);

  // --- start -----------------------------------------------------------------
  try {
    await docker.ping();
    if (config.mirror) {
      const problem = await mirror.ensure().catch((err) => `mirror failed to start: ${String(err)}`);
      if (problem) log.warn({ problem }, 'mirror not running: sandboxes cannot pull images');
    }
    if (config.hubCache) {
      // Sandboxes already list it as their second --registry-mirror; it only needs to run.
      const hubCache = new Mirror(
        docker,
        hubCacheSpec(config.hubCache),
        naming.labels('mirror'),
        log.child({ part: 'hub-cache', upstream: config.hubCache.upstream }),
      );
      const problem = await hubCache.ensure().catch((err) => `pull-through cache failed to start: ${String(err)}`);
      if (problem) log.warn({ problem }, 'pull-through cache not running: only the offline images can be pulled');
    }
    const removed = await reconciler.runOnce();
    if (removed > 0) log.info({ removed }, 'removed objects left by a previous run');
  } catch (err) {
    log.error({ err: String(err) }, 'Docker engine unreachable at startup; serving the site, labs unavailable until it is back');
  }
  if (!existsSync(path.join(config.siteDir, 'index.html'))) {
    log.warn({ site: config.siteDir }, 'no built site here (npm run build): pages will be 404, the labs still work');
  }
  reconciler.start(config.reconcileIntervalMs);
  lab.start();
  classSeats.start();
  pool.refill();

  await new Promise<void>((resolve, reject) => {
    previewServer.once('error', reject);
    previewServer.listen(config.preview.listen.port, config.preview.listen.host, () => resolve());
  });
  const previewAddress = previewServer.address();
  previewPort = typeof previewAddress === 'object' && previewAddress ? previewAddress.port : config.preview.listen.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  // LAB_ADMIN_LISTEN: /metrics and /healthz on an address of their own (the monitoring network).
  let admin: ReturnType<typeof createServer> | undefined;
  if (config.adminListen) {
    const { host, port: adminPort } = config.adminListen;
    const adminHandler = createAdminHandler({ metrics, health, log: log.child({ part: 'admin' }) });
    admin = createServer(
      { headersTimeout: config.connections.headersTimeoutMs, requestTimeout: config.connections.requestTimeoutMs },
      (req, res) => void adminHandler(req, res),
    );
    admin.maxConnections = 64;
    await new Promise<void>((resolve, reject) => {
      admin!.once('error', reject);
      admin!.listen(adminPort, host, () => resolve());
    });
    const a = admin.address();
    log.info(
      { metrics: `http://${host.includes(':') ? `[${host}]` : host}:${typeof a === 'object' && a ? a.port : adminPort}/metrics` },
      'admin listener (LAB_ADMIN_LISTEN)',
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  labPort = port;
  log.info({ port: previewPort, host: config.preview.listen.host, origin: config.preview.origin }, 'port preview listening');
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
  log.info({ url, site: config.siteDir, instance: config.instance, warmPool: config.sandbox.warmPool }, 'lab server listening');
  // For the person who typed `npm start`: the one line that matters, readable.
  if (process.stderr.isTTY) process.stderr.write(`\n  수업과 실습: ${url}   (종료: Ctrl-C)\n\n`);

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs - 1000;
      log.info({ reason }, 'shutting down: refusing new sessions, removing sandboxes');
      reconciler.stop();
      // Keep listening meanwhile: /healthz answers 503 and new sockets get ShuttingDown.
      await lab.shutdown(deadline);
      gateway.close(CloseCode.ShuttingDown, 'shutting down');
      classMirrors.close();
      // Anything whose removal failed is an orphan now: one last pass.
      await Promise.race([reconciler.runOnce().catch(() => 0), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      classSeats.stop();
      classRoutes.close();
      server.close();
      server.closeAllConnections();
      previewProxy.close();
      previewServer.close();
      previewServer.closeAllConnections();
      admin?.close();
      admin?.closeAllConnections();
      classStore.close();
      log.info({ left: pool.ownedIds().size }, 'shut down');
    })();
    return stopping;
  };
  return { url, shutdown };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const running = await startServer(config);
  const onSignal = (signal: string) => {
    // The bound holds even if Docker hangs: a hard timer exits regardless.
    setTimeout(() => {
      process.stderr.write(`lab server: shutdown took longer than ${config.shutdownTimeoutMs} ms, exiting\n`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    running.shutdown(signal).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}

if (import.meta.main) {
  main().catch((err) => {
    process.stderr.write(`lab server failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
