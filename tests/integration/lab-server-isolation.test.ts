/**
 * What one reader can do to others and to the host: nothing. Two sandboxes
 * of two sessions on one real engine; each one's containers are invisible to
 * the other, neither can reach the other, the lab server or the metadata
 * address, and a memory bomb or a fork bomb in one leaves the host, the
 * server and the other sandbox working.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { healthz, openTerminal, endSession, removeOwned, sleep, startLabServer, type LabServer, type TestTerminal } from './lab-server-harness.ts';

/** Host addresses a sandbox might try for the lab server (not loopback: that is the sandbox's own). */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

describe('sandbox isolation', () => {
  let server: LabServer;
  let a: { cookie: string; term: TestTerminal };
  let b: { cookie: string; term: TestTerminal };

  before(async () => {
    // Listen on every address, so "unreachable" is the sandbox's doing, not the bind address.
    server = await startLabServer({ HOST: '0.0.0.0', LAB_MAX_SESSIONS_PER_CLIENT: '10' });
    a = await openTerminal(server);
    b = await openTerminal(server);
  });
  after(async () => {
    await a?.term.close();
    await b?.term.close();
    await server?.stop();
    removeOwned(server.instance);
  });

  test('two sandboxes cannot see each other’s containers', async () => {
    assert.match(await a.term.run('docker run -d --name only-in-a busybox:1.29 sleep 600 >/dev/null'), /rc=0$/);
    assert.match(await a.term.run('docker ps --format "{{.Names}}"'), /^only-in-a\n/m);
    const inB = await b.term.run('docker ps -a --format "{{.Names}}"; docker volume ls -q | wc -l');
    assert.doesNotMatch(inB, /only-in-a/);
    // Same name in B: no conflict, it is another engine.
    assert.match(await b.term.run('docker run --rm --name only-in-a busybox:1.29 true'), /rc=0$/);
  });

  test('two sandboxes cannot reach each other', async () => {
    assert.match(await a.term.run('docker run -d --name web nginx >/dev/null'), /rc=0$/);
    const ip = (await a.term.run('docker inspect -f "{{.NetworkSettings.IPAddress}}" web')).split('\n')[0]!;
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    // Control: from inside A, the web server answers.
    let fromA = '';
    for (let i = 0; i < 20 && !/Welcome to nginx/.test(fromA); i++) {
      fromA = await a.term.run(`curl -s -m 2 http://${ip}/`);
      if (!/Welcome to nginx/.test(fromA)) await sleep(250);
    }
    assert.match(fromA, /Welcome to nginx/);
    // From B the same address leads nowhere (B's own inner bridge at most).
    const fromB = await b.term.run(`curl -sS -m 3 http://${ip}/`);
    assert.doesNotMatch(fromB, /Welcome to nginx/);
    assert.doesNotMatch(fromB, /rc=0$/);
    // B has no way out at all: loopback and its own inner Docker bridge only.
    const ifaces = (await b.term.run('ls /sys/class/net')).split('\n').slice(0, -1);
    assert.deepEqual(ifaces.filter((i) => i !== 'lo' && i !== 'docker0' && !i.startsWith('veth')), [], `interfaces: ${ifaces}`);
    assert.doesNotMatch(await b.term.run('ip route'), /default/);
  });

  test('the lab server and 169.254.169.254 are unreachable from a sandbox and from its containers', async () => {
    const port = new URL(server.url).port;
    const targets = [...hostAddresses(), '172.17.0.1'].map((h) => `http://${h}:${port}/healthz`);
    // Control: from the host each of these reaches the server.
    const reachable = [];
    for (const url of targets) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200 || res.status === 503) reachable.push(url);
      } catch {
        /* not an address of this host */
      }
    }
    assert.ok(reachable.length > 0, `no host address reaches the server: ${targets}`);
    for (const url of [...reachable, 'http://169.254.169.254/latest/meta-data/']) {
      const direct = await a.term.run(`curl -sS -m 3 -o /dev/null ${url}`);
      assert.match(direct, /curl: \((7|28)\)/, `sandbox reached ${url}: ${direct}`);
      const nested = await a.term.run(`docker run --rm curlimages/curl -sS -m 3 -o /dev/null ${url}`);
      assert.match(nested, /curl: \((7|28)\)/, `inner container reached ${url}: ${nested}`);
    }
  });

  test('a memory bomb is killed inside its sandbox; host, server and the other sandbox are fine', async () => {
    // tail keeps everything it read (no newline in /dev/zero): it grows until the OOM killer stops it.
    const bomb = await a.term.run('head -c 8G /dev/zero | tail >/dev/null; echo "tail=${PIPESTATUS[1]}"', 120_000);
    assert.match(bomb, /tail=137\n/, bomb);
    const nested = await a.term.run('docker run --rm busybox:1.29 sh -c "head -c 8000000000 /dev/zero | tail >/dev/null"', 120_000);
    assert.match(nested, /rc=137$/, nested);
    // The sandbox itself survived: its shell and its engine still answer.
    assert.match(await a.term.run('docker ps -q | wc -l'), /rc=0$/);
    assert.equal((await healthz(server)).status, 200);
    assert.match(await b.term.run('echo fine'), /^fine\n/);
  });

  test('a fork bomb hits the pids limit; host, server and the other sandbox are fine; its sandbox is removed', async () => {
    a.term.type(':(){ :|:& };:\r');
    await sleep(5000);
    const started = Date.now();
    const h = await healthz(server);
    assert.equal(h.status, 200);
    assert.ok(Date.now() - started < 3000, 'server answers promptly during the bomb');
    const fine = Date.now();
    assert.match(await b.term.run('echo fine; docker run --rm busybox:1.29 echo inner-fine', 60_000), /^fine\n[\s\S]*inner-fine\n/);
    assert.ok(Date.now() - fine < 30_000);
    // Ending the session removes the bombed sandbox, processes and all.
    assert.equal(await endSession(server, a.cookie), 204);
    const until = Date.now() + 30_000;
    let left = '';
    do {
      left = (await import('./lab-server-harness.ts')).docker('ps', '-a', '-q', '--filter', `label=lab.owner=${server.instance}`, '--filter', 'label=lab.kind=sandbox');
      if (left.split('\n').filter(Boolean).length <= 1) break;
      await sleep(500);
    } while (Date.now() < until);
    assert.equal(left.split('\n').filter(Boolean).length, 1, 'only B’s sandbox is left');
  });
});
