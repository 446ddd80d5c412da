/**
 * Configuration of the lab server, read once from the environment and
 * validated with zod. Every knob has a default that works on one machine
 * (`npm start`); a bad value stops the server at startup with a message that
 * names the variable, what was expected and what was given, instead of a
 * surprise at the first session.
 *
 * Durations accept `500ms`, `90s`, `30m`, `4h` (or plain milliseconds);
 * sizes accept `256k`, `1g`, `1.5g` (binary units, or plain bytes).
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parsePrepull } from './sandbox/prepull.ts';
import { SANDBOX_IMAGE } from './sandbox/spec.ts';

/** LAB_MAX_SESSIONS when unset, before capacity.ts lowers it to what the host holds. */
export const DEFAULT_MAX_SESSIONS = 20;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]!);
}

export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

/** A transform reading a variable's text with `parse`; undefined is invalid: `expected …, got "text"`. */
const read =
  <T>(expected: string, parse: (text: string) => T | undefined) =>
  (text: string, ctx: z.RefinementCtx): T => {
    const value = parse(text);
    if (value === undefined) ctx.addIssue({ code: 'custom', message: `expected ${expected}, got "${text}"` });
    return value ?? z.NEVER;
  };
/** A variable with a default; `unit` is what the README shows as its kind of value. */
const defaulted = <T>(fallback: string, unit: string, expected: string, parse: (text: string) => T | undefined) =>
  z.string().default(fallback).transform(read(expected, parse)).meta({ unit });

const inRange = (n: number | undefined, min: number, max = Infinity) => (n !== undefined && n >= min && n <= max ? n : undefined);
const whole = (min: number, max: number) => (text: string) => (/^\s*\d+\s*$/.test(text) ? inRange(Number(text), min, max) : undefined);
const duration = (fallback: string, min = 0) =>
  defaulted(fallback, 'duration', `a duration like 90s, 30m, 4h (at least ${min} ms)`, (t) => inRange(parseDuration(t), min));
const size = (fallback: string, min = 0) =>
  defaulted(fallback, 'size', `a size like 256k, 1g (at least ${min} bytes)`, (t) => inRange(parseSize(t), min));
const int = (fallback: number, min: number, max: number) =>
  defaulted(String(fallback), `${min}–${max}`, `a whole number from ${min} to ${max}`, whole(min, max));
const number = (fallback: number, min: number, max: number) =>
  defaulted(String(fallback), `${min}–${max}`, `a number from ${min} to ${max}`, (t) => (t.trim() === '' ? undefined : inRange(Number(t), min, max)));
/** A whole number, or undefined when unset or `auto` (the default is derived at start, see main.ts). */
const optionalInt = (min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((text, ctx) =>
      text === undefined || ['', 'auto'].includes(text.trim())
        ? undefined
        : read(`auto or a whole number from ${min} to ${max}`, whole(min, max))(text, ctx),
    )
    .meta({ unit: `auto, ${min}–${max}` });
const ON = ['on', 'true', '1', 'yes'];
const OFF = ['off', 'false', '0', 'no'];
const onOff = (fallback: 'on' | 'off') =>
  defaulted(fallback, 'on/off', 'on or off', (t) =>
    ON.includes(t.trim().toLowerCase()) ? true : OFF.includes(t.trim().toLowerCase()) ? false : undefined,
  );

/** A comma- or space-separated list, each item read by `item`. */
const list = <T>(expected: string, item: (text: string) => T | undefined) =>
  z
    .string()
    .default('')
    .transform((text, ctx) =>
      text
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((raw) => read(expected, item)(raw, ctx)),
    )
    .meta({ unit: 'list' });

/** Host names (no port) allowed in Host besides the machine's own; see origin.ts. */
const hostList = list('a host name like lab.example.org, *.example.org or an IP', (item) =>
  /^(\*\.)?[a-z0-9.-]+$|^\[?[0-9a-f:.]+\]?$/i.test(item) ? item.toLowerCase().replace(/^\[|\]$/g, '') : undefined,
);

/** host:port for a second listener (metrics, health); undefined when unset. */
const listenAddress = z
  .string()
  .optional()
  .transform((text, ctx) =>
    text?.trim()
      ? read('host:port like 127.0.0.1:9464', (t) => {
          const m = /^\s*(?:\[([0-9a-f:.]+)\]|([^:\s]+)):(\d{1,5})\s*$/i.exec(t);
          return m && Number(m[3]) <= 65535 ? { host: (m[1] ?? m[2])!, port: Number(m[3]) } : undefined;
        })(text, ctx)
      : undefined,
  );

/** An origin as browsers send it: scheme://host[:port], nothing else. */
function normalizeOrigin(text: string): string | undefined {
  const url = URL.parse(text);
  return url && /^https?:$/.test(url.protocol) && url.pathname === '/' && !url.search && !url.hash && !url.username ? url.origin : undefined;
}

const originList = list('an origin like https://docs.example.org', normalizeOrigin);
const optionalOrigin = z
  .string()
  .optional()
  .transform((text, ctx) => (text?.trim() ? read('an origin like https://docs.example.org', normalizeOrigin)(text.trim(), ctx) : undefined));

/** A registry's root URL (http or https, no path, query or credentials). */
const registryUrl = (fallback: string) =>
  defaulted(
    fallback,
    'URL',
    'a registry root URL like https://registry.example.org (credentials go in LAB_HUB_USERNAME / LAB_HUB_PASSWORD)',
    (text) => {
      const url = URL.parse(text.trim());
      return url && /^https?:$/.test(url.protocol) && !url.username && !url.password && !url.search && !url.hash && url.pathname === '/'
        ? url.origin
        : undefined;
    },
  );

/** `loopback`, `private`, IPs and CIDRs; see origin.ts for how they are used. */
const proxyList = list('loopback, private, an IP or a CIDR', (item) => {
  const [ip = '', bits] = item.split('/');
  const isV4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);
  const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (isV4 ? 32 : 128));
  return item === 'loopback' || item === 'private' || ((isV4 || ip.includes(':')) && bitsOk) ? item : undefined;
});

/**
 * Every variable the server reads, described once: default (or `shown`, when
 * it is derived), value kind (`unit`, set by the helpers above) and meaning.
 * The README's table is generated from this (npm run docs:lab; readme-tables.test.ts).
 */
export const EnvSchema = z
  .object({
    PORT: int(4321, 0, 65535).describe('listen port (`0`: any free port, logged)'),
    HOST: z.string().min(1).default('0.0.0.0').describe('listen address'),
    LOG_LEVEL: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      .default('info')
      .describe('pino level; logs are JSON lines on stdout'),
    LAB_INSTANCE: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,39}$/, 'expected 1-40 of a-z 0-9 _ . - (starting with a letter or digit)')
      .default('lab')
      .describe('name in the `lab.owner` label of every Docker object; two servers on one engine need two names'),
    LAB_SITE_DIR: z.string().default(path.join(repoRoot, 'dist')).meta({ shown: '<repo>/dist', description: 'the built site to serve' }),
    LAB_CHALLENGES_DIR: z.string().default(path.join(repoRoot, 'content/challenges')).meta({
      shown: '<repo>/content/challenges',
      description: "the challenges' check scripts (`<id>.sh`), read once at start: `POST /lab/check` runs only these",
    }),
    LAB_CHECK_TIMEOUT: duration('15s', 1000).describe(
      'a challenge check still running then is killed (in the sandbox: `timeout`), answered as not passed',
    ),
    LAB_CHECK_OUTPUT: size('8k', 256).describe("a check's output kept (the last bytes; the rest is read and discarded)"),
    LAB_CHECK_RATE: number(12, 0.1, 100_000).describe(
      'challenge checks per session and minute, as many at once (429 `rate-limited`); one at a time (429 `check-running`)',
    ),

    // --- port preview (issue 11, preview/) -------------------------------------
    LAB_PREVIEW_LISTEN: listenAddress.meta({
      shown: '`HOST`:`PORT`+1 (`0` when `PORT` is `0`)',
      description:
        "`host:port` of the port preview's own listener: a separate origin from the lab's, so a previewed page never runs with the lab's privileges",
    }),
    LAB_PREVIEW_ORIGIN: optionalOrigin.meta({
      shown: 'from `Host`, on the preview port',
      description:
        'the preview origin as browsers reach it, behind a reverse proxy (e.g. `https://preview.example.org`: one extra host name, no wildcard DNS); the lab pages may frame only it',
    }),
    LAB_PREVIEW_MAX_BODY: size('10m', 1024).describe(
      'request body a preview forwards to the app (413 beyond): form posts and uploads of a lesson app, not bulk transfers',
    ),
    LAB_PREVIEW_FIRST_BYTE_TIMEOUT: duration('20s', 1000).describe(
      "a previewed app that has not started its answer by then gets 504 (a Korean page that retries); below `LAB_SOCKET_IDLE_TIMEOUT`, which would cut the browser's connection first",
    ),
    LAB_PREVIEW_CONNECTIONS: int(12, 1, 1000).describe(
      "upstream connections per session into its sandbox (each one `docker exec`): requests beyond wait for one, WebSocket upgrades beyond get 503. 12 = a browser's 6 per host for the inline panel and a tab",
    ),

    // --- who may talk to us -------------------------------------------------
    LAB_PUBLIC_ORIGIN: optionalOrigin.meta({ shown: 'from `Host`', description: "the server's own origin; **set it in production**" }),
    LAB_ALLOWED_ORIGINS: originList.describe('other origins allowed to use the labs (comma-separated), get CORS with credentials'),
    LAB_TRUSTED_PROXY: proxyList.describe('`loopback`, `private`, IPs, CIDRs: whose `X-Forwarded-For/-Proto/-Host` to believe'),
    LAB_COOKIE_SAMESITE: z
      .enum(['Strict', 'Lax', 'None'])
      .default('Strict')
      .describe('`None` for a site on another origin (forces `Secure`, so HTTPS)'),
    LAB_COOKIE_SECURE: z.enum(['auto', 'on', 'off']).default('auto').describe('`auto` = when the request came over HTTPS'),
    LAB_ALLOWED_HOSTS: hostList.describe(
      "host names (`*.example.org` for subdomains) or addresses accepted in `Host` besides loopback (`localhost`, `*.localhost`, 127.0.0.0/8, ::1), this machine's host name and interface addresses, and the hosts of `LAB_PUBLIC_ORIGIN`/`LAB_ALLOWED_ORIGINS`. Any other `Host` gets 421 on every route (DNS rebinding), logged once a minute per host with this variable's name",
    ),
    LAB_METRICS_TOKEN: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .describe("when set, `/metrics` on the site's port needs `Authorization: Bearer <token>` (401 otherwise)"),
    LAB_ADMIN_LISTEN: listenAddress.describe(
      "`host:port` (e.g. `127.0.0.1:9464`) of a second listener serving only `/metrics` and `/healthz`; `/metrics` then leaves the site's port (404)",
    ),

    // --- connections (see README: limits) ---------------------------------------
    LAB_NOFILE: int(65536, 1024, 1_048_576).describe(
      'RLIMIT_NOFILE the server raises itself to at start (`prlimit`; above the hard limit only with CAP_SYS_RESOURCE; a warning says when it could not)',
    ),
    LAB_MAX_CONNECTIONS: optionalInt(16, 1_048_576).meta({
      shown: 'RLIMIT_NOFILE − `LAB_FD_RESERVE`',
      description: 'open TCP connections in all; more are closed at accept',
    }),
    LAB_FD_RESERVE: int(1024, 64, 1_048_576).describe(
      "descriptors kept out of the connection cap for Docker's sockets and exec streams, files, logs",
    ),
    LAB_MAX_CONNECTIONS_PER_CLIENT: int(256, 1, 1_048_576).describe(
      'open TCP connections per client (IPv4 address or IPv6 /64): a class of 30 behind one NAT holds ~30 × (1 WebSocket + up to 6 keep-alive); a trusted proxy is not capped per client',
    ),
    LAB_HEADERS_TIMEOUT: duration('10s', 1000).describe('request headers must be complete by then (408)'),
    LAB_REQUEST_TIMEOUT: duration('30s', 1000).describe('the whole request (headers and body) by then (408); at least `LAB_HEADERS_TIMEOUT`'),
    LAB_SOCKET_IDLE_TIMEOUT: duration('30s', 1000).describe(
      'an HTTP connection where no byte moved either way for this long is closed (a client that stopped reading)',
    ),
    LAB_KEEPALIVE_TIMEOUT: duration('5s', 100).describe('idle keep-alive connections between requests'),
    LAB_WS_PER_SESSION: optionalInt(1, 100_000).meta({
      shown: '2 × `LAB_MAX_TERMINALS` (8)',
      description: 'WebSockets per session (close 4012 beyond)',
    }),
    LAB_WS_PER_CLIENT: optionalInt(1, 1_000_000).meta({
      shown: 'per session × `LAB_MAX_SESSIONS_PER_CLIENT` (32)',
      description: 'WebSockets per client (close 4012 beyond)',
    }),
    LAB_WS_HELLO_TIMEOUT: duration('5s', 500).describe('a socket that sent no `hello` by then is closed (4005)'),
    LAB_INPUT_HIGH_WATER: size('64k', 1024).describe('keyboard input queued for a shell before its socket stops being read'),
    LAB_RESIZE_INTERVAL: duration('100ms').describe('shortest time between two resizes of one terminal (each is an Engine API call)'),
    LAB_UNUSED_TIMEOUT: duration('2m', 1000).describe(
      'a session that never attached a terminal ends and frees its slot after this long without a socket (from its creation or its last socket)',
    ),

    // --- sessions -------------------------------------------------------------
    LAB_IDLE_TIMEOUT: duration('30m', 1000).describe('idle time after the grace period before a detached session ends'),
    LAB_MAX_LIFETIME: duration('4h', 1000).describe('hard end of every session'),
    LAB_DETACH_GRACE: duration('3m').describe('after the last socket closes, before the idle clock starts'),
    LAB_MAX_SESSIONS: optionalInt(1, 10_000).meta({
      shown: `${DEFAULT_MAX_SESSIONS}, or fewer if the host cannot hold them (capacity.ts)`,
      description: 'global cap (503 `over-capacity`); see *Limits*',
    }),
    LAB_MAX_SESSIONS_PER_CLIENT: int(4, 1, 10_000).describe('per client: an IPv4 address or an IPv6 /64 (a school behind NAT: raise it)'),
    LAB_MAX_TERMINALS: int(4, 1, 64).describe('terminals per session'),
    LAB_SESSION_RATE: number(6, 0.1, 100_000).describe('new sessions per client and minute (429 `rate-limited`)'),
    LAB_SESSION_BURST: int(10, 1, 100_000).describe('new sessions per client at once'),
    LAB_OUTPUT_BUFFER: size('256k', 4096).describe('replay buffer per terminal'),
    LAB_WS_RATE: number(200, 1, 100_000).describe('messages per socket and second (close 4008)'),
    LAB_WS_BURST: int(400, 1, 1_000_000).describe('messages per socket at once'),
    LAB_WS_HIGH_WATER: size('1m', 16 * 1024).describe('pause the shell above this much unsent output (resume below ¼)'),

    // --- sandboxes -----------------------------------------------------------
    LAB_SANDBOX_IMAGE: z.string().min(1).default(SANDBOX_IMAGE).describe('the sandbox image'),
    LAB_SANDBOX_CPUS: number(Math.min(2, availableParallelism()), 0.1, 64).meta({
      shown: '2 (or every core, if fewer)',
      description:
        "NanoCpus (CPU quota). Not lower than the largest `--cpus` a lesson runs inside (1.5): a child cgroup cannot get more quota than its parent. Busy sandboxes share the cores by CPU shares, equal for every container (Docker's 1024)",
    }),
    LAB_SANDBOX_MEMORY: size('1536m', 128 * 1024 ** 2).describe('Memory = MemorySwap, inner containers included, OOM killer on'),
    LAB_SANDBOX_PIDS: int(1024, 64, 1_000_000).describe('PidsLimit'),
    LAB_SANDBOX_DISK: size('4g', 256 * 1024 ** 2).describe('disk limit (see below)'),
    LAB_DISK_CHECK_INTERVAL: duration('15s', 1000).describe('usage checks (warn at 80%, end at 100% of what is not hard-limited)'),
    LAB_DISK_MODE: z
      .enum(['auto', 'loop', 'watch'])
      .default('auto')
      .describe('`loop` (hard limit), `watch` (periodic checks), `auto` = loop when possible'),
    LAB_DISK_DIR: z.string().min(1).default('/var/lib/lab-disks').describe('sparse disk files of loop volumes (per instance subdirectory)'),
    LAB_EGRESS: onOff('off').describe(
      "`on`: per-sandbox bridge with internet, for the reader's shell and inner containers too (the image routes its nested namespace out, see images/sandbox/README.md); other sandboxes, the host and 169.254.0.0/16 blocked",
    ),
    LAB_RUNTIME: z
      .string()
      .optional()
      .transform((v) => (v && v.trim() ? v.trim() : undefined))
      .meta({
        shown: 'engine default',
        description: 'e.g. `sysbox-runc` on hosts that have it; `/healthz` is 503 while the engine lacks it (checked against `docker info`)',
      }),
    LAB_WARM_POOL: int(1, 0, 100).describe('booted sandboxes waiting for sessions'),
    LAB_WARM_POOL_REFILL_DELAY: duration('2s').describe(
      "after a reader takes a warm sandbox, its replacement boots this much later (a boot would share the CPU with that reader's first seconds); 0 = at once",
    ),
    LAB_BOOT_CONCURRENCY: int(2, 1, 64).describe('boots at once (session boots go first)'),
    LAB_PREPULL: z
      .string()
      .default('nginx,busybox:1.29,busybox')
      .transform((v, ctx) => {
        try {
          return parsePrepull(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      })
      .describe(
        "lesson images a warm-pool sandbox pulls from the mirror while it waits, so the reader's first `docker run` finds them (sandbox/prepull.ts; disk per pooled sandbox: the images' size); `off` for none",
      ),
    LAB_BOOT_TIMEOUT: duration('60s', 1000).describe('a boot that takes longer fails'),
    LAB_RECONCILE_INTERVAL: duration('60s', 1000).describe('orphan sweep (also once at start, before listening)'),
    LAB_SHUTDOWN_TIMEOUT: duration('20s', 1000).describe('SIGTERM/SIGINT to exit, hard bound'),
    LAB_MIRROR: onOff('on').describe('start/adopt the mirror container (off: a second server on one engine, in tests)'),
    LAB_HUB_CACHE: onOff('off').describe(
      'also run the pull-through cache (`lab-mirror-proxy`, images/registry/proxy.yml); sandboxes ask it, as their second mirror, for images the offline mirror lacks, and it keeps them for every sandbox. Needs a host that reaches the upstream',
    ),
    LAB_HUB_UPSTREAM: registryUrl('https://registry-1.docker.io').describe(
      "what the cache pulls from: Docker Hub, or an organisation's own registry mirroring it (Harbor, Nexus, …); a root URL, http or https",
    ),
    LAB_HUB_USERNAME: z.string().optional().describe('credentials for the upstream (both or neither); passed to the cache container'),
    LAB_HUB_PASSWORD: z.string().optional().describe('see `LAB_HUB_USERNAME`'),

    // --- class mode (issue 13; lab-server/src/classroom) ------------------------
    LAB_DB_PATH: z
      .string()
      .min(1)
      .default(path.join(repoRoot, '.lab', 'lab.db'))
      .meta({
        shown: '<repo>/.lab/lab.db',
        description: 'the SQLite file of classes, rosters, progress and help requests (created with its directory; kept across restarts)',
      }),
    LAB_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').max(256).optional().meta({
      shown: 'generated',
      description:
        "the instructor's login token for `/instructor/`; unset: one is generated on the first start, printed once to the log, and only its hash kept (`LAB_DB_PATH`)",
    }),
    LAB_ANONYMOUS_LABS: onOff('on').describe('`off`: labs only for learners who joined a class (`/join/`); others get 403 `class-only`'),
    LAB_JOIN_RATE: number(60, 1, 100_000).describe(
      'class joins per client and minute, as many at once (429 `rate-limited`; a class behind one NAT joins from one address)',
    ),
    LAB_LOGIN_RATE: number(5, 0.1, 1000).describe('instructor login attempts per client and minute, as many at once (429 `rate-limited`)'),
    LAB_CLASS_FEEDS: int(20, 1, 1000).describe('instructor live feeds (`…/events`) open at once, in all (503 beyond)'),
  })
  .superRefine((env, ctx) => {
    if (!env.LAB_HUB_USERNAME !== !env.LAB_HUB_PASSWORD) {
      ctx.addIssue({
        code: 'custom',
        path: [env.LAB_HUB_USERNAME ? 'LAB_HUB_PASSWORD' : 'LAB_HUB_USERNAME'],
        message: 'set both LAB_HUB_USERNAME and LAB_HUB_PASSWORD, or neither',
      });
    }
    // A check answers after at most its limit + 7 s (check-exec.ts) with no byte moving meanwhile.
    if (env.LAB_CHECK_TIMEOUT + 7000 >= env.LAB_SOCKET_IDLE_TIMEOUT) {
      ctx.addIssue({
        code: 'custom',
        path: ['LAB_CHECK_TIMEOUT'],
        message: `must be more than 7 s below LAB_SOCKET_IDLE_TIMEOUT (${env.LAB_SOCKET_IDLE_TIMEOUT} ms), which would cut the connection first`,
      });
    }
    if (env.LAB_PREVIEW_FIRST_BYTE_TIMEOUT >= env.LAB_SOCKET_IDLE_TIMEOUT) {
      ctx.addIssue({
        code: 'custom',
        path: ['LAB_PREVIEW_FIRST_BYTE_TIMEOUT'],
        message: `must be below LAB_SOCKET_IDLE_TIMEOUT (${env.LAB_SOCKET_IDLE_TIMEOUT} ms), which would cut the connection first`,
      });
    }
    if (env.LAB_COOKIE_SAMESITE === 'None' && env.LAB_COOKIE_SECURE === 'off') {
      ctx.addIssue({ code: 'custom', path: ['LAB_COOKIE_SECURE'], message: 'SameSite=None cookies must be Secure (browsers drop them otherwise)' });
    }
  });

/** The server's settings, grouped by part, as loadConfig derives them from the environment. */
export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid lab server configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment (only the variables above are read); throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  // Empty strings count as unset, so `LAB_X= npm start` means "default".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        const given = cleaned[name];
        const detail = issue.code === 'invalid_value' && given !== undefined ? `${issue.message}, got "${given}"` : issue.message;
        return `${name}: ${detail}`;
      }),
    );
  }
  const e = parsed.data;
  const maxSessions = e.LAB_MAX_SESSIONS ?? DEFAULT_MAX_SESSIONS;
  const maxPerClient = Math.min(e.LAB_MAX_SESSIONS_PER_CLIENT, maxSessions);
  const wsPerSession = e.LAB_WS_PER_SESSION ?? 2 * e.LAB_MAX_TERMINALS;
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    instance: e.LAB_INSTANCE,
    siteDir: path.resolve(e.LAB_SITE_DIR),
    checks: {
      dir: path.resolve(e.LAB_CHALLENGES_DIR),
      timeoutMs: e.LAB_CHECK_TIMEOUT,
      outputBytes: e.LAB_CHECK_OUTPUT,
      perMinute: e.LAB_CHECK_RATE,
    },
    preview: {
      listen: e.LAB_PREVIEW_LISTEN ?? { host: e.HOST, port: e.PORT === 0 || e.PORT === 65535 ? 0 : e.PORT + 1 },
      origin: e.LAB_PREVIEW_ORIGIN,
      maxBodyBytes: e.LAB_PREVIEW_MAX_BODY,
      firstByteTimeoutMs: e.LAB_PREVIEW_FIRST_BYTE_TIMEOUT,
      connectionsPerSession: e.LAB_PREVIEW_CONNECTIONS,
    },
    publicOrigin: e.LAB_PUBLIC_ORIGIN,
    allowedOrigins: e.LAB_ALLOWED_ORIGINS,
    trustedProxies: e.LAB_TRUSTED_PROXY,
    cookie: { sameSite: e.LAB_COOKIE_SAMESITE, secure: e.LAB_COOKIE_SAMESITE === 'None' ? 'on' : e.LAB_COOKIE_SECURE },
    allowedHosts: e.LAB_ALLOWED_HOSTS,
    metricsToken: e.LAB_METRICS_TOKEN,
    adminListen: e.LAB_ADMIN_LISTEN,
    connections: {
      nofile: e.LAB_NOFILE,
      /** undefined: RLIMIT_NOFILE - fdReserve, known once the limit is raised (main.ts). */
      max: e.LAB_MAX_CONNECTIONS,
      fdReserve: e.LAB_FD_RESERVE,
      perClient: e.LAB_MAX_CONNECTIONS_PER_CLIENT,
      headersTimeoutMs: e.LAB_HEADERS_TIMEOUT,
      requestTimeoutMs: Math.max(e.LAB_REQUEST_TIMEOUT, e.LAB_HEADERS_TIMEOUT),
      socketIdleTimeoutMs: e.LAB_SOCKET_IDLE_TIMEOUT,
      keepAliveTimeoutMs: e.LAB_KEEPALIVE_TIMEOUT,
    },
    ws: {
      perSession: wsPerSession,
      perClient: e.LAB_WS_PER_CLIENT ?? wsPerSession * maxPerClient,
      helloTimeoutMs: e.LAB_WS_HELLO_TIMEOUT,
    },
    sessions: {
      idleTimeoutMs: e.LAB_IDLE_TIMEOUT,
      maxLifetimeMs: e.LAB_MAX_LIFETIME,
      detachGraceMs: e.LAB_DETACH_GRACE,
      maxSessions,
      /** False when LAB_MAX_SESSIONS is unset: main.ts lowers maxSessions to what the host holds. */
      maxSessionsExplicit: e.LAB_MAX_SESSIONS !== undefined,
      maxPerClient,
      unusedTimeoutMs: e.LAB_UNUSED_TIMEOUT,
      maxTerminals: e.LAB_MAX_TERMINALS,
      createPerMinute: e.LAB_SESSION_RATE,
      createBurst: e.LAB_SESSION_BURST,
    },
    terminal: {
      bufferBytes: e.LAB_OUTPUT_BUFFER,
      rate: e.LAB_WS_RATE,
      burst: e.LAB_WS_BURST,
      highWaterBytes: e.LAB_WS_HIGH_WATER,
      lowWaterBytes: Math.floor(e.LAB_WS_HIGH_WATER / 4),
      inputHighWaterBytes: e.LAB_INPUT_HIGH_WATER,
      resizeIntervalMs: e.LAB_RESIZE_INTERVAL,
    },
    sandbox: {
      image: e.LAB_SANDBOX_IMAGE,
      nanoCpus: Math.round(e.LAB_SANDBOX_CPUS * 1e9),
      memoryBytes: e.LAB_SANDBOX_MEMORY,
      pidsLimit: e.LAB_SANDBOX_PIDS,
      diskBytes: e.LAB_SANDBOX_DISK,
      diskCheckIntervalMs: e.LAB_DISK_CHECK_INTERVAL,
      diskMode: e.LAB_DISK_MODE,
      diskDir: path.join(path.resolve(e.LAB_DISK_DIR), e.LAB_INSTANCE),
      egress: e.LAB_EGRESS,
      runtime: e.LAB_RUNTIME,
      warmPool: e.LAB_WARM_POOL,
      warmPoolRefillDelayMs: e.LAB_WARM_POOL_REFILL_DELAY,
      bootConcurrency: e.LAB_BOOT_CONCURRENCY,
      prepull: e.LAB_PREPULL,
      bootTimeoutMs: e.LAB_BOOT_TIMEOUT,
    },
    classroom: {
      dbPath: path.resolve(e.LAB_DB_PATH),
      adminToken: e.LAB_ADMIN_TOKEN,
      anonymousLabs: e.LAB_ANONYMOUS_LABS,
      joinPerMinute: e.LAB_JOIN_RATE,
      loginPerMinute: e.LAB_LOGIN_RATE,
      maxFeeds: e.LAB_CLASS_FEEDS,
    },
    reconcileIntervalMs: e.LAB_RECONCILE_INTERVAL,
    shutdownTimeoutMs: e.LAB_SHUTDOWN_TIMEOUT,
    mirror: e.LAB_MIRROR,
    /** The pull-through cache for images the offline mirror lacks; undefined when off. */
    hubCache: e.LAB_HUB_CACHE
      ? { upstream: e.LAB_HUB_UPSTREAM, username: e.LAB_HUB_USERNAME || undefined, password: e.LAB_HUB_PASSWORD || undefined }
      : undefined,
  };
}
