/**
 * npm run bench:preview — the port preview's cost against a direct `curl`
 * inside the sandbox (issue 11), through a real lab server and sandbox:
 *
 * - first byte of nginx's welcome page: BENCH_SAMPLES (20) sequential GETs
 *   on a kept-alive upstream connection (what a page's later requests see),
 *   and BENCH_COLD (5) after the upstream connection went idle (a new
 *   `docker exec` of lab-port each), and BENCH_COLD ticket URL -> 303 ->
 *   page loads (what an iframe sees: the exec is opened at the 303);
 * - throughput of a 10 MB response (3 runs, median);
 * - the same inside the sandbox with curl (its own -w timings, in the
 *   reader's shell), and the ratios;
 * - the transport's ceiling: 10 MB read from a bare `docker exec head -c`
 *   in the same sandbox, demultiplexed the same way (ExecSocket).
 *
 * The bench process is the browser: node:http, with the owner cookie.
 * Prints the rows, then one JSON line with every figure.
 */
import { request, Agent } from 'node:http';
import { UPSTREAM_KEEPALIVE_MS } from '../lab-server/src/preview/proxy.ts';
import { sleep, type LabServer } from '../tests/support/lab-server.ts';
import { BenchServer } from './lifecycle.ts';
import { previewUrl, redeemTicket, requestPreview } from '../tests/support/preview.ts';
import { openTerminal } from '../tests/support/terminal.ts';
import Docker from 'dockerode';
import type { Socket } from 'node:net';
import { LABEL_KIND, LABEL_OWNER } from '../lab-server/src/sandbox/labels.ts';
import { ExecSocket } from '../lab-server/src/sandbox/port-exec.ts';
import { summary, type Summary } from './stats.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const COLD = Number(process.env.BENCH_COLD ?? 5);
const BIG = 10 * 1024 * 1024;

let server: LabServer | undefined;
/** Its server, stopped with its sandboxes removed at the end and on Ctrl-C (lifecycle.ts). */
const lab = new BenchServer();
const cleanup = () => lab.stop();

const browser = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET: ms to the first body byte, ms to the end, bytes. */
function timedGet(url: string, owner: string): Promise<{ firstByte: number; total: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    let bytes = 0;
    const req = request(url, { agent: browser, headers: { cookie: owner, 'sec-fetch-site': 'same-origin' } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
      res.on('data', (c: Buffer) => {
        if (!first) first = performance.now();
        bytes += c.length;
      });
      res.on('end', () => resolve({ firstByte: first - t0, total: performance.now() - t0, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** ms to read 10 MB of zeros from a bare exec in the sandbox, demultiplexed as the preview does. */
async function execStream(docker: Docker, containerId: string): Promise<number> {
  const t0 = performance.now();
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['head', '-c', String(BIG), '/dev/zero'], AttachStdout: true, AttachStderr: true });
  const socket = new ExecSocket((await exec.start({ hijack: true, stdin: false } as Docker.ExecStartOptions)) as unknown as Socket);
  let bytes = 0;
  for await (const chunk of socket) bytes += (chunk as Buffer).length;
  if (bytes !== BIG) throw new Error(`exec stream: ${bytes} bytes`);
  return performance.now() - t0;
}
/** Upstream connections the server opened so far (one docker exec each). */
const execs = async () =>
  Number(/^lab_preview_upstream_connections_total (\d+)/m.exec(await (await fetch(new URL('/metrics', server!.url))).text())?.[1] ?? NaN);
const mbps = (bytes: number, ms: number) => bytes / 1024 / 1024 / (ms / 1000);

async function main() {
  server = await lab.start({ env: { LAB_WARM_POOL: '0' } });
  const { cookie, term } = await openTerminal(server);
  await term.run(
    'docker run -d --name web -p 8080:80 nginx >/dev/null && until curl -sf localhost:8080 >/dev/null; do sleep 0.2; done && ' +
      'docker exec web sh -c "head -c 10485760 /dev/urandom > /usr/share/nginx/html/big.bin"',
    120_000,
  );
  const redeemed = await redeemTicket((await requestPreview(server, cookie, 8080)).url);
  const base = `${previewUrl(server)}${redeemed.path}`;

  // Direct: curl in the reader's shell, timed by curl itself.
  const direct = await term.run(
    `for i in $(seq 1 ${SAMPLES}); do curl -s -o /dev/null -w '%{time_starttransfer}\\n' localhost:8080/; done; ` +
      `for i in 1 2 3; do curl -s -o /dev/null -w 'big %{time_total}\\n' localhost:8080/big.bin; done`,
    120_000,
  );
  const directFirst = [...direct.matchAll(/^(\d+\.\d+)$/gm)].map((m) => Number(m[1]) * 1000);
  const directBig = [...direct.matchAll(/^big (\d+\.\d+)$/gm)].map((m) => Number(m[1]) * 1000);

  // Through the preview: one warm-up request opens the upstream connection.
  await timedGet(base, redeemed.owner);
  const warm: number[] = [];
  const e0 = await execs();
  for (let i = 0; i < SAMPLES; i++) warm.push((await timedGet(base, redeemed.owner)).firstByte);
  const e1 = await execs();
  const cold: number[] = [];
  for (let i = 0; i < COLD; i++) {
    await sleep(UPSTREAM_KEEPALIVE_MS + 300);
    cold.push((await timedGet(base, redeemed.owner)).firstByte);
  }
  const e2 = await execs();
  // What an iframe sees: the ticket URL (303 + owner cookie), then the page, after the upstream idled out.
  const opened: number[] = [];
  for (let i = 0; i < COLD; i++) {
    await sleep(UPSTREAM_KEEPALIVE_MS + 300);
    const { url } = await requestPreview(server, cookie, 8080);
    const t0 = performance.now();
    const ticket = await redeemTicket(url);
    const page = await timedGet(`${previewUrl(server)}${ticket.path}`, ticket.owner);
    opened.push(performance.now() - t0 - page.total + page.firstByte);
  }
  const e3 = await execs();
  const big: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await timedGet(`${base}big.bin`, redeemed.owner);
    if (r.bytes !== BIG) throw new Error(`big.bin: ${r.bytes} bytes`);
    big.push(r.total);
  }

  // The transport's own ceiling: 10 MB out of the same sandbox through a bare exec stream (no HTTP, no socat).
  const docker = new Docker();
  const [sandbox] = await docker.listContainers({ filters: { label: [`${LABEL_OWNER}=${server.instance}`, `${LABEL_KIND}=sandbox`] } });
  const bare: number[] = [];
  for (let i = 0; i < 3; i++) bare.push(await execStream(docker, sandbox!.Id));

  const d = summary(directFirst);
  const w = summary(warm);
  const c = summary(cold);
  const bigDirect = summary(directBig).median;
  const bigPreview = summary(big).median;
  const bigBare = summary(bare).median;
  const line = (what: string, s: Summary, opened: number) =>
    console.log(
      `${what} (n=${s.n}): median ${fmt(s.median)}  p95 ${fmt(s.p95)}  ratio ${(s.median / d.median).toFixed(1)}x  (${opened} new upstream execs)`,
    );
  console.log(`first byte, direct curl in the sandbox (n=${d.n}): median ${fmt(d.median)}  p95 ${fmt(d.p95)}`);
  line('first byte, preview, kept-alive upstream', w, e1 - e0);
  line('first byte, preview, after the upstream idled out', c, e2 - e1);
  line('ticket URL -> 303 -> first byte of the page, after idle', summary(opened), e3 - e2);
  const rate = (ms: number) => `${fmt(ms)} (${mbps(BIG, ms).toFixed(0)} MB/s)`;
  console.log(`10 MB: direct curl ${rate(bigDirect)}, preview ${rate(bigPreview)}, bare docker exec stream ${rate(bigBare)}`);
  console.log(
    `throughput ratio preview/direct ${(bigDirect / bigPreview).toFixed(2)}, preview/bare exec stream ${(bigBare / bigPreview).toFixed(2)}`,
  );
  console.log(
    JSON.stringify({
      bench: 'preview',
      firstByteMs: { direct: d, keptAlive: w, newExec: c },
      opened: summary(opened),
      newExecs: { keptAlive: e1 - e0, afterIdle: e2 - e1, opened: e3 - e2 },
      tenMbMs: { direct: bigDirect, preview: bigPreview, bareExecStream: bigBare },
    }),
  );
  term.close();
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
