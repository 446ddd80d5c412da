/**
 * npm run bench:handshake — a new reader's session from the warm pool, step
 * by step, through the real HTTP + WebSocket path (tests/support), without a
 * browser: POST /lab/session, WebSocket open, hello -> attached, hello ->
 * first output byte, hello -> prompt (OSC 133 B). The server-side share of
 * the "new reader, warm pool" click row (bench/terminal.ts has the page's).
 *
 * Env: BENCH_SAMPLES (default 10). Before each sample it waits until the
 * pool holds a sandbox; each session is ended right after. The server (its
 * own LAB_INSTANCE) removes every sandbox when it stops, on Ctrl-C too.
 */
import { sleep, type LabServer } from '../tests/support/lab-server.ts';
import { BenchServer } from './lifecycle.ts';
import { LabTerminal, endSession, newSession } from '../tests/support/terminal.ts';
import { summary } from './stats.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10);

let server: LabServer | undefined;
/** Its server, stopped with its sandboxes removed at the end and on Ctrl-C (lifecycle.ts). */
const lab = new BenchServer();
const cleanup = () => lab.stop();

async function poolReady(): Promise<void> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(100)) {
    const metrics = await (await fetch(new URL('/metrics', server!.url))).text();
    if (/^lab_sandboxes\{state="ready"\} [1-9]/m.test(metrics)) return;
  }
  throw new Error('warm pool not refilled in 120 s');
}

async function main() {
  // No pre-pull: its CPU would be part of the next sample (bench:sandbox measures it).
  server = await lab.start({ env: { LAB_WARM_POOL: '1', LAB_PREPULL: 'off' } });
  const steps: Record<'post' | 'open' | 'attached' | 'firstByte' | 'prompt' | 'total', number[]> = {
    post: [],
    open: [],
    attached: [],
    firstByte: [],
    prompt: [],
    total: [],
  };
  for (let i = 0; i < SAMPLES; i++) {
    await poolReady();
    await sleep(500); // the refill's own start is not part of the sample
    const t0 = performance.now();
    const session = await newSession(server);
    const t1 = performance.now();
    const term = await LabTerminal.open(server, session.cookie);
    const t2 = performance.now();
    let attachedAt = 0;
    let firstAt = 0;
    term.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const now = performance.now();
      if (isBinary && !firstAt) firstAt = now;
      if (!isBinary && !attachedAt && data.toString().includes('"attached"')) attachedAt = now;
    });
    term.hello();
    await term.waitFor(() => term.text.includes('\x1b]133;B'), 60_000, 'prompt');
    const t3 = performance.now();
    steps.post.push(t1 - t0);
    steps.open.push(t2 - t1);
    steps.attached.push(attachedAt - t2);
    steps.firstByte.push(firstAt - t2);
    steps.prompt.push(t3 - t2);
    steps.total.push(firstAt - t0);
    await term.close();
    await endSession(server, session.cookie);
  }
  const fmt = (xs: number[]) => {
    const s = summary(xs);
    return `median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms`;
  };
  console.log(`\nnew reader from the warm pool, server side (n=${SAMPLES})`);
  console.log(`  POST /lab/session:          ${fmt(steps.post)}`);
  console.log(`  WebSocket open:             ${fmt(steps.open)}`);
  console.log(`  hello -> attached:          ${fmt(steps.attached)}`);
  console.log(`  hello -> first output byte: ${fmt(steps.firstByte)}`);
  console.log(`  hello -> prompt (OSC 133 B): ${fmt(steps.prompt)}`);
  console.log(`  POST -> first output byte:  ${fmt(steps.total)}`);
  console.log(JSON.stringify(Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, summary(v)]))));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
