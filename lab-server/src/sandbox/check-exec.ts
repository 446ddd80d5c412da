/**
 * A challenge check run in a sandbox (SandboxDriver.runCheck): one non-TTY
 * `docker exec` of
 *
 *   timeout -k 2 <limit> lab-shell -c <HANDOFF> <name> <script>
 *
 * - lab-shell (SANDBOX_SHELL) enters the reader's user-namespaced world and
 *   fails closed (111), exactly as the reader's own shell; it ends in
 *   `bash -l -c …` there. Non-interactive, so the prompt and its OSC 133
 *   marks (bash.bashrc) stay out of the output.
 * - lab-shell always starts a login shell, which would read the reader's
 *   ~/.bash_profile or ~/.profile (an `exit 0` there would pass every
 *   check, an `echo` would garble every message). So HOME points where no
 *   file is for that login shell, and HANDOFF runs the script in a plain
 *   `bash --noprofile --norc` with HOME=/root again (and $0 = the name, so
 *   the script's own error lines read `challenge-<id>: line N: …`).
 * - The script is an argument, not stdin: a command in it that reads stdin
 *   (`read`, `docker exec -i`) would otherwise eat the rest of the script.
 *   The exec has no stdin at all.
 * - Time: Docker cannot kill an exec, so `timeout` inside the container does
 *   (SIGTERM to its whole process group, which the inner processes share
 *   across the pid namespace; SIGKILL 2 s later). The server also stops
 *   waiting a little after that, whatever the engine does.
 * - Output: read to the end and discarded beyond the last `maxOutputBytes`
 *   (OutputTail), so a flood costs nothing but time, which is bounded.
 */
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { CheckOutcome, CheckRun } from './driver.ts';
import { SANDBOX_SHELL } from './spec.ts';

/** `timeout`'s SIGKILL after its SIGTERM. */
const KILL_AFTER_S = 2;
/** How long past the limit the server waits for the engine before it gives up on the exec. */
const SERVER_GRACE_MS = 5_000;
/** `timeout`'s own exit codes: 124 after SIGTERM did it, 137 after SIGKILL. */
const TIMED_OUT = new Set([124, 137]);

/** Keeps the last `limit` bytes written to it; counts what it dropped. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private kept = 0;
  discarded = 0;
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.kept > this.limit) {
      const head = this.chunks[0]!;
      const over = this.kept - this.limit;
      if (head.length <= over) {
        this.chunks.shift();
        this.kept -= head.length;
        this.discarded += head.length;
      } else {
        this.chunks[0] = head.subarray(over);
        this.kept -= over;
        this.discarded += over;
      }
    }
  }
  /** The kept bytes as text; a character cut in half at the start is dropped. */
  text(): string {
    return new TextDecoder().decode(Buffer.concat(this.chunks)).replace(/^\uFFFD+/, '');
  }
}

/** HOME for the login shell lab-shell starts: on the read-only root, so nothing is there to read. */
export const CHECK_LOGIN_HOME = '/nonexistent';
/** Run by that login shell: the script ($1) in a shell that reads no startup file, named $0. */
const HANDOFF = `HOME=/root; export HOME; unset BASH_ENV ENV; cd /root && exec /bin/bash --noprofile --norc -c "$1" "$0"`;

/** The exec's command line (pure, for tests). */
export function checkCommand(run: Pick<CheckRun, 'name' | 'script' | 'timeoutMs'>): string[] {
  const seconds = (Math.max(1, run.timeoutMs) / 1000).toFixed(3);
  return ['timeout', '-k', String(KILL_AFTER_S), seconds, ...SANDBOX_SHELL.command, '-c', HANDOFF, run.name, run.script];
}

export async function runCheckExec(docker: Docker, containerId: string, run: CheckRun): Promise<CheckOutcome> {
  const started = Date.now();
  const tail = new OutputTail(run.maxOutputBytes);
  const exec = await docker.getContainer(containerId).exec({
    Cmd: checkCommand(run),
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    User: SANDBOX_SHELL.user,
    WorkingDir: SANDBOX_SHELL.workingDir,
    Env: [...SANDBOX_SHELL.env, `HOME=${CHECK_LOGIN_HOME}`],
  });
  const stream = await exec.start({ hijack: false, stdin: false });
  // stdout and stderr into one tail, in the order they arrive (as a terminal would show them).
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      tail.push(chunk);
      done();
    },
  });
  docker.modem.demuxStream(stream, sink, sink);
  let gaveUp = false;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(
      () => {
        gaveUp = true;
        stream.destroy();
        resolve();
      },
      run.timeoutMs + KILL_AFTER_S * 1000 + SERVER_GRACE_MS,
    );
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
  let code: number | null = null;
  if (!gaveUp) {
    const info = await exec.inspect().catch(() => undefined);
    code = info && !info.Running ? (info.ExitCode ?? null) : null;
  }
  // 124/137 are also what a script could exit with: only at the limit do they mean `timeout` stopped it.
  const timedOut = gaveUp || code === null || (TIMED_OUT.has(code) && Date.now() - started >= run.timeoutMs - 250);
  return { exitCode: timedOut ? null : code, timedOut, output: tail.text(), discarded: tail.discarded };
}
