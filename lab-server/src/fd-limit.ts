/**
 * RLIMIT_NOFILE: every connection, file and Docker socket is a descriptor.
 * Node cannot call setrlimit, so the server asks util-linux's `prlimit` to
 * raise its own limit at start: the soft limit up to the hard one, and as
 * root (CAP_SYS_RESOURCE) both to LAB_NOFILE. Measured before: at 20,000
 * descriptors a slow-read flood took them all in 25 s and Docker calls
 * failed with EMFILE; the connection caps now keep LAB_FD_RESERVE of them
 * for Docker and files whatever the limit is.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface NofileLimit {
  soft: number;
  hard: number;
}

/** Parses the "Max open files" line of /proc/<pid>/limits. */
export function parseNofile(limits: string): NofileLimit | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
  if (!m) return undefined;
  const n = (v: string) => (v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}

export function readNofile(): NofileLimit | undefined {
  try {
    return parseNofile(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Raises this process's limit towards `target`; returns the limit in force afterwards and what went wrong, if anything. */
export function raiseNofile(target: number): { limit: NofileLimit | undefined; problem?: string } {
  const before = readNofile();
  if (!before || before.soft >= target) return { limit: before };
  const attempts = [`${target}:${Math.max(target, before.hard)}`, `${Math.min(target, before.hard)}:${before.hard}`];
  const problems: string[] = [];
  for (const value of attempts) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${value}`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
      break;
    } catch (err) {
      problems.push(`prlimit --nofile=${value}: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
    }
  }
  const limit = readNofile();
  // Short of the target (no CAP_SYS_RESOURCE above the hard limit, or no prlimit): say why.
  const problem = limit && limit.soft >= target ? undefined : problems.join('; ') || `hard limit ${before.hard}`;
  return { limit, problem };
}
