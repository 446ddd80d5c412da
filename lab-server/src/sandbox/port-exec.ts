/**
 * The port preview's transport into a sandbox (SandboxDriver.openPort,
 * listPorts): sandboxes keep `--network none`, so a preview connection is a
 * `docker exec` of the image's root-owned `lab-port connect PORT`
 * (images/sandbox/lab-port: enters only the inner world's network
 * namespace, drops to uid 65534 without capabilities, `socat STDIO
 * TCP4:127.0.0.1:PORT`), stdin attached, no TTY (a TTY would mangle bytes).
 *
 * ExecSocket makes that exec a socket for node:http's Agent
 * (createConnection): writes go to the exec's stdin; the engine frames
 * stdout and stderr (8-byte headers), so reads are demultiplexed here,
 * stdout passed on with backpressure, stderr kept (bounded) to tell
 * "connection refused" from other failures. The Agent then parses HTTP,
 * streams bodies both ways, reuses the connection (keep-alive) and hands it
 * over on `Upgrade`.
 *
 * Cost (bench/preview.ts, docs/benchmarks.md): one exec create + start +
 * lab-port + socat per upstream connection, paid once per keep-alive
 * connection, not per request.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type Docker from 'dockerode';
import { z } from 'zod';
import type { PublishedPort } from '../protocol.ts';
import type { PortListing } from './driver.ts';

export const PORT_HELPER = '/usr/local/bin/lab-port';
/** stderr kept per connection (socat's one error line). */
const STDERR_KEEP = 1024;

/**
 * A non-TTY exec's hijacked stream as a byte socket: stdout demultiplexed,
 * stdin written through. Ends when the exec's stdout ends; `end()` closes
 * the exec's stdin (socat then shuts its TCP write side).
 */
export class ExecSocket extends Duplex {
  private readonly raw: Socket;
  /** What the helper printed on stderr (socat: `… Connection refused`), the first STDERR_KEEP bytes. */
  stderr = '';
  bytesIn = 0;
  bytesOut = 0;

  constructor(raw: Socket) {
    super({ allowHalfOpen: true });
    this.raw = raw;
    raw.on('data', (chunk: Buffer) => this.onData(chunk));
    raw.once('end', () => this.push(null));
    raw.once('error', (err) => this.destroy(err));
    raw.once('close', () => {
      if (!this.readableEnded) this.push(null);
      if (!this.destroyed) this.destroy();
    });
    raw.on('timeout', () => this.emit('timeout'));
  }

  /**
   * Frames may span chunks either way. Payload bytes are passed on as views
   * of the chunk they arrived in (no copy); only a split 8-byte header is
   * assembled, and `left` counts what the current frame still owes.
   */
  private header: Buffer = Buffer.alloc(0);
  private left = 0;
  private kind = 0;

  private onData(chunk: Buffer): void {
    let blocked = false;
    let at = 0;
    while (at < chunk.length) {
      if (this.left === 0) {
        const need = 8 - this.header.length;
        const take = chunk.subarray(at, at + need);
        at += take.length;
        this.header = this.header.length ? Buffer.concat([this.header, take]) : take;
        if (this.header.length < 8) break;
        this.kind = this.header[0]!;
        this.left = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
        continue;
      }
      const payload = chunk.subarray(at, at + this.left);
      at += payload.length;
      this.left -= payload.length;
      if (this.kind === 1) {
        this.bytesIn += payload.length;
        if (!this.push(payload)) blocked = true;
      } else if (this.kind === 2 && this.stderr.length < STDERR_KEEP) {
        this.stderr += payload.toString('utf8').slice(0, STDERR_KEEP - this.stderr.length);
      }
    }
    if (blocked) this.raw.pause();
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.bytesOut += chunk.length;
    this.raw.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.raw.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.raw.destroy();
    cb(err);
  }

  // What node:http's Agent and ClientRequest call on a socket.
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.raw.setTimeout(ms);
    if (onTimeout) this.once('timeout', onTimeout);
    return this;
  }
  setNoDelay(noDelay?: boolean): this {
    this.raw.setNoDelay?.(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.raw.setKeepAlive?.(enable, delay);
    return this;
  }
  ref(): this {
    this.raw.ref?.();
    return this;
  }
  unref(): this {
    this.raw.unref?.();
    return this;
  }
}

/** Opens one TCP connection to 127.0.0.1:port inside the sandbox's inner world (validated again by lab-port). */
export async function openPortExec(docker: Docker, containerId: string, port: number): Promise<ExecSocket> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port ${port}`);
  const exec = await docker.getContainer(containerId).exec({
    Cmd: [PORT_HELPER, 'connect', String(port)],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    User: 'root',
  });
  const raw = (await exec.start({ hijack: true, stdin: true } as Docker.ExecStartOptions)) as unknown as Socket;
  return new ExecSocket(raw);
}

/** `lab-port list` output: the inner engine's containers (cut by jq), then the listening ports. Untrusted: parsed strictly. */
const Listed = z
  .array(
    z.object({
      name: z.string().max(256),
      ports: z.array(z.tuple([z.number().int().min(1).max(65535), z.number().int().min(1).max(65535)])).max(64),
    }),
  )
  .max(256);

/** Parses `lab-port list`; throws on anything else. Pure. */
export function parsePortList(stdout: string): PublishedPort[] {
  const [json = '', listening = ''] = stdout.split('\n');
  const containers = Listed.parse(JSON.parse(json));
  const open = new Set(listening.split(/\s+/).filter(Boolean).map(Number));
  const seen = new Set<number>();
  const out: PublishedPort[] = [];
  for (const c of containers) {
    for (const [port, containerPort] of c.ports) {
      // `-p 8080:80` on IPv4 and IPv6 is listed twice by the engine; one host port is one entry.
      if (seen.has(port)) continue;
      seen.add(port);
      out.push({ port, containerName: c.name, containerPort, listening: open.has(port) });
    }
  }
  return out.sort((a, b) => a.port - b.port);
}

/** How long `lab-port list` may take (curl 3 s, then ≤ 1 s per port probe, bounded by the exec). */
export const LIST_TIMEOUT_MS = 8_000;

/** Most output of `lab-port list` read (the inner root could make it print anything, endlessly). */
export const LIST_MAX_BYTES = 256 * 1024;

export async function listPortsExec(docker: Docker, containerId: string): Promise<PortListing> {
  const signal = AbortSignal.timeout(LIST_TIMEOUT_MS);
  const exec = await docker.getContainer(containerId).exec({
    Cmd: [PORT_HELPER, 'list'],
    AttachStdout: true,
    AttachStderr: true,
    User: 'root',
    abortSignal: signal,
  } as Docker.ExecCreateOptions);
  const raw = (await exec.start({ hijack: true, stdin: false, abortSignal: signal } as Docker.ExecStartOptions)) as unknown as Socket;
  const socket = new ExecSocket(raw);
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    signal.addEventListener('abort', () => fail(new Error(`lab-port list timed out after ${LIST_TIMEOUT_MS} ms`)), { once: true });
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > LIST_MAX_BYTES) return fail(new Error(`lab-port list printed more than ${LIST_MAX_BYTES} bytes`));
      chunks.push(chunk);
    });
    socket.once('end', () => resolve());
    socket.once('error', fail);
  });
  socket.destroy();
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new Error(`lab-port list failed (${info.ExitCode}): ${socket.stderr.slice(0, 200)}`);
  const stdout = Buffer.concat(chunks).toString('utf8');
  const containers = Listed.parse(JSON.parse(stdout.split('\n')[0] ?? '')).length;
  return { ports: parsePortList(stdout), containers };
}
