/**
 * Running a short command in a container and collecting its output and exit
 * code (readiness probe, disk usage). Terminals use a TTY exec instead
 * (docker-driver.ts openShell).
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runExec(docker: Docker, containerId: string, cmd: string[], timeoutMs: number): Promise<ExecResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  const exec = await docker.getContainer(containerId).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    User: 'root',
    abortSignal: signal,
  } as Docker.ExecCreateOptions);
  const stream = await exec.start({ abortSignal: signal } as Docker.ExecStartOptions);
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  err.on('data', (c: Buffer) => errChunks.push(c));
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      stream.destroy();
      reject(new Error(`exec ${cmd[0]} timed out after ${timeoutMs} ms`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', reject);
  });
  const info = await exec.inspect();
  return {
    code: info.Running ? null : (info.ExitCode ?? null),
    stdout: Buffer.concat(chunks).toString('utf8'),
    stderr: Buffer.concat(errChunks).toString('utf8'),
  };
}
