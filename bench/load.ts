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
 *      line every BENCH_PRINT_MS, like `docker logs -f` of a busy service).
 *      The printing terminals are read by another process (load-printers.ts
 *      says why); the figure as first measured, with this process reading
 *      them too, is printed beside it with this process's own event-loop
 *      delay. Each phase also times the same echo without the lab server:
 *      a raw TTY `docker exec` of `cat` (the pty echoes: dockerd and the
 *      shim only) and of lab-shell (bash echoes) in the probe's sandbox;
 *   3. event-loop delay of the lab server during 2 (perf_hooks
 *      monitorEventLoopDelay, via prom-client's lab_nodejs_eventloop_lag_*:
 *      each /metrics scrape resets it, so a scrape before and after a phase
 *      gives that phase alone), its CPU share and garbage collections, and
 *      the whole host's CPU use (/proc/stat) and load average;
 *   4. memory per flooding terminal: F terminals run `yes` while this client
 *      reads as fast as it can; RSS and heap against the idle figure.
 *
 * Env: BENCH_SESSIONS (S, default 25), BENCH_TERMINALS (T, default 50: S
 * sessions x T/S terminals), BENCH_PRINT_MS (100), BENCH_KEYS (300),
 * BENCH_FLOODS (F, default 10), BENCH_FLOOD_S (10). Bounded: at most S
 * sandboxes, each wait has a time limit, and the server (its own
 * LAB_INSTANCE) removes every sandbox when it stops, on Ctrl-C too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { SANDBOX_SHELL } from '../lab-server/src/sandbox/spec.ts';
import { sleep, type LabServer } from '../tests/support/lab-server.ts';
import { containerCpuSeconds, keystrokes, labPath, type EchoPath } from './keystrokes.ts';
import { BenchServer } from './lifecycle.ts';
import type { PrintersReply, PrintersStart } from './load-printers.ts';
import { LabTerminal, newSession } from '../tests/support/terminal.ts';
import { summary, type Summary } from './stats.ts';

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
/** The printers process (printersElsewhere), ended with the bench whatever happens. */
let printersChild: ChildProcess | undefined;
const cleanup = () => {
  printersChild?.kill();
  return lab.stop();
};

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

/**
 * The same echo without the lab server: a TTY exec hijacked straight from
 * dockerode in the probe's sandbox (dockerd's exec stream, the containerd
 * shim, the pty). `cat`: the kernel's line discipline echoes, nothing in the
 * sandbox is scheduled; lab-shell: the reader's bash echoes (readline), as
 * through the lab. Both demultiplexed by nobody (TTY: raw bytes).
 */
async function rawExec(containerId: string, shell: boolean): Promise<EchoPath & { close(): void }> {
  const docker = new Docker();
  const exec = await docker.getContainer(containerId).exec({
    Cmd: shell ? [...SANDBOX_SHELL.command] : ['cat'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    User: 'root',
    ...(shell ? { WorkingDir: SANDBOX_SHELL.workingDir, Env: [...SANDBOX_SHELL.env] } : {}),
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as Docker.ExecStartOptions)) as Duplex;
  let text = '';
  const collect = (c: Buffer) => (text += c.toString('latin1'));
  stream.on('data', collect);
  if (shell) {
    const deadline = Date.now() + 30_000;
    while (!text.includes('\x1b]133;B') && Date.now() < deadline) await sleep(50);
    if (!text.includes('\x1b]133;B')) throw new Error(`raw lab-shell: no prompt in 30 s: ${JSON.stringify(text.slice(-300))}`);
  }
  stream.off('data', collect);
  stream.resume();
  return {
    type: (bytes) => stream.write(bytes),
    onOutput: (fn) => {
      stream.on('data', fn);
      return () => stream.off('data', fn);
    },
    close: () => stream.destroy(),
  };
}

/** The lab's probe terminal and, in turn with it, raw execs of `cat` and lab-shell in its sandbox. */
async function probeAndRaw(probe: LabTerminal, containerId: string): Promise<{ lab: Summary; cat: Summary; shell: Summary }> {
  const cat = await rawExec(containerId, false);
  const shell = await rawExec(containerId, true);
  try {
    const [lab, catRtt, shellRtt] = (await keystrokes([labPath(probe), cat, shell], KEYS)).map(summary);
    return { lab: lab!, cat: catRtt!, shell: shellRtt! };
  } finally {
    cat.close();
    shell.close();
  }
}

/** The sandbox containers of this bench's server (to tell which one a new session got). */
async function sandboxContainers(): Promise<Set<string>> {
  const filters = JSON.stringify({ label: [`lab.owner=${server!.instance}`, 'lab.kind=sandbox'] });
  return new Set((await new Docker().listContainers({ filters })).map((c) => c.Id));
}

/** The host's CPU use (all cores, from /proc/stat) over a phase: call at its start, call the result at its end. */
function hostCpu(): () => number {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + f[4]!;
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  return () => {
    const b = read();
    return 1 - (b.idle - a.idle) / (b.total - a.total);
  };
}

/** CPU seconds used so far by this server's running sandboxes (NaN when their cgroups are not readable here). */
async function sandboxCpu(): Promise<number> {
  let sum = 0;
  for (const id of await sandboxContainers()) sum += containerCpuSeconds(id);
  return sum;
}

/** This bench process's own event-loop delay over a phase (1 ms resolution). */
function benchLoop(): () => { p99: number; max: number } {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  return () => {
    h.disable();
    return { p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
  };
}

/** Sum of every series of `name` (all label sets) in a scrape. */
const total = (m: Map<string, number>, name: string, labels = '') =>
  [...m].filter(([k]) => k === name || (k.startsWith(`${name}{`) && k.includes(labels))).reduce((n, [, v]) => n + v, 0);

interface PhaseResult {
  lagP50: number;
  lagP99: number;
  lagMax: number;
  cpu: number;
  /** The lab server's garbage collections in the phase: how many, their total, how many took over 10 ms. */
  gc: { n: number; ms: number; over10ms: number };
  /** The whole host's CPU use (0..1 of all cores), the part this server's sandboxes used (in cores), and the load average at the end. */
  hostCpu: number;
  sandboxCores: number;
  load1: number;
}

/** Event-loop delay, CPU and GC of the lab server over a phase: call at its start, await the result at its end. */
async function phase(): Promise<() => Promise<PhaseResult>> {
  const before = await scrape(); // resets the event-loop histogram
  const t0 = performance.now();
  const host = hostCpu();
  const sandboxes = await sandboxCpu();
  return async () => {
    const hostShare = host();
    const sandboxCores = (await sandboxCpu()) - sandboxes;
    const after = await scrape();
    const cpu = (after.get('lab_process_cpu_seconds_total')! - before.get('lab_process_cpu_seconds_total')!) / ((performance.now() - t0) / 1000);
    const gc = (m: Map<string, number>) => ({
      n: total(m, 'lab_nodejs_gc_duration_seconds_count'),
      s: total(m, 'lab_nodejs_gc_duration_seconds_sum'),
      fast: total(m, 'lab_nodejs_gc_duration_seconds_bucket', 'le="0.01"'),
    });
    const [g0, g1] = [gc(before), gc(after)];
    return {
      lagP50: after.get('lab_nodejs_eventloop_lag_p50_seconds')! * 1000,
      lagP99: after.get('lab_nodejs_eventloop_lag_p99_seconds')! * 1000,
      lagMax: after.get('lab_nodejs_eventloop_lag_max_seconds')! * 1000,
      cpu,
      gc: { n: g1.n - g0.n, ms: (g1.s - g0.s) * 1000, over10ms: g1.n - g0.n - (g1.fast - g0.fast) },
      hostCpu: hostShare,
      sandboxCores: sandboxCores / ((performance.now() - t0) / 1000),
      load1: loadavg()[0]!,
    };
  };
}

/** Hands the printing terminals to a child process (load-printers.ts says why); `stop` ends their loops. */
async function printersElsewhere(terminals: PrintersStart['terminals']): Promise<{ stop(): Promise<number> }> {
  const child = fork(new URL('./load-printers.ts', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  printersChild = child;
  const reply = async (): Promise<PrintersReply> => {
    const [m] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [{ error: 'printers process exited' }])])) as [
      PrintersReply,
    ];
    if ('error' in m) throw new Error(`printers process: ${m.error}`);
    return m;
  };
  child.send({ endpoint: { url: server!.url, origin: server!.origin }, terminals } satisfies PrintersStart);
  await reply();
  return {
    stop: async () => {
      child.send({ stop: true });
      const m = await reply();
      if (!('bytes' in m)) throw new Error(`printers process: unexpected ${JSON.stringify(m)}`);
      if (m.running > 0) console.log(`  warning: ${m.running} printing loops did not stop on Ctrl-C`);
      return m.bytes;
    },
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
  console.log(
    `load bench (LAB_INSTANCE ${server.instance}): ${S} sessions, ${T} printing terminals (a line every ${PRINT_MS} ms each), ${F} floods of ${FLOOD_S} s`,
  );
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

  // 2 + 3. Keystrokes on a quiet probe terminal, alone and with T printing terminals;
  // the same echo over raw exec streams in the probe's sandbox (no lab server).
  const others = await sandboxContainers();
  const probe = (await openSession(1)).terms[0]!;
  const probeSandbox = [...(await sandboxContainers())].find((id) => !others.has(id))!;
  const quietEnd = await phase();
  const quiet = await probeAndRaw(probe, probeSandbox);
  const quietLoop = await quietEnd();
  for (const s of sessions) for (let i = 1; i < perSession; i++) s.terms.push(await attachTerminal(s.cookie, `t${i}`));
  const printers = sessions.flatMap((s) => s.terms).slice(0, T);
  for (const term of printers)
    term.type(`while :; do echo "$(date +%T.%N) service log line: GET /api/items 200 $RANDOM"; sleep ${PRINT_MS / 1000}; done\r`);
  await sleep(3000);
  // 2a. As first measured: this process reads the printing terminals too.
  const sharedEnd = await phase();
  const sharedBench = benchLoop();
  const [shared] = (await keystrokes([labPath(probe)], KEYS)).map(summary);
  const sharedBenchLoop = sharedBench();
  const sharedLoop = await sharedEnd();
  const printedHere = printers.reduce((n, t) => n + t.bytes.length, 0);
  // 2b. A reader's browser is not in the same event loop as 50 others: the printers are read by another process.
  const names = sessions.flatMap((s) => s.terms.map((_, i) => ({ cookie: s.cookie, name: i === 0 ? 'main' : `t${i}` }))).slice(0, T);
  const elsewhere = await printersElsewhere(names);
  await sleep(1000);
  const busyEnd = await phase();
  const busyBench = benchLoop();
  const busy = await probeAndRaw(probe, probeSandbox);
  const busyBenchLoop = busyBench();
  const busyLoop = await busyEnd();
  const printed = printedHere + (await elsewhere.stop());

  const rtt = (x: Summary) => `p50 ${ms(x.median)}, p99 ${ms(x.p99)}, max ${ms(x.max)}`;
  const host = (p: PhaseResult) =>
    `host CPU ${(p.hostCpu * 100).toFixed(0)}% of all cores, this server's sandboxes ${p.sandboxCores.toFixed(2)} cores, load ${p.load1.toFixed(1)}`;
  lines.push(`keystroke round trip, quiet server (n=${quiet.lab.n}): ${rtt(quiet.lab)}  (${host(quietLoop)})`);
  lines.push(
    `  without the lab server, raw docker exec in the same sandbox, in turn with those: cat (tty echo) ${rtt(quiet.cat)}; lab-shell (bash echo) ${rtt(quiet.shell)}`,
  );
  lines.push(
    `keystroke round trip, ${printers.length} terminals printing, read by another process (n=${busy.lab.n}): ${rtt(busy.lab)}  target p99 <= 5 ms: ${busy.lab.p99 <= 5 ? 'met' : 'MISSED'}  (${host(busyLoop)})`,
  );
  lines.push(`  without the lab server, in turn with those: cat (tty echo) ${rtt(busy.cat)}; lab-shell (bash echo) ${rtt(busy.shell)}`);
  lines.push(
    `  as first measured, the printers read by this process too (n=${shared!.n}): ${rtt(shared!)} (${host(sharedLoop)}); this process's event-loop delay p99 ${ms(sharedBenchLoop.p99)}, max ${ms(sharedBenchLoop.max)} (alone: p99 ${ms(busyBenchLoop.p99)}, max ${ms(busyBenchLoop.max)})`,
  );
  const loop = (p: PhaseResult) =>
    `p50 ${ms(p.lagP50)}, p99 ${ms(p.lagP99)}, max ${ms(p.lagMax)}, CPU ${(p.cpu * 100).toFixed(0)}% of a core, GC ${p.gc.n} (${ms(p.gc.ms)} in all, ${p.gc.over10ms} over 10 ms)`;
  lines.push(
    `lab server event loop, quiet: ${loop(quietLoop)}; with ${printers.length} printing: ${loop(busyLoop)} (${(printed / 1024).toFixed(0)} KiB printed in all)`,
  );
  json.keystroke = { quiet, busy, shared, printers: printers.length };
  json.eventLoop = { quiet: quietLoop, busy: busyLoop, shared: sharedLoop, bench: { shared: sharedBenchLoop, alone: busyBenchLoop } };
  await sleep(1000);

  // 4. Memory per flooding terminal.
  // A terminal of their own at a clean prompt (the printing ones are in the printers process), attached before the idle figure.
  const flooders = await Promise.all(sessions.slice(0, F).map((s) => attachTerminal(s.cookie, 'flood')));
  await sleep(1000);
  const idle = await memory();
  const floodEnd = await phase();
  for (const term of flooders) term.type('yes "$(printf %070d 0)"\r');
  await sleep(FLOOD_S * 1000);
  // This order: every /metrics scrape resets the event-loop histogram, so memory() first would leave the phase's end an empty one.
  const floodLoop = await floodEnd();
  const flooding = await memory();
  for (const term of flooders) term.type('\x03');
  const perFloodRss = (flooding.rss - idle.rss) / F;
  const perFloodHeap = (flooding.heap - idle.heap) / F;
  lines.push(
    `lab server memory per flooding terminal (${F} x yes, ${FLOOD_S} s): RSS ${mib(perFloodRss)}, heap ${mib(perFloodHeap)}; event-loop delay p99 ${ms(floodLoop.lagP99)}, max ${ms(floodLoop.lagMax)}, server CPU ${(floodLoop.cpu * 100).toFixed(0)}%  target <= 8 MiB: ${perFloodRss <= 8 * 1024 ** 2 ? 'met' : 'MISSED'}`,
  );
  json.flood = { rssBytes: perFloodRss, heapBytes: perFloodHeap, eventLoop: floodLoop };

  report(json);
}

/** Every result line so far (a later phase may fail: what was measured is still printed). */
const lines: string[] = [];
function report(json?: Record<string, unknown>) {
  console.log('\nresults');
  for (const line of lines) console.log(`  ${line}`);
  if (json) console.log(JSON.stringify(json));
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
    if (lines.length > 0) report();
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
