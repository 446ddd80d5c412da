/**
 * LAB_EGRESS=on on the real engine: each sandbox gets its own bridge network
 * with a way out, but not to another sandbox, not to the host (where the lab
 * server and the mirror live) and not to 169.254.169.254. Checked from the
 * sandbox container's own network namespace (docker exec), which is what the
 * lab server controls; the reader's shell and inner engine run in a nested
 * namespace that the sandbox image routes through it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { docker, openTerminal, removeOwned, startLabServer, type LabServer, type TestTerminal } from './lab-server-harness.ts';

/** Runs a command in a sandbox container's own namespace; resolves with output and exit code. */
function inSandbox(container: string, command: string): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync('docker', ['exec', container, 'sh', '-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const ip = (container: string, field: 'IPAddress' | 'Gateway') =>
  docker('inspect', '-f', `{{range .NetworkSettings.Networks}}{{.${field}}}{{end}}`, container);

describe('sandbox egress (LAB_EGRESS=on)', () => {
  let server: LabServer;
  let a: string;
  let b: string;
  const terms: TestTerminal[] = [];

  before(async () => {
    server = await startLabServer({ LAB_EGRESS: 'on', HOST: '0.0.0.0', LAB_MAX_SESSIONS_PER_CLIENT: '10' });
    terms.push((await openTerminal(server)).term, (await openTerminal(server)).term);
    [a, b] = docker('ps', '--filter', `label=lab.owner=${server.instance}`, '--filter', 'label=lab.kind=sandbox', '--format', '{{.Names}}').split('\n') as [string, string];
  });
  after(async () => {
    for (const t of terms) await t.close();
    await server?.stop();
    removeOwned(server.instance);
  });

  test('each sandbox has its own bridge network, carrying the lab labels', () => {
    const netA = docker('inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}', a);
    const netB = docker('inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}', b);
    assert.notEqual(netA, netB);
    assert.equal(docker('network', 'inspect', '-f', '{{index .Labels "lab.owner"}}', netA), server.instance);
    assert.notEqual(ip(a, 'IPAddress'), '');
  });

  test('the internet is reachable (the point of egress)', () => {
    const r = inSandbox(b, 'curl -sS -m 10 -o /dev/null -w "%{http_code}" http://deb.debian.org/debian/');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^[23]\d\d$/);
  });

  test('another sandbox is unreachable', () => {
    // Control: A's listener answers A itself.
    inSandbox(a, '(socat TCP-LISTEN:9999,fork,reuseaddr SYSTEM:"echo from-a" >/dev/null 2>&1 &); sleep 0.5');
    const own = inSandbox(a, `socat -T2 - TCP:${ip(a, 'IPAddress')}:9999 </dev/null`);
    assert.match(own.out, /from-a/);
    const cross = inSandbox(b, `curl -sS -m 3 --http0.9 http://${ip(a, 'IPAddress')}:9999/`);
    assert.notEqual(cross.code, 0);
    assert.doesNotMatch(cross.out, /from-a/);
  });

  test('the host (lab server) and 169.254.169.254 are unreachable', async () => {
    const port = new URL(server.url).port;
    const gateway = ip(b, 'Gateway');
    // Control: the host itself reaches the server on the bridge gateway address.
    assert.equal((await fetch(`http://${gateway}:${port}/healthz`)).status, 200);
    for (const url of [`http://${gateway}:${port}/healthz`, 'http://169.254.169.254/latest/meta-data/']) {
      const r = inSandbox(b, `curl -sS -m 3 ${url}`);
      assert.notEqual(r.code, 0, `${url}: ${r.out}`);
      assert.match(r.out, /curl: \((7|28)\)/);
    }
  });
});
