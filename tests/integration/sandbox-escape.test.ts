/**
 * The sandbox itself must not be a way to host root (issue 8, item 1).
 *
 * The escape this guards against, as reported: the reader's (namespaced)
 * root owned /run, so `mv /run/lab /run/lab.x && mkdir /run/lab` removed the
 * inner world's pid file, and lab-shell -- run by the lab server with
 * `docker exec`, i.e. as the container's real root (host uid 0, CAP_SYS_ADMIN,
 * no user namespace) -- fell back to a plain `bash -l`: the next terminal
 * had uid_map `0 0 4294967295`, SYS_ADMIN, and could write the host's
 * kernel.core_pattern through a fresh proc mount.
 *
 * Checked here on the real engine, with the exact flags of sandbox/spec.ts:
 *   - that reproduction, step by step: the next shell is in the sandbox's
 *     user namespace (or there is none), never host root;
 *   - the general rule: every path the outer root reads or executes when
 *     the lab server execs into the sandbox (lab-shell, readiness, disk
 *     usage) is host root's and not writable from inside -- also with the
 *     inner world's own /run unmounted, which reveals the outer one;
 *   - lab-shell fails closed when the outer state is wrong (no pid file, a
 *     pid outside the sandbox's namespace, a writable /run/lab): exit 111
 *     and no shell.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SANDBOX_DISK_DIR, SANDBOX_READY, SANDBOX_SHELL, SANDBOX_USERNS_BASE } from '../../lab-server/src/sandbox/spec.ts';
import { dockerRc, removeSandbox, startMirror, startSandbox, type Sandbox } from './helpers-sandbox.ts';

/** The reader's uid_map as seen from inside (ids map 1:1 onto the intermediate namespace) ... */
const INNER_MAP = '0 0 65536';
/** ... and the same process seen from the outer root: root there is host uid 100000. */
const INNER_MAP_OUTSIDE = `0 ${SANDBOX_USERNS_BASE} 65536`;
const HOST_MAP = '0 0 4294967295';
const CAP_SYS_ADMIN = 21n;

/** A second terminal, as the lab server opens it: docker exec ... lab-shell (as root). */
const newShell = (sb: Sandbox, script: string) =>
  dockerRc(['exec', '-i', '-e', 'LAB_NO_MOTD=1', '-u', 'root', sb.name, ...SANDBOX_SHELL.command, '-c', script], 60_000);
/** The outer root itself (what the lab server's own execs run as). */
const outer = (sb: Sandbox, script: string) => dockerRc(['exec', '-u', 'root', sb.name, 'sh', '-c', script], 60_000);

const normMap = (s: string) => s.trim().split(/\s+/).join(' ');
const capEff = (status: string) => BigInt('0x' + (/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'));

/**
 * What the outer root reads or runs at exec time (lab-shell, the readiness
 * probe, diskUsage's df/du), and every directory above them. The image's
 * files are on the read-only root filesystem; /run is the outer tmpfs.
 */
const EXEC_TIME_PATHS = [
  '/run',
  '/run/lab',
  '/run/lab/inner.pid',
  '/run/lab/userns-owner',
  SANDBOX_READY.command[2]!,
  '/usr/local/bin/lab-shell',
  '/usr/local/bin/lab-userns',
  '/usr/bin/nsenter',
  '/usr/bin/perl',
  '/usr/bin/stat',
  '/bin/sh',
  '/bin/bash',
  '/usr/bin/cat',
  '/usr/bin/test',
  '/usr/bin/df',
  '/usr/bin/du',
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/lib',
  '/usr/lib',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  SANDBOX_DISK_DIR,
];

describe('sandbox escape through /run/lab and the exec path', () => {
  let sb: Sandbox;

  before(async () => {
    await startMirror();
    sb = await startSandbox('escape');
  });
  after(async () => {
    // Only this file's sandbox: the test mirror may serve another file of the run.
    if (sb) await removeSandbox(sb);
  });

  test("control: the reader's shell is root only inside the sandbox's user namespace", async () => {
    const r = await newShell(sb, 'cat /proc/self/uid_map; grep CapEff /proc/self/status; readlink /proc/self/ns/user');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(normMap(r.stdout.split('\n')[0]!), INNER_MAP);
    // No descriptor of the outer world (e.g. the namespace fds lab-userns hands to nsenter) reaches the shell.
    const fds = await newShell(sb, 'ls /proc/$$/fd | sort -n | tr "\\n" " "');
    assert.equal(fds.stdout, '0 1 2 ');
    const seen = await outer(sb, 'cat /proc/$(cat /run/lab/inner.pid)/uid_map');
    assert.equal(normMap(seen.stdout), INNER_MAP_OUTSIDE);
    // The outer root, for comparison, is host root with SYS_ADMIN.
    const o = await outer(sb, 'cat /proc/self/uid_map; grep CapEff /proc/self/status');
    assert.equal(normMap(o.stdout.split('\n')[0]!), HOST_MAP);
    assert.ok((capEff(o.stdout) >> CAP_SYS_ADMIN) & 1n);
  });

  test('the reported hijack: mv /run/lab away, then a second terminal is still inside (never host root)', async () => {
    const hijack = await sb.sh('mv /run/lab /run/lab.x && mkdir /run/lab; echo "rc=$?"; ls -ld /run/lab /run/lab.x 2>&1; true');
    // The inner world has its own /run: the outer /run/lab is not even there to move.
    assert.match(hijack.stdout, /rc=1/, hijack.stdout + hijack.stderr);
    const second = await newShell(
      sb,
      'cat /proc/self/uid_map; grep CapEff /proc/self/status; mkdir -p /tmp/p && mount -t proc proc /tmp/p && cat /proc/sys/kernel/core_pattern > /tmp/p/sys/kernel/core_pattern && echo CORE-WRITABLE; true',
    );
    assert.equal(second.code, 0, second.stderr);
    assert.equal(normMap(second.stdout.split('\n')[0]!), INNER_MAP, second.stdout);
    assert.doesNotMatch(second.stdout, /CORE-WRITABLE/);
    // The outer state the lab server relies on is untouched.
    const state = await outer(sb, 'stat -c "%n %u %a" /run /run/lab /run/lab/inner.pid');
    assert.equal(state.stdout, '/run 0 755\n/run/lab 0 755\n/run/lab/inner.pid 0 644\n');
  });

  test('the same hijack with the inner /run unmounted (outer /run revealed): every step is refused', async () => {
    // A private mount namespace of the reader's own, so the sandbox keeps its /run.
    const script = [
      "unshare --mount --propagation private sh -c '",
      'umount -l /run && echo UNMOUNTED;',
      'ls /run/lab/inner.pid >/dev/null && echo SEES-OUTER-RUN;',
      'mv /run/lab /run/lab.x 2>&1 && echo MOVED;',
      'rm -f /run/lab/inner.pid 2>&1 && echo REMOVED;',
      'echo 1 > /run/lab/inner.pid 2>&1 && echo WROTE;',
      'mkdir /run/evil 2>&1 && echo MKDIR;',
      'touch /run/lab/ready.x 2>&1 && echo CREATED;',
      "true'",
    ].join(' ');
    const r = await sb.sh(script);
    assert.match(r.stdout, /UNMOUNTED/, r.stdout + r.stderr);
    assert.match(r.stdout, /SEES-OUTER-RUN/, 'the test reaches the outer /run (else it proves nothing)');
    assert.doesNotMatch(r.stdout, /\b(MOVED|REMOVED|WROTE|MKDIR|CREATED)\b/, r.stdout);
    assert.match(r.stdout, /Permission denied/);
    const second = await newShell(sb, 'cat /proc/self/uid_map');
    assert.equal(normMap(second.stdout), INNER_MAP);
  });

  test('general rule: nothing the outer root reads or runs at exec time is writable from inside', async () => {
    // Outside view: host root's, no group/other write, and so is every directory above.
    const list = EXEC_TIME_PATHS.join(' ');
    const o = await outer(
      sb,
      `for p in ${list}; do [ -e "$p" ] || continue; q=$p; while :; do stat -L -c "%n %u %a" "$q"; [ "$q" = / ] && break; q=$(dirname "$q"); done; done | sort -u`,
    );
    assert.equal(o.code, 0, o.stderr);
    const lines = o.stdout.trim().split('\n');
    assert.ok(lines.length >= EXEC_TIME_PATHS.length - 2, o.stdout);
    for (const line of lines) {
      const [name, uid, mode] = line.split(' ');
      assert.equal(uid, '0', `${name} is owned by host root`);
      const perms = parseInt(mode!, 8);
      assert.equal(perms & 0o022, 0, `${name} (${mode}) is not group/other writable`);
    }
    // Inside view, with the inner /run unmounted too: no create, write, rename or chmod succeeds.
    const attempt = (p: string) =>
      `for q in "${p}" "${p}/x"; do (echo x >> "$q") 2>/dev/null && echo "WRITABLE $q"; done; mv "${p}" "${p}.x" 2>/dev/null && echo "RENAMED ${p}"; chmod 777 "${p}" 2>/dev/null && echo "CHMOD ${p}"; ln -s /etc/shadow "${p}.l" 2>/dev/null && echo "LINKED ${p}";`;
    // (With the inner world's /run mounted, /run/... names its own tmpfs, which the outer root never reads.)
    const attempts = (paths: string[]) => paths.map(attempt).join(' ');
    for (const [prefix, paths] of [
      ['', EXEC_TIME_PATHS.filter((p) => !p.startsWith('/run'))],
      ['umount -l /run;', EXEC_TIME_PATHS],
    ] as const) {
      const r = await sb.sh(`unshare --mount --propagation private bash -c '${prefix} ${attempts([...paths]).replaceAll("'", "'\\''")} true'`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '', `writable from inside (${prefix || 'inner /run mounted'}):\n${r.stdout}`);
    }
  });

  test('lab-shell fails closed: no pid file, a pid outside the namespace, or a writable /run/lab give no shell', async () => {
    const cases: [string, string, string][] = [
      ['no pid file', 'mv /run/lab/inner.pid /run/lab/inner.pid.bak', 'mv /run/lab/inner.pid.bak /run/lab/inner.pid'],
      ['empty pid file', 'cp /run/lab/inner.pid /run/lab/bak && : > /run/lab/inner.pid', 'cp /run/lab/bak /run/lab/inner.pid'],
      [
        'pid 1 of the container (outer world)',
        'cp /run/lab/inner.pid /run/lab/bak && echo 1 > /run/lab/inner.pid',
        'cp /run/lab/bak /run/lab/inner.pid',
      ],
      [
        'the entrypoint (outer world, own pid ns)',
        'cp /run/lab/inner.pid /run/lab/bak && pgrep -f lab-entrypoint | tail -1 > /run/lab/inner.pid',
        'cp /run/lab/bak /run/lab/inner.pid',
      ],
      ['/run/lab writable by others', 'chmod 0777 /run/lab', 'chmod 0755 /run/lab'],
      ['/run/lab owned by the inner root', `chown ${SANDBOX_USERNS_BASE} /run/lab`, 'chown 0 /run/lab'],
    ];
    for (const [what, breakIt, fixIt] of cases) {
      const broken = await outer(sb, breakIt);
      assert.equal(broken.code, 0, `${what}: ${broken.stderr}`);
      const r = await newShell(sb, 'echo SHELL; cat /proc/self/uid_map');
      await outer(sb, fixIt);
      assert.equal(r.code, 111, `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stdout, /SHELL/, what);
      assert.match(r.stderr, /^lab-(shell|userns): /m, what);
    }
    // Restored: a shell again, inside.
    const ok = await newShell(sb, 'cat /proc/self/uid_map');
    assert.equal(normMap(ok.stdout), INNER_MAP);
  });

  test('the sandbox refuses to start again on a disk an inner root already had', async () => {
    const stop = await dockerRc(['stop', '-t', '5', sb.name]);
    assert.equal(stop.code, 0, stop.stderr);
    await dockerRc(['start', sb.name]);
    let state = '';
    for (let i = 0; i < 40; i++) {
      state = (await dockerRc(['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', sb.name])).stdout.trim();
      if (state.startsWith('false')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(state, 'false 1');
    const logs = await dockerRc(['logs', '--tail', '5', sb.name]);
    assert.match(logs.stdout + logs.stderr, /used by an earlier sandbox start: refusing/);
  });
});
