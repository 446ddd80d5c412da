/**
 * Challenges (도전 과제): the catalog of check scripts and the rules for
 * running one in a reader's sandbox (POST LAB_CHECK_PATH; http.ts does the
 * Origin, cookie and body, this module everything after).
 *
 * - The catalog is read once at start from LAB_CHALLENGES_DIR: every
 *   `<id>.sh` whose name is a ChallengeId and whose size is at most
 *   MAX_SCRIPT_BYTES. The page sends only an id; a script never comes
 *   from a request, so editing the page cannot change what a check runs.
 * - A check runs in the session's own sandbox only (the session comes from
 *   the cookie; a request names no sandbox), like the reader's shell
 *   (SandboxDriver.runCheck: lab-shell, no TTY, LAB_CHECK_TIMEOUT,
 *   LAB_CHECK_OUTPUT).
 * - One check at a time per session (429 check-running) and LAB_CHECK_RATE
 *   per session and minute (429 rate-limited): each one is an exec and a
 *   bash in the sandbox.
 * - Exit 0 = passed; anything else = failed, and the message is what the
 *   check printed (its Korean line saying what is still wrong).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ChallengeId, CheckRequest, type CheckResponse, type ErrorCode } from './protocol.ts';
import type { SandboxDriver, SandboxHandle } from './sandbox/driver.ts';
import { TokenBucket } from './token-bucket.ts';

/** A check script larger than this is not loaded (they are a few lines). */
export const MAX_SCRIPT_BYTES = 16 * 1024;
/** A check request is `{"challenge":"<id>"}`: anything longer is refused unread (413). */
export const MAX_CHECK_BODY_BYTES = 1024;
/** The message in the answer: at most this many characters (the end of the output). */
export const MAX_MESSAGE_CHARS = 2000;
/** lab-shell's exit when it cannot enter the reader's world (it fails closed). */
const LAB_SHELL_REFUSED = 111;

export interface Challenge {
  id: string;
  script: string;
  file: string;
}

export interface Catalog {
  challenges: ReadonlyMap<string, Challenge>;
  /** Files that were not loaded, and why (logged at start). */
  problems: string[];
  /** The directory does not exist (no challenges: every check is 404). */
  missing: boolean;
}

export function loadChallenges(dir: string): Catalog {
  const challenges = new Map<string, Challenge>();
  const problems: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return { challenges, problems, missing: true };
  }
  for (const name of names) {
    if (!name.endsWith('.sh')) continue;
    const id = name.slice(0, -3);
    const file = path.join(dir, name);
    if (!ChallengeId.safeParse(id).success) {
      problems.push(`${name}: not a challenge id (a-z, 0-9, -; up to 64)`);
      continue;
    }
    const stat = statSync(file);
    if (!stat.isFile()) continue;
    if (stat.size > MAX_SCRIPT_BYTES) {
      problems.push(`${name}: ${stat.size} bytes, more than ${MAX_SCRIPT_BYTES}`);
      continue;
    }
    const script = readFileSync(file, 'utf8');
    if (script.includes('\0')) {
      problems.push(`${name}: contains a NUL byte`);
      continue;
    }
    challenges.set(id, { id, script, file });
  }
  return { challenges, problems, missing: false };
}

/** The body of a check request, validated (CheckRequest is strict: no other field). */
export function parseCheckRequest(text: string): { ok: true; challenge: string } | { ok: false; detail: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, detail: 'body is not JSON' };
  }
  const parsed = CheckRequest.safeParse(raw);
  if (!parsed.success) return { ok: false, detail: `expected {"challenge": "<id>"}: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, challenge: parsed.data.challenge };
}

/** What the page shows: the output without terminal control characters, trimmed, its last MAX_MESSAGE_CHARS. */
export function checkMessage(output: string): string {
  const text = output
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
    .trim();
  return text.length > MAX_MESSAGE_CHARS ? `…${text.slice(-MAX_MESSAGE_CHARS).trimStart()}` : text;
}

export type CheckResult = 'passed' | 'failed' | 'timeout' | 'refused';

export type CheckVerdict =
  | { status: 200; result: Exclude<CheckResult, 'refused'>; body: CheckResponse; discarded: number }
  | { status: number; result: 'refused'; error: ErrorCode; detail: string; retryAfter?: number };

const refused = (status: number, error: ErrorCode, detail: string, retryAfter?: number): CheckVerdict => ({
  status,
  result: 'refused',
  error,
  detail,
  ...(retryAfter ? { retryAfter } : {}),
});

export interface ChecksOptions {
  catalog: Catalog;
  driver: Pick<SandboxDriver, 'runCheck'>;
  timeoutMs: number;
  outputBytes: number;
  perMinute: number;
  clock?: () => number;
}

export class Checks {
  private readonly opts: ChecksOptions;
  private readonly running = new Set<string>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly burst: number;

  constructor(opts: ChecksOptions) {
    this.opts = opts;
    this.burst = Math.max(1, Math.ceil(opts.perMinute));
    // Sessions come and go: a bucket forgotten after 10 minutes only gives its burst back.
    setInterval(() => this.buckets.clear(), 10 * 60_000).unref();
  }

  get size(): number {
    return this.opts.catalog.challenges.size;
  }

  has(id: string): boolean {
    return this.opts.catalog.challenges.has(id);
  }

  /** Runs challenge `id` in `sandbox`, the booted sandbox of session `sessionId` (undefined: still booting). */
  async run(sessionId: string, sandbox: SandboxHandle | undefined, id: string): Promise<CheckVerdict> {
    const challenge = this.opts.catalog.challenges.get(id);
    if (!challenge) return refused(404, 'unknown-challenge', `no challenge "${id}"`);
    if (!sandbox) return refused(409, 'sandbox-not-ready', 'the sandbox is still starting', 2);
    if (this.running.has(sessionId)) return refused(429, 'check-running', 'a check of this session is still running', 1);
    let bucket = this.buckets.get(sessionId);
    if (!bucket) this.buckets.set(sessionId, (bucket = new TokenBucket(this.opts.perMinute / 60, this.burst, this.opts.clock)));
    if (!bucket.take()) return refused(429, 'rate-limited', 'too many checks; LAB_CHECK_RATE per minute', Math.ceil(60 / this.opts.perMinute));

    this.running.add(sessionId);
    try {
      const outcome = await this.opts.driver.runCheck(sandbox, {
        name: `challenge-${id}`,
        script: challenge.script,
        timeoutMs: this.opts.timeoutMs,
        maxOutputBytes: this.opts.outputBytes,
      });
      const message = checkMessage(outcome.output);
      if (outcome.exitCode === LAB_SHELL_REFUSED && message.startsWith('lab-shell:')) {
        return refused(503, 'sandbox-failed', message.slice(0, 300));
      }
      if (outcome.timedOut) {
        // The page shows the message as it is: say in Korean why there is no verdict.
        const limit = `확인이 ${Math.round(this.opts.timeoutMs / 1000)}초 안에 끝나지 않아 멈췄습니다.`;
        const body: CheckResponse = { challenge: id, passed: false, message: message ? `${message}\n${limit}` : limit, exitCode: null };
        return { status: 200, result: 'timeout', body, discarded: outcome.discarded };
      }
      const passed = outcome.exitCode === 0;
      const body: CheckResponse = { challenge: id, passed, message, exitCode: outcome.exitCode };
      return { status: 200, result: passed ? 'passed' : 'failed', body, discarded: outcome.discarded };
    } catch (err) {
      return refused(503, 'sandbox-failed', `check could not run: ${String(err).slice(0, 300)}`);
    } finally {
      this.running.delete(sessionId);
    }
  }
}
