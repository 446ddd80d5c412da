/**
 * Test harness for the lab server integration tests: starts the real server
 * (node lab-server/src/main.ts) on a random port with a unique LAB_INSTANCE
 * against the real Docker engine, and drives it with real HTTP requests and
 * real WebSockets (the `ws` client), the way the page does.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import {
  LAB_SESSION_PATH,
  LAB_SUBPROTOCOL,
  LAB_WS_PATH,
  SESSION_COOKIE,
  encode,
  parseServerMessage,
  type ClientMessage,
  type ServerMessage,
} from '../../lab-server/src/protocol.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = process.execPath;

/** Drops OSC (…BEL or …ST) and CSI sequences and stray CRs, leaving the text a reader sees. */
export function stripEscapes(text: string): string {
  return text
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '')
    .replace(/\r(?!\n)/g, '');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Removes whatever an instance left (test cleanup; the mirror is shared and stays). */
export function removeOwned(instance: string): void {
  const { containers, volumes, networks } = ownedObjects(instance);
  if (containers.length) docker('rm', '-f', '-v', ...containers);
  if (networks.length) docker('network', 'rm', ...networks);
  if (volumes.length) docker('volume', 'rm', '-f', ...volumes);
  for (const device of ownedDisks(instance).devices) execFileSync('losetup', ['--detach', device]);
  rmSync(diskDir(instance), { recursive: true, force: true });
}

export interface LabServer {
  url: string;
  origin: string;
  instance: string;
  proc: ChildProcess;
  logs: string[];
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

let siteDir: string | undefined;
function testSite(): string {
  if (!siteDir) {
    siteDir = mkdtempSync(path.join(tmpdir(), 'lab-it-site-'));
    writeFileSync(path.join(siteDir, 'index.html'), '<!doctype html><title>lab test</title><h1>실습</h1>');
    writeFileSync(path.join(siteDir, '404.html'), '<!doctype html><h1>404</h1>');
  }
  return siteDir;
}

export const newInstance = (prefix = 'it') => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Starts the server and resolves once it listens (it logs its URL). */
export async function startLabServer(env: Record<string, string> = {}, instance = newInstance()): Promise<LabServer> {
  const proc = spawn(NODE, [path.join(ROOT, 'lab-server/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LAB_INSTANCE: instance,
      LAB_SITE_DIR: testSite(),
      LAB_WARM_POOL: '0',
      // Tests open many sessions from one address in a few seconds.
      LAB_SESSION_BURST: '1000',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        if (process.env.LAB_IT_VERBOSE) process.stderr.write(`[${instance}] ${line}\n`);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'lab server listening' && entry.url) resolve(entry.url);
        } catch {
          /* not JSON */
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
    void exited.then((code) => reject(new Error(`lab server exited (${code}) before listening:\n${logs.join('\n')}`)));
    setTimeout(() => reject(new Error(`lab server did not start in 60 s:\n${logs.join('\n')}`)), 60_000).unref();
  });
  const origin = new URL(url).origin;
  return {
    url,
    origin,
    instance,
    proc,
    logs,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface SessionCookie {
  cookie: string;
  status: number;
  body: unknown;
}

export async function newSession(server: LabServer, origin = server.origin, cookie?: string): Promise<SessionCookie> {
  const headers: Record<string, string> = { origin };
  if (cookie) headers.cookie = cookie;
  const res = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'POST', headers });
  const setCookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return { cookie: setCookie ?? cookie ?? '', status: res.status, body: await res.json().catch(() => undefined) };
}

export async function healthz(server: LabServer): Promise<{ status: number; body: { ok: boolean; reasons: string[] } }> {
  const res = await fetch(new URL('/healthz', server.url));
  return { status: res.status, body: (await res.json()) as { ok: boolean; reasons: string[] } };
}

/**
 * One terminal WebSocket with byte-exact bookkeeping: `bytes` is everything
 * received since the `attached` message, `from` that message's offset.
 */
export class TestTerminal {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  private chunks: Buffer[] = [];
  private joined: Buffer | undefined = Buffer.alloc(0);
  private notifyTimer: NodeJS.Timeout | undefined;
  closeCode: number | undefined;
  closed: Promise<number>;
  private waiters = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        clearTimeout(this.notifyTimer);
        this.notify();
        resolve(code);
      }),
    );
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        this.chunks.push(data);
        this.joined = undefined;
        // Output can be megabytes in small frames: check waiters at most every 20 ms.
        this.notifyTimer ??= setTimeout(() => {
          this.notifyTimer = undefined;
          this.notify();
        }, 20);
        return;
      }
      const parsed = parseServerMessage(data.toString());
      if (parsed.ok) this.messages.push(parsed.message);
      this.notify();
    });
  }

  /** Opens the socket; rejects with the HTTP status if the upgrade is refused. */
  static open(server: LabServer, cookie: string | undefined, opts: { origin?: string; protocols?: string[] } = {}): Promise<TestTerminal> {
    const wsUrl = new URL(LAB_WS_PATH, server.url);
    wsUrl.protocol = 'ws:';
    const headers: Record<string, string> = { origin: opts.origin ?? server.origin };
    if (cookie) headers.cookie = cookie;
    const ws = new WebSocket(wsUrl, opts.protocols ?? [LAB_SUBPROTOCOL], { headers });
    const terminal = new TestTerminal(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(terminal));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode}`), { status: res.statusCode })),
      );
    });
  }

  send(message: ClientMessage): void {
    this.ws.send(encode(message));
  }

  hello(resumeFrom = 0, terminal = 'main', cols = 120, rows = 40): void {
    this.send({ type: 'hello', terminal, cols, rows, resumeFrom });
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  /** Every output byte received since the socket opened. */
  get bytes(): Buffer {
    if (!this.joined) {
      this.joined = Buffer.concat(this.chunks);
      this.chunks = [this.joined];
    }
    return this.joined;
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }

  attached(): Extract<ServerMessage, { type: 'attached' }> | undefined {
    return this.messages.find((m): m is Extract<ServerMessage, { type: 'attached' }> => m.type === 'attached');
  }

  waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (test()) done(resolve);
        else if (this.closeCode !== undefined)
          done(() => reject(new Error(`socket closed (${this.closeCode}) while waiting for ${what}; got:\n${this.text.slice(-2000)}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; got:\n${this.text.slice(-2000)}`))),
        ms,
      );
      const done = (then: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
    });
  }

  /** Waits for the attached message (the sandbox may boot first). */
  async ready(ms = 90_000): Promise<void> {
    await this.waitFor(() => this.attached() !== undefined, ms, 'attached');
  }

  /**
   * Runs a command line and resolves with the text it printed. The end
   * marker is computed by the shell (M$((…))X), so the echoed input never
   * matches it.
   */
  async run(command: string, ms = 60_000): Promise<string> {
    const n = Math.floor(Math.random() * 1e9);
    const marker = new RegExp(`END${n + 1}X rc=(\\d+)`);
    const start = this.bytes.length;
    this.type(`${command}; echo "END$((${n}+1))X rc=$?"\r`);
    await this.waitFor(() => marker.test(this.bytes.subarray(start).toString()), ms, `output of: ${command}`);
    const raw = this.bytes.subarray(start).toString();
    const m = marker.exec(raw)!;
    // What the command printed: after the echoed input line, without escape sequences.
    const echoed = `END$((${n}+1))X rc=$?"`;
    const echoEnd = raw.indexOf(echoed);
    const from = echoEnd >= 0 ? raw.indexOf('\n', echoEnd) + 1 : 0;
    return stripEscapes(raw.slice(from, m.index + m[0].length)).replace(/\r\n/g, '\n');
  }

  close(code = 1000): Promise<number> {
    if (this.closeCode === undefined) this.ws.close(code);
    return this.closed;
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}

export async function endSession(server: LabServer, cookie: string): Promise<number> {
  const res = await fetch(new URL(LAB_SESSION_PATH, server.url), { method: 'DELETE', headers: { origin: server.origin, cookie } });
  return res.status;
}

/** A session plus a ready terminal on it. */
export async function openTerminal(server: LabServer): Promise<{ cookie: string; term: TestTerminal }> {
  const session = await newSession(server);
  if (session.status !== 201) throw new Error(`session: HTTP ${session.status} ${JSON.stringify(session.body)}`);
  const term = await TestTerminal.open(server, session.cookie);
  term.hello();
  await term.ready();
  return { cookie: session.cookie, term };
}
