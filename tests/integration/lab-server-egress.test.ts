/**
 * LAB_EGRESS=on on the real engine: each sandbox gets its own bridge network
 * with a way out, but not to another sandbox, not to the host (where the lab
 * server and the mirror live) and not to 169.254.0.0/16 (cloud metadata).
 * Checked where readers are: in the reader's shell and in an inner container
 * (both live in the sandbox's nested network namespace, which the entrypoint
 * routes out through the container's bridge with a veth pair and NAT), and in
 * the sandbox container's own namespace (what the lab server controls).
 *
 * This machine has no internet. A stand-in for it: a container without a
 * Docker network, given a veth from the host with 198.51.100.2 (TEST-NET-2)
 * and 169.254.100.100 (link-local, like the metadata service), each serving
 * HTTP on :80. The host routes both there, so packets from the sandbox's
 * bridge are forwarded by the host exactly as they would be to the internet;
 * the host itself reaches both (control), the sandbox only the first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SANDBOX_IMAGE, SANDBOX_SHELL } from '../../lab-server/src/sandbox/spec.ts';
import { startTestServer } from './test-server.ts';
import { docker, removeOwned, type LabServer } from '../support/lab-server.ts';
import { openTerminal, type LabTerminal } from '../support/terminal.ts';

const INTERNET = '198.51.100.2';
const INTERNET_GW = '198.51.100.1';
const LINK_LOCAL = '169.254.100.100';

function run(cmd: string, args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 }) };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Runs a command in a sandbox container's own (outer) namespace. */
const inSandbox = (container: string, command: string) => run('docker', ['exec', container, 'sh', '-c', command]);
/** Runs a script in the reader's shell (lab-shell: the nested namespace, with the inner dockerd). */
const inShell = (container: string, script: string) =>
  run('docker', ['exec', '-e', 'LAB_NO_MOTD=1', container, ...SANDBOX_SHELL.command, '-c', script]);

const ip = (container: string, field: 'IPAddress' | 'Gateway') =>
  docker('inspect', '-f', `{{range .NetworkSettings.Networks}}{{.${field}}}{{end}}`, container);

describe('sandbox egress (LAB_EGRESS=on)', { timeout: 10 * 60_000 }, () => {
  let server: LabServer;
  let a: string;
  let b: string;
  const terms: LabTerminal[] = [];
  const tag = randomBytes(3).toString('hex');
  const inet = `itest-egress-inet-${tag}`;
  const hostVeth = `itinet${tag}`;

  before(async () => {
    // The stand-in internet (see the top of the file).
    docker(
      'run',
      '-d',
      '--name',
      inet,
      '--network',
      'none',
      '--label',
      'lab.test=itest-egress',
      '--entrypoint',
      'socat',
      SANDBOX_IMAGE,
      // crlf: lines end in CR LF on the wire, as HTTP wants. The request is
      // read up to its blank line first: closing with unread request bytes
      // makes the kernel send a reset, which can reach the client before
      // the answer does ("other side closed"). No ":" in the command: socat
      // would split the address there.
      'TCP-LISTEN:80,fork,reuseaddr,crlf',
      'SYSTEM:while read -r l && [ -n "$l" ]; do true; done; echo HTTP/1.0 200 OK; echo; echo internet-ok',
    );
    const pid = docker('inspect', '-f', '{{.State.Pid}}', inet);
    const sh = (script: string) => execFileSync('sh', ['-ec', script], { stdio: 'pipe' });
    sh(`ip link add ${hostVeth} type veth peer name inet0 netns ${pid}
        ip addr add ${INTERNET_GW}/24 dev ${hostVeth}
        ip link set ${hostVeth} up
        nsenter -t ${pid} -n ip addr add ${INTERNET}/24 dev inet0
        nsenter -t ${pid} -n ip addr add ${LINK_LOCAL}/32 dev inet0
        nsenter -t ${pid} -n ip link set inet0 up
        nsenter -t ${pid} -n ip route add default via ${INTERNET_GW}
        ip route add ${LINK_LOCAL}/32 via ${INTERNET}`);

    server = await startTestServer({ LAB_EGRESS: 'on', HOST: '0.0.0.0', LAB_MAX_SESSIONS_PER_CLIENT: '10' });
    terms.push((await openTerminal(server)).term, (await openTerminal(server)).term);
    [a, b] = docker('ps', '--filter', `label=lab.owner=${server.instance}`, '--filter', 'label=lab.kind=sandbox', '--format', '{{.Names}}').split(
      '\n',
    ) as [string, string];
  });
  after(async () => {
    for (const t of terms) await t.close();
    await server?.stop();
    if (server) removeOwned(server.instance);
    // Removing the container removes its veth, the host end and the route with it.
    run('docker', ['rm', '-f', inet]);
    run('ip', ['link', 'del', hostVeth]);
  });

  test('each sandbox has its own bridge network, carrying the lab labels', () => {
    const netA = docker('inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}', a);
    const netB = docker('inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}', b);
    assert.notEqual(netA, netB);
    assert.equal(docker('network', 'inspect', '-f', '{{index .Labels "lab.owner"}}', netA), server.instance);
    assert.notEqual(ip(a, 'IPAddress'), '');
  });

  test('control: the host reaches the stand-in internet and the link-local address', async () => {
    for (const addr of [INTERNET, LINK_LOCAL]) {
      const res = await fetch(`http://${addr}/`, { signal: AbortSignal.timeout(5000) });
      assert.match(await res.text(), /internet-ok/, addr);
    }
  });

  test("the outside is reachable from the sandbox, the reader's shell and an inner container", () => {
    const url = `http://${INTERNET}/`;
    const outer = inSandbox(b, `curl -sS -m 10 ${url}`);
    assert.match(outer.out, /internet-ok/, outer.out);
    const shell = inShell(b, `curl -sS -m 10 ${url}`);
    assert.equal(shell.code, 0, shell.out);
    assert.match(shell.out, /internet-ok/);
    const inner = inShell(b, `docker run --rm curlimages/curl -sS -m 10 ${url}`);
    assert.equal(inner.code, 0, inner.out);
    assert.match(inner.out, /internet-ok/);
  });

  test("names resolve in the reader's shell and inner containers (Docker's DNS, relayed)", () => {
    const own = ip(b, 'IPAddress');
    const shell = inShell(b, `getent hosts ${b}`);
    assert.equal(shell.code, 0, shell.out);
    assert.match(shell.out, new RegExp(`^${own.replaceAll('.', '\\.')}\\s`));
    const inner = inShell(b, `docker run --rm busybox:1.29 nslookup ${b}`);
    assert.match(inner.out, new RegExp(own.replaceAll('.', '\\.')), inner.out);
  });

  test('another sandbox is unreachable', () => {
    // Control: A's listener answers A itself.
    inSandbox(a, '(socat TCP-LISTEN:9999,fork,reuseaddr SYSTEM:"echo from-a" >/dev/null 2>&1 &); sleep 0.5');
    const own = inSandbox(a, `socat -T2 - TCP:${ip(a, 'IPAddress')}:9999 </dev/null`);
    assert.match(own.out, /from-a/);
    for (const where of [inSandbox, inShell]) {
      const cross = where(b, `curl -sS -m 3 --http0.9 http://${ip(a, 'IPAddress')}:9999/`);
      assert.notEqual(cross.code, 0);
      assert.doesNotMatch(cross.out, /from-a/);
    }
  });

  test('the host (lab server), 169.254.169.254 and link-local addresses are unreachable', async () => {
    const port = new URL(server.url).port;
    const gateway = ip(b, 'Gateway');
    // Control: the host itself reaches the server on the bridge gateway address
    // (an HTTP answer is the proof; 421 because that address is no allowed Host).
    assert.ok([200, 421].includes((await fetch(`http://${gateway}:${port}/healthz`)).status));
    const urls = [`http://${gateway}:${port}/healthz`, `http://${LINK_LOCAL}/`, 'http://169.254.169.254/latest/meta-data/'];
    for (const url of urls) {
      for (const [where, r] of [
        ['sandbox', inSandbox(b, `curl -sS -m 3 ${url}`)],
        ['shell', inShell(b, `curl -sS -m 3 ${url}`)],
        ['inner container', inShell(b, `docker run --rm curlimages/curl -sS -m 3 ${url}`)],
      ] as const) {
        assert.notEqual(r.code, 0, `${where} ${url}: ${r.out}`);
        assert.match(r.out, /curl: \((7|28)\)/, `${where} ${url}`);
        assert.doesNotMatch(r.out, /internet-ok/);
      }
    }
  });
});
