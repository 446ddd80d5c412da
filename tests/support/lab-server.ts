/**
 * The one way tests, the lesson runner and the benchmarks start a real lab
 * server (node lab-server/src/main.ts) of their own.
 *
 * - Port 0: the kernel picks a free port and the server says which in its
 *   "lab server listening" log line, so two suites never race for a port.
 * - Ready means GET /healthz: 200 by default (a session would get a working
 *   sandbox). A test that starts a server broken on purpose (a missing
 *   runtime, a missing image) asks for `ready: 'answering'`: /healthz
 *   answered at all, 200 or 503.
 * - Its own LAB_INSTANCE, so its Docker objects are labelled as its own and
 *   no other server's reconciler removes them; `removeOwned(instance)` cleans
 *   up after it (the shared mirror stays).
 * - Its own class-mode database (LAB_DB_PATH in a temporary directory,
 *   removed when it exits) unless the caller names one.
 * - Every log line is kept in `logs` (tests read them), optionally copied to
 *   a file (e2e artifacts) and warnings echoed to stderr (the lesson runner).
 *   A line logged while answering a request can reach `logs` after the
 *   answer (the pipe and the socket are not ordered): `logged()` waits for
 *   it. CI once read `logs` a moment too early (the warm-pool test, at load).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './paths.ts';

const MAIN = path.join(ROOT, 'lab-server/src/main.ts');
/** The server's listen line carries its URL; it is logged at info, so the log level may not be above that. */
const LISTENING = 'lab server listening';
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);
/** pino's numeric level of `warn`. */
const WARN = 40;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A LAB_INSTANCE nobody else uses: `<prefix>-<8 hex>`. */
export const newInstance = (prefix = 'test') => `${prefix}-${randomBytes(4).toString('hex')}`;

interface LogEntry {
  msg?: string;
  url?: string;
  level?: number;
  err?: { message?: string } | string;
}

/** One line for a person: the message and the error's first line (the full entry stays in `logs`). */
const summary = (e: LogEntry) => {
  const err = typeof e.err === 'string' ? e.err : e.err?.message;
  return `${e.msg ?? ''}${err ? `: ${err.split('\n')[0]}` : ''}`;
};

export interface StartOptions {
  /** Environment on top of ours (PORT=0, HOST=127.0.0.1, LAB_INSTANCE, LOG_LEVEL=info). */
  env?: Record<string, string>;
  /** LAB_INSTANCE; default newInstance(). */
  instance?: string;
  /** 'healthy' (default): /healthz 200. 'answering': /healthz answers at all (for servers broken on purpose). */
  ready?: 'healthy' | 'answering';
  /** How long to wait for listening plus ready. Default 120 s (the first start may create the mirror). */
  timeoutMs?: number;
  /** Append every log line to this file too. */
  logFile?: string;
  /** Echo log lines at warn and above to stderr (people watching a long run see problems as they happen). */
  echoWarnings?: boolean;
}

export interface LabServer {
  /** Base URL from the server's own listen line, e.g. http://127.0.0.1:41234 */
  url: string;
  origin: string;
  port: number;
  instance: string;
  proc: ChildProcess;
  /** Every line the server printed (stdout and stderr), in order. */
  logs: string[];
  /** The first line containing `text`, waiting up to `ms` (default 10 s) for it to arrive; undefined if it did not. */
  logged(text: string, ms?: number): Promise<string | undefined>;
  /** Resolves with the exit code once the process is gone (-1 when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `killAfterMs` (default 60 s). */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | null>;
}

export async function startLabServer(options: StartOptions = {}): Promise<LabServer> {
  const instance = options.instance ?? newInstance();
  // Class mode's database: a file of this server's own unless the caller names one (a restart test names it twice).
  const ownDb = options.env?.LAB_DB_PATH ? undefined : mkdtempSync(path.join(tmpdir(), `lab-db-${instance}-`));
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    LAB_INSTANCE: instance,
    LOG_LEVEL: 'info',
    ...(ownDb ? { LAB_DB_PATH: path.join(ownDb, 'lab.db') } : {}),
    ...options.env,
  };
  if (QUIET_LEVELS.has(env.LOG_LEVEL))
    throw new Error(`LOG_LEVEL=${env.LOG_LEVEL} would hide the "${LISTENING}" line the starter reads the URL from`);
  if (options.logFile) mkdirSync(path.dirname(options.logFile), { recursive: true });

  const proc = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  if (ownDb) void exited.then(() => rmSync(ownDb, { recursive: true, force: true }));
  let onListening: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (onListening = resolve));

  const waiters = new Set<(line: string) => void>();
  const keep = (line: string) => {
    logs.push(line);
    for (const waiter of waiters) waiter(line);
    if (options.logFile) appendFileSync(options.logFile, `${line}\n`);
    if (process.env.LAB_TEST_VERBOSE) process.stderr.write(`[${instance}] ${line}\n`);
    let entry: LogEntry | undefined;
    try {
      entry = JSON.parse(line);
    } catch {
      // not one of pino's JSON lines (a crash trace): always worth showing
      if (options.echoWarnings && line.trim()) process.stderr.write(`[lab server] ${line}\n`);
      return;
    }
    if (entry?.msg === LISTENING && entry.url) onListening(entry.url);
    if (options.echoWarnings && (entry?.level ?? 0) >= WARN) process.stderr.write(`[lab server] ${summary(entry!)}\n`);
  };
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        keep(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    stream.on('end', () => buffered && keep(buffered));
  }

  const logged = (text: string, ms = 10_000) =>
    new Promise<string | undefined>((resolve) => {
      const found = logs.find((l) => l.includes(text));
      if (found !== undefined) return resolve(found);
      const done = (line: string | undefined) => {
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(line);
      };
      const waiter = (line: string) => line.includes(text) && done(line);
      const timer = setTimeout(() => done(undefined), ms);
      waiters.add(waiter);
    });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 60_000) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const tail = () => logs.slice(-30).join('\n');
  const failure = (why: string) => new Error(`lab server ${instance} ${why}; its last log lines:\n${tail()}`);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(failure(`did not listen within ${timeoutMs / 1000} s`)), timeoutMs);
      void listening.then((u) => (clearTimeout(timer), resolve(u)));
      void exited.then((code) => (clearTimeout(timer), reject(failure(`exited (${code}) before listening`))));
    });
    const wanted = options.ready ?? 'healthy';
    let last = 'no answer';
    for (;;) {
      const status = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(10_000) }).then(
        async (r) => ((last = `HTTP ${r.status} ${await r.text()}`), r.status),
        () => 0,
      );
      if (status === 200 || (wanted === 'answering' && status !== 0)) break;
      if (proc.exitCode !== null || proc.signalCode !== null) throw failure(`exited before /healthz was ${wanted} (last: ${last})`);
      if (Date.now() > deadline) throw failure(`was not ${wanted} within ${timeoutMs / 1000} s (last /healthz: ${last})`);
      await sleep(250);
    }
    const parsed = new URL(url);
    return { url, origin: parsed.origin, port: Number(parsed.port), instance, proc, logs, logged, exited, stop };
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
}

// ---------------------------------------------------------------------------
// What an instance leaves in Docker and on disk, and removing it
// ---------------------------------------------------------------------------

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Every Docker object labelled with this instance (containers incl. stopped, volumes, networks). */
export function ownedObjects(instance: string): { containers: string[]; volumes: string[]; networks: string[] } {
  const filter = `label=lab.owner=${instance}`;
  // The mirror (lab.kind=mirror) is shared by every instance and never counts.
  const notMirror = (s: string) =>
    s
      .split('\n')
      .filter(Boolean)
      .filter((line) => !line.includes('lab.kind=mirror'))
      .map((line) => line.split(' ')[0]!);
  return {
    containers: notMirror(docker('ps', '-a', '--filter', filter, '--format', '{{.Names}} {{.Labels}}')),
    volumes: notMirror(docker('volume', 'ls', '--filter', filter, '--format', '{{.Name}} {{.Labels}}')),
    networks: notMirror(docker('network', 'ls', '--filter', filter, '--format', '{{.Name}} {{.Labels}}')),
  };
}

/** Where the server keeps an instance's loop-volume files (LAB_DISK_DIR default). */
export const diskDir = (instance: string) => path.join('/var/lib/lab-disks', instance);

/** Loop devices backed by files of this instance, and those files. */
export function ownedDisks(instance: string): { devices: string[]; files: string[] } {
  const dir = diskDir(instance);
  const devices = execFileSync('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`${dir}/`))
    .map((l) => l.trim().split(/\s+/)[0]!);
  return { devices, files: existsSync(dir) ? readdirSync(dir) : [] };
}

/** Removes whatever an instance left (the mirror is shared and stays). Throws when removal fails. */
export function removeOwned(instance: string): void {
  const { containers, volumes, networks } = ownedObjects(instance);
  if (containers.length) docker('rm', '-f', '-v', ...containers);
  if (networks.length) docker('network', 'rm', ...networks);
  if (volumes.length) docker('volume', 'rm', '-f', ...volumes);
  for (const device of ownedDisks(instance).devices) execFileSync('losetup', ['--detach', device]);
  rmSync(diskDir(instance), { recursive: true, force: true });
}
