/**
 * npm run bench:classroom — a class of N learners (default 30) joining
 * within BENCH_SPREAD_S seconds (default 10), through the real HTTP and
 * WebSocket path of a real lab server and real sandboxes, all from one
 * address (127.0.0.1: a classroom behind one NAT):
 *
 *   instructor logs in, creates a class of N seats, presses start (the warm
 *   pool grows to N; BENCH_PREWARM=0 skips it: every learner's sandbox
 *   boots on demand) and waits until the N sandboxes are warm; then learner
 *   i starts at i × spread / N: join (POST /join/api/join), POST /lab/session
 *   (asking again every 2.5 s while 202 queued, as the page does), open the
 *   terminal WebSocket, hello, `attached`, and a command's output back
 *   (`echo`): a ready terminal.
 *
 * Prints per learner (join start -> ready terminal): median, p95, max; the
 * total (first join -> last ready terminal); the prewarm time; where the
 * sandboxes came from (lab_sandbox_acquired_total); and how many answers
 * were 202. The server runs with LAB_MAX_SESSIONS=N and smaller sandboxes
 * (LAB_SANDBOX_MEMORY 512m, LAB_SANDBOX_DISK 1g; override with the same
 * variables) so N fit on a bench host; everything it starts is removed at
 * the end, on Ctrl-C too.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classAction, createClass, instructorLogin, joinClass, learnerSession, metric } from '../tests/support/classroom.ts';
import { newInstance, removeOwned, sleep, startLabServer, type LabServer } from '../tests/support/lab-server.ts';
import { LabTerminal } from '../tests/support/terminal.ts';
import { summary } from './stats.ts';

const N = Number(process.env.BENCH_LEARNERS ?? 30);
const SPREAD_MS = Number(process.env.BENCH_SPREAD_S ?? 10) * 1000;
const PREWARM = process.env.BENCH_PREWARM !== '0';
/** The page's poll interval while queued (src/lab-client/connection.ts QUEUE_POLL_MS). */
const POLL_MS = 2500;
const READY_TIMEOUT_MS = 10 * 60_000;

const token = randomBytes(24).toString('base64url');
const dir = mkdtempSync(path.join(tmpdir(), 'bench-classroom-'));
const instance = newInstance('bench-class');
let server: LabServer | undefined;
const terms: LabTerminal[] = [];

async function cleanup(): Promise<void> {
  for (const t of terms) await t.close().catch(() => undefined);
  await server?.stop();
  removeOwned(instance);
  rmSync(dir, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** One learner from join to a ready terminal; returns the milliseconds it took and how many times it was queued. */
async function learner(srv: LabServer, code: string, i: number): Promise<{ ms: number; queued: number }> {
  const started = performance.now();
  const joined = await joinClass(srv, code, `학생 ${i + 1}`);
  let queued = 0;
  let answer = await learnerSession(srv, joined);
  while (answer.status === 202) {
    queued++;
    await sleep(POLL_MS);
    answer = await learnerSession(srv, joined);
  }
  if (answer.status !== 201) throw new Error(`learner ${i + 1}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
  const term = await LabTerminal.open(srv, answer.cookie);
  terms.push(term);
  term.hello();
  await term.ready(READY_TIMEOUT_MS);
  await term.run(`echo learner-${i + 1}`, READY_TIMEOUT_MS);
  return { ms: performance.now() - started, queued };
}

try {
  server = await startLabServer({
    instance,
    env: {
      LAB_ADMIN_TOKEN: token,
      LAB_DB_PATH: path.join(dir, 'lab.db'),
      LAB_MAX_SESSIONS: String(N),
      LAB_WARM_POOL: '0',
      LAB_SANDBOX_MEMORY: process.env.LAB_SANDBOX_MEMORY ?? '512m',
      LAB_SANDBOX_DISK: process.env.LAB_SANDBOX_DISK ?? '1g',
      LOG_LEVEL: 'info',
    },
  });
  const srv = server;
  const admin = await instructorLogin(srv, token);
  // Without prewarm the class starts in an hour, so the class-time check does not warm it either.
  const startsAt = PREWARM ? undefined : Date.now() + 3600_000;
  const cls = await createClass(srv, admin, { name: '벤치마크 반', seats: N, durationMinutes: 180, startsAt });
  let prewarmMs: number | undefined;
  if (PREWARM) {
    const t0 = performance.now();
    await classAction(srv, admin, cls.id, 'start');
    await until(`${N} warm sandboxes`, async () => (await metric(srv, 'lab_sandboxes', { state: 'ready' })) >= N, READY_TIMEOUT_MS);
    prewarmMs = performance.now() - t0;
  }
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      await sleep((i * SPREAD_MS) / N);
      return learner(srv, cls.code, i);
    }),
  );
  const totalMs = performance.now() - t0;
  const s = summary(results.map((r) => r.ms));
  const source = async (name: string) => metric(srv, 'lab_sandbox_acquired_total', { source: name });
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`\nclass of ${N}, joining within ${SPREAD_MS / 1000} s, one address, ${PREWARM ? 'pre-warmed (start button)' : 'no prewarm'}`);
  if (prewarmMs !== undefined) console.log(`  prewarm (start -> ${N} warm sandboxes): ${seconds(prewarmMs)}`);
  console.log(`  per learner, join -> ready terminal: median ${seconds(s.median)}, p95 ${seconds(s.p95)}, max ${seconds(s.max)}`);
  console.log(`  all ${N} ready: ${seconds(totalMs)} after the first join`);
  console.log(`  sandboxes: warm ${await source('warm')}, boot ${await source('boot')}, takeover ${await source('takeover')}`);
  console.log(`  queued answers (202): ${results.reduce((n, r) => n + r.queued, 0)}`);
} finally {
  await cleanup();
}
