/**
 * What one reader can do to others and to the host: nothing. Two sandboxes
 * of two sessions on one real engine; each one's containers are invisible to
 * the other, neither can reach the other, the lab server or the metadata
 * address, a memory bomb or a fork bomb in one leaves the host, the server
 * and the other sandbox working, and so does exhausting a kernel per-user
 * count (inotify instances): each sandbox's user namespace is owned by its
 * own host uid, so the kernel charges it there, not to host root (issue 8,
 * item 3: before, 128 instances in one sandbox broke `tail -f` in every
 * other one and fs.watch on the host).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SANDBOX_USERNS_BASE, SANDBOX_USERNS_LIMITS, SANDBOX_USERNS_OWNER_LABEL } from '../../lab-server/src/sandbox/spec.ts';
import { startTestServer } from './test-server.ts';
import { docker, removeOwned, sleep, type LabServer } from '../support/lab-server.ts';
import { healthz, openTerminal, endSession, type LabTerminal } from '../support/terminal.ts';

/** Opens inotify instances until the kernel refuses, prints how many, then holds them. */
const EXHAUST_INOTIFY =
  "perl -MConfig -e '$| = 1; $nr = $Config{archname} =~ /^aarch64/ ? 26 : 294; $n = 0; " +
  'while (syscall($nr, 0) >= 0) { $n++ } print "held=$n err=$!\\n"; sleep 300\'';
/** One inotify_init1 attempt. */
const ONE_INOTIFY =
  'perl -MConfig -e \'$nr = $Config{archname} =~ /^aarch64/ ? 26 : 294; print syscall($nr, 0) >= 0 ? "inotify=ok\\n" : "inotify=$!\\n"\'';

/**
 * Host uids owning the user namespace of a host pid and its parent (ioctl
 * NS_GET_OWNER_UID and NS_GET_PARENT on the nsfs file).
 */
function usernsOwners(pid: number): [number, number] {
  const script = [
    'open(my $f, "<", "/proc/$ARGV[0]/ns/user") or die $!;',
    'my $b = pack("L", 0); ioctl($f, 0xb704, $b) or die $!; my $own = unpack("L", $b);',
    'my $pfd = ioctl($f, 0xb702, 0) or die $!; open(my $p, "<&=", $pfd + 0) or die $!;',
    '$b = pack("L", 0); ioctl($p, 0xb704, $b) or die $!; print "$own ", unpack("L", $b);',
  ].join(' ');
  const [own, parent] = execFileSync('perl', ['-e', script, String(pid)], { encoding: 'utf8' })
    .split(' ')
    .map(Number);
  return [own!, parent!];
}

/** Host addresses a sandbox might try for the lab server (not loopback: that is the sandbox's own). */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

describe('sandbox isolation', () => {
  let server: LabServer;
  let a: { cookie: string; term: LabTerminal };
  let b: { cookie: string; term: LabTerminal };

  before(async () => {
    // Listen on every address, so "unreachable" is the sandbox's doing, not the bind address.
    server = await startTestServer({ HOST: '0.0.0.0', LAB_MAX_SESSIONS_PER_CLIENT: '10' });
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
    assert.deepEqual(
      ifaces.filter((i) => i !== 'lo' && i !== 'docker0' && !i.startsWith('veth')),
      [],
      `interfaces: ${ifaces}`,
    );
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

  test("each sandbox's user namespace is owned by its own host uid (the label), not by root", async () => {
    const ids = docker('ps', '-q', '--filter', `label=lab.owner=${server.instance}`, '--filter', 'label=lab.kind=sandbox')
      .split('\n')
      .filter(Boolean);
    assert.equal(ids.length, 2);
    const owners = new Set<number>();
    for (const id of ids) {
      const label = Number(docker('inspect', '-f', `{{index .Config.Labels "${SANDBOX_USERNS_OWNER_LABEL}"}}`, id));
      // The inner world's pid 1 (tini running dockerd), as a host pid.
      const top = docker('top', id, '-eo', 'pid,args')
        .split('\n')
        .find((l) => /\/usr\/bin\/tini -s -- dockerd/.test(l));
      assert.ok(top, `no inner tini in ${id}`);
      // The world's namespace belongs to the intermediate one's root (host 100000,
      // one user there for everything the sandbox does); that one to the labelled uid.
      const [inner, owner] = usernsOwners(Number(top.trim().split(/\s+/)[0]));
      assert.equal(inner, SANDBOX_USERNS_BASE);
      assert.equal(owner, label, "the kernel's owner is the labelled uid");
      assert.ok(owner >= 1_000_000_000, `owner ${owner}`);
      owners.add(owner);
    }
    assert.equal(owners.size, 2, 'two sandboxes, two owners');
  });

  test('inotify exhausted in one sandbox: tail -f still works in the other, and on the host (root, Node fs.watch)', async () => {
    const hostMax = Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8'));
    const max = SANDBOX_USERNS_LIMITS.max_inotify_instances!;
    assert.ok(max < hostMax);
    // The reader may raise its own namespace's limit; the bound sits one level up, out of reach.
    assert.match(await a.term.run('echo 100000 > /proc/sys/user/max_inotify_instances; cat /proc/sys/user/max_inotify_instances'), /^100000$/m);
    a.term.type(`${EXHAUST_INOTIFY} > /tmp/inotify.out 2>&1 &\r`);
    let held = '';
    for (let i = 0; i < 40 && !/held=/.test(held); i++) {
      await sleep(250);
      held = await a.term.run('cat /tmp/inotify.out');
    }
    const m = /held=(\d+) err=(.*)/.exec(held);
    assert.ok(m, held);
    // A hit its own bound (the sandbox's limit; its dockerd may hold a few).
    assert.match(m[2]!, /Too many open files/);
    assert.ok(Number(m[1]) > max / 2 && Number(m[1]) <= max, `held ${m[1]} of ${max}`);
    // Control: A itself is out of inotify instances.
    assert.match(await a.term.run(ONE_INOTIFY), /inotify=Too many open files/);
    assert.match(await a.term.run('timeout 2 tail -f /etc/hostname 2>&1; true'), /inotify cannot be used|reverting to polling/);
    // B: tail -f uses inotify as usual.
    const tailB = await b.term.run('timeout 2 tail -f /etc/hostname 2>&1; true');
    assert.doesNotMatch(tailB, /inotify|polling/, tailB);
    assert.match(tailB, /sandbox/);
    assert.match(await b.term.run(ONE_INOTIFY), /inotify=ok/);
    // The host: root's tail -f and Node's fs.watch (what the lab server itself uses).
    const dir = mkdtempSync(path.join(tmpdir(), 'lab-inotify-'));
    try {
      writeFileSync(path.join(dir, 'f'), 'x\n');
      const watcher = watch(dir);
      watcher.close();
      let tail = '';
      try {
        execFileSync('timeout', ['1', 'tail', '-f', path.join(dir, 'f')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        tail = String((err as { stderr?: string }).stderr ?? '');
      }
      assert.doesNotMatch(tail, /inotify|polling/, tail);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal((await healthz(server)).status, 200);
    // Released when A's holder ends.
    await a.term.run('kill %1; wait; true');
    assert.match(await a.term.run(ONE_INOTIFY), /inotify=ok/);
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
      left = docker('ps', '-a', '-q', '--filter', `label=lab.owner=${server.instance}`, '--filter', 'label=lab.kind=sandbox');
      if (left.split('\n').filter(Boolean).length <= 1) break;
      await sleep(500);
    } while (Date.now() < until);
    assert.equal(left.split('\n').filter(Boolean).length, 1, 'only B’s sandbox is left');
  });
});
