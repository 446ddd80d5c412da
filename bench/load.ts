/**
 * npm run bench:load — many readers on one lab server, through the real
 * HTTP + WebSocket path (tests/support: startLabServer, newSession,
 * LabTerminal), against real sandboxes:
 *
 *   1. lab server memory per idle session: RSS and V8 heap (from the
 *      server's own /metrics) with 0, S/2 and S idle sessions, each with its
 *      main terminal attached at a prompt; the slope is the cost per session;
 *   2. keystroke round trip (one byte typed, its echo back, timed on the
 *      socket's own message event) on a quiet probe terminal, first with
 *      nothing else running, then while T other terminals print (each a
 *      line every BENCH_PRINT_MS, like `docker logs -f` of a busy service);
 *   3. event-loop delay of the lab server during 2 (perf_hooks
 *      monitorEventLoopDelay, via prom-client's lab_nodejs_eventloop_lag_*:
 *      each /metrics scrape resets it, so a scrape before and after a phase
 *      gives that phase alone) and its CPU share;
 *   4. memory per flooding terminal: F terminals run `yes` while this client
 *      reads as fast as it can; RSS and heap against the idle figure.
 *
 * Env: BENCH_SESSIONS (S, default 25), BENCH_TERMINALS (T, default 50: S
 * sessions x T/S terminals), BENCH_PRINT_MS (100), BENCH_KEYS (300),
 * BENCH_FLOODS (F, default 10), BENCH_FLOOD_S (10). Bounded: at most S
 * sandboxes, each wait has a time limit, and the server (its own
 * LAB_INSTANCE) removes every sandbox when it stops, on Ctrl-C too.
 */
import { sleep, type LabServer } from '../tests/support/lab-server.ts';
import { BenchServer } from './lifecycle.ts';
import { LabTerminal, newSession } from '../tests/support/terminal.ts';
import { summary } from './stats.ts';

const S = Number(process.env.BENCH_SESSIONS ?? 25);
const T = Number(process.env.BENCH_TERMINALS ?? 50);
const PRINT_MS = Number(process.env.BENCH_PRINT_MS ?? 100);
const KEYS = Number(process.env.BENCH_KEYS ?? 300);
const F = Number(process.env.BENCH_FLOODS ?? 10);
const FLOOD_S = Number(process.env.BENCH_FLOOD_S ?? 10);
const perSession = Math.ceil(T / S);

const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

let server: LabServer | undefined;
/** Its server, stopped with its sandboxes removed at the end and on Ctrl-C (lifecycle.ts). */
const lab = new BenchServer();
const cleanup = () => lab.stop();

/** The server's /metrics as name{labels} -> value. */
async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(new URL('/metrics', server!.url))).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z0-9_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
const memory = async () => {
  const m = await scrape();
  return { rss: m.get('lab_process_resident_memory_bytes')!, heap: m.get('lab_nodejs_heap_size_used_bytes')! };
};

/** A session with `n` attached terminals at a prompt. */
async function openSession(n: number): Promise<{ cookie: string; terms: LabTerminal[] }> {
  const session = await newSession(server!);
  if (session.status !== 201) throw new Error(`session: HTTP ${session.status} ${JSON.stringify(session.body)}`);
  const terms: LabTerminal[] = [];
  for (let i = 0; i < n; i++) terms.push(await attachTerminal(session.cookie, i === 0 ? 'main' : `t${i}`));
  return { cookie: session.cookie, terms };
}

/** Keystroke round trips on `term`: one byte, timed to the next output message (Ctrl-U now and then). */
async function keystrokes(term: LabTerminal, n: number): Promise<number[]> {
  const out: number[] = [];
  let resolve: ((t: number) => void) | undefined;
  const onMessage = (_data: unknown, isBinary: boolean) => {
    if (isBinary && resolve) {
      const r = resolve;
      resolve = undefined;
      r(performance.now());
    }
  };
  term.ws.on('message', onMessage);
  try {
    for (let i = 0; i < n + 20; i++) {
      const echoed = new Promise<number>((r) => (resolve = r));
      const t0 = performance.now();
      term.type(i % 40 === 39 ? '\x15' : 'a');
      const t1 = await Promise.race([echoed, sleep(5000).then(() => NaN)]);
      if (Number.isNaN(t1)) throw new Error('no echo in 5 s');
      if (i >= 20) out.push(t1 - t0); // the first keystrokes warm up the path
      await sleep(10);
    }
  } finally {
    term.ws.off('message', onMessage);
    term.type('\x15');
  }
  return out;
}

/** Event-loop delay and CPU over a phase: call at its start, await the result at its end. */
async function phase(): Promise<() => Promise<{ lagP50: number; lagP99: number; lagMax: number; cpu: number }>> {
  const before = await scrape(); // resets the event-loop histogram
  const t0 = performance.now();
  return async () => {
    const after = await scrape();
    const cpu = (after.get('lab_process_cpu_seconds_total')! - before.get('lab_process_cpu_seconds_total')!) / ((performance.now() - t0) / 1000);
    return {
      lagP50: after.get('lab_nodejs_eventloop_lag_p50_seconds')! * 1000,
      lagP99: after.get('lab_nodejs_eventloop_lag_p99_seconds')! * 1000,
      lagMax: after.get('lab_nodejs_eventloop_lag_max_seconds')! * 1000,
      cpu,
    };
  };
}

async function main() {
  server = await lab.start({
    env: {
      LAB_WARM_POOL: '0',
      LAB_MAX_SESSIONS: String(S + 2),
      LAB_MAX_SESSIONS_PER_CLIENT: String(S + 2),
      LAB_SESSION_RATE: '100000',
      LAB_SESSION_BURST: String(S + 2),
      LAB_MAX_TERMINALS: String(Math.max(4, perSession + 1)),
      LOG_LEVEL: 'info',
    },
  });
  console.log(`load bench: ${S} sessions, ${T} printing terminals (a line every ${PRINT_MS} ms each), ${F} floods of ${FLOOD_S} s`);
  const lines: string[] = [];
  const json: Record<string, unknown> = {};

  // 1. Memory per idle session.
  await sleep(2000);
  const base = await memory();
  const sessions: { cookie: string; terms: LabTerminal[] }[] = [];
  const points: { n: number; rss: number; heap: number }[] = [{ n: 0, ...base }];
  for (let i = 0; i < S; i++) {
    sessions.push(await openSession(1));
    process.stdout.write(`  session ${i + 1}/${S}\n`);
    if (i + 1 === Math.floor(S / 2) || i + 1 === S) {
      await sleep(3000);
      points.push({ n: i + 1, ...(await memory()) });
    }
  }
  const last = points.at(-1)!;
  const perRss = (last.rss - base.rss) / S;
  const perHeap = (last.heap - base.heap) / S;
  lines.push(
    `lab server memory per idle session (${S} sessions, a terminal each): RSS ${mib(perRss)}, heap ${mib(perHeap)} (RSS ${points.map((p) => `${p.n}: ${mib(p.rss)}`).join(', ')})  target <= 2 MiB: ${perRss <= 2 * 1024 ** 2 ? 'met' : 'MISSED'}`,
  );
  json.idleSession = { rssBytes: perRss, heapBytes: perHeap, points };

  // 2 + 3. Keystrokes on a quiet probe terminal, alone and with T printing terminals.
  const probe = (await openSession(1)).terms[0]!;
  const quietEnd = await phase();
  const quiet = summary(await keystrokes(probe, KEYS));
  const quietLoop = await quietEnd();
  for (const s of sessions) for (let i = 1; i < perSession; i++) s.terms.push(await attachTerminal(s.cookie, `t${i}`));
  const printers = sessions.flatMap((s) => s.terms).slice(0, T);
  for (const term of printers)
    term.type(`while :; do echo "$(date +%T.%N) service log line: GET /api/items 200 $RANDOM"; sleep ${PRINT_MS / 1000}; done\r`);
  await sleep(3000);
  const busyEnd = await phase();
  const busy = summary(await keystrokes(probe, KEYS));
  const busyLoop = await busyEnd();
  const printed = printers.reduce((n, t) => n + t.bytes.length, 0);
  lines.push(`keystroke round trip, quiet server (n=${quiet.n}): p50 ${ms(quiet.median)}, p99 ${ms(quiet.p99)}, max ${ms(quiet.max)}`);
  lines.push(
    `keystroke round trip, ${printers.length} terminals printing (n=${busy.n}): p50 ${ms(busy.median)}, p99 ${ms(busy.p99)}, max ${ms(busy.max)}  target p99 <= 5 ms: ${busy.p99 <= 5 ? 'met' : 'MISSED'}`,
  );
  lines.push(
    `event-loop delay, quiet: p50 ${ms(quietLoop.lagP50)}, p99 ${ms(quietLoop.lagP99)}, max ${ms(quietLoop.lagMax)}; with ${printers.length} printing: p50 ${ms(busyLoop.lagP50)}, p99 ${ms(busyLoop.lagP99)}, max ${ms(busyLoop.lagMax)}; server CPU ${(busyLoop.cpu * 100).toFixed(0)}% of a core (${(printed / 1024).toFixed(0)} KiB printed in all)`,
  );
  json.keystroke = { quiet, busy, printers: printers.length };
  json.eventLoop = { quiet: quietLoop, busy: busyLoop };
  for (const term of printers) term.type('\x03');
  await sleep(2000);

  // 4. Memory per flooding terminal.
  const idle = await memory();
  const flooders = sessions.slice(0, F).map((s) => s.terms[0]!);
  const floodEnd = await phase();
  for (const term of flooders) term.type('yes "$(printf %070d 0)"\r');
  await sleep(FLOOD_S * 1000);
  const flooding = await memory();
  const floodLoop = await floodEnd();
  for (const term of flooders) term.type('\x03');
  const perFloodRss = (flooding.rss - idle.rss) / F;
  const perFloodHeap = (flooding.heap - idle.heap) / F;
  lines.push(
    `lab server memory per flooding terminal (${F} x yes, ${FLOOD_S} s): RSS ${mib(perFloodRss)}, heap ${mib(perFloodHeap)}; event-loop delay p99 ${ms(floodLoop.lagP99)}, max ${ms(floodLoop.lagMax)}, server CPU ${(floodLoop.cpu * 100).toFixed(0)}%  target <= 8 MiB: ${perFloodRss <= 8 * 1024 ** 2 ? 'met' : 'MISSED'}`,
  );
  json.flood = { rssBytes: perFloodRss, heapBytes: perFloodHeap, eventLoop: floodLoop };

  console.log('\nresults');
  for (const line of lines) console.log(`  ${line}`);
  console.log(JSON.stringify(json));
}

/** A terminal of the session, attached and at a prompt (the first one waits for the sandbox to boot). */
async function attachTerminal(cookie: string, name: string): Promise<LabTerminal> {
  const term = await LabTerminal.open(server!, cookie);
  term.hello(0, name);
  await term.ready(180_000);
  await term.waitFor(() => term.text.includes('\x1b]133;B'), 60_000, 'prompt');
  return term;
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
