import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import {
  DOCKER_DEFAULT_CAPS,
  MIRROR_CREATE_SPEC,
  MIRROR_SOCKET,
  PROXY_SOCKET,
  SANDBOX_GHCR_ADDRESS,
  SANDBOX_HOST_CONFIG,
  SANDBOX_MIRROR_PORT,
  SANDBOX_PROXY_PORT,
  SANDBOX_READY,
  SANDBOX_SHELL,
  SANDBOX_DISK_DIR,
  SANDBOX_DISK_PATHS,
  SANDBOX_USERNS_BASE,
  SANDBOX_USERNS_LIMITS,
  SANDBOX_USERNS_OWNER_ENV,
  SANDBOX_USERNS_OWNER_LABEL,
  SANDBOX_USERNS_OWNER_MIN,
  SECCOMP_PROFILE_JSON,
  hubCacheSpec,
  sandboxCreateSpec,
  sandboxUsernsOwner,
} from './spec.ts';

const images = new URL('../../images/', import.meta.url);
const read = (rel: string) => readFileSync(new URL(rel, images), 'utf8');

test('sandbox is not privileged and has no host devices, paths or Docker socket', () => {
  const spec = sandboxCreateSpec('itest-data');
  const hc = spec.HostConfig;
  assert.equal(hc.Privileged, false);
  assert.deepEqual(hc.Devices, []);
  assert.equal(hc.NetworkMode, 'none');
  assert.ok(!('Binds' in hc), 'no bind mounts');
  for (const m of hc.Mounts) {
    assert.equal(m.Type, 'volume', `${m.Target} is a named volume, not a host path`);
    assert.ok(!/docker\.sock/.test(m.Source ?? ''), 'never the host Docker socket');
  }
  assert.ok(hc.Mounts.some((m) => m.Target === SANDBOX_DISK_DIR && m.Source === 'itest-data'));
  assert.ok(hc.Mounts.some((m) => m.Target === '/run/lab-mirror' && m.ReadOnly === true));
});

test('capabilities: all dropped, then Docker defaults + SYS_ADMIN + NET_ADMIN only', () => {
  assert.deepEqual(SANDBOX_HOST_CONFIG.CapDrop, ['ALL']);
  const add = new Set(SANDBOX_HOST_CONFIG.CapAdd);
  for (const cap of DOCKER_DEFAULT_CAPS) assert.ok(add.has(cap), cap);
  assert.ok(add.has('SYS_ADMIN') && add.has('NET_ADMIN'));
  assert.equal(add.size, DOCKER_DEFAULT_CAPS.length + 2);
  for (const never of ['SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_BOOT', 'SYS_TIME', 'DAC_READ_SEARCH', 'SYS_RESOURCE']) {
    assert.ok(!add.has(never), `${never} is not granted`);
  }
});

test('seccomp: our default-deny profile, not unconfined; keyrings ENOSYS; mount allowed', () => {
  const opts = SANDBOX_HOST_CONFIG.SecurityOpt;
  assert.ok(!opts.some((o) => o.includes('unconfined')));
  assert.ok(opts.includes('no-new-privileges'));
  const seccomp = opts.find((o) => o.startsWith('seccomp='));
  assert.ok(seccomp);
  const profile = JSON.parse(seccomp.slice('seccomp='.length));
  assert.deepEqual(profile, JSON.parse(SECCOMP_PROFILE_JSON));
  assert.deepEqual(profile, JSON.parse(read('sandbox/seccomp.json')));
  assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
  const rule = (name: string) => profile.syscalls.find((r: { names: string[] }) => r.names.includes(name));
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'clone', 'clone3', 'bpf']) {
    assert.equal(rule(name)?.action, 'SCMP_ACT_ALLOW', name);
  }
  for (const name of ['keyctl', 'add_key', 'request_key']) {
    assert.equal(rule(name)?.action, 'SCMP_ACT_ERRNO', name);
    assert.equal(rule(name)?.errnoRet, 38, `${name} answers ENOSYS`);
  }
  for (const name of ['kexec_load', 'init_module', 'finit_module', 'open_by_handle_at', 'io_uring_setup', 'perf_event_open']) {
    assert.equal(rule(name)?.action, 'SCMP_ACT_ERRNO', name);
  }
  // Every name appears in exactly one rule.
  const all = profile.syscalls.flatMap((r: { names: string[] }) => r.names);
  assert.equal(new Set(all).size, all.length);
});

test('readiness file, shell and mirror sockets match what the images do', () => {
  const entrypoint = read('sandbox/lab-entrypoint');
  assert.deepEqual(SANDBOX_READY.command, ['test', '-f', '/run/lab/ready']);
  assert.match(entrypoint, /READY=\/run\/lab\/ready/);
  assert.match(entrypoint, new RegExp(MIRROR_SOCKET.replaceAll('/', '\\/')));
  assert.match(entrypoint, new RegExp(PROXY_SOCKET.replaceAll('/', '\\/')));
  assert.match(read('sandbox/Dockerfile'), new RegExp(`COPY lab-shell ${SANDBOX_SHELL.command[0]}`));
  assert.match(read('registry/serve.yml'), new RegExp(`addr: ${MIRROR_SOCKET}`));
  assert.match(read('registry/serve.yml'), /readonly:\s*\n\s*enabled: true/);
  assert.match(read('registry/proxy.yml'), new RegExp(`addr: ${PROXY_SOCKET}`));
  assert.match(read('registry/proxy.yml'), /remoteurl: https:\/\/registry-1\.docker\.io/);
});

test("mirror bridge ports stay out of the reader's way; ghcr.io needs no port 80 listener", () => {
  const entrypoint = read('sandbox/lab-entrypoint');
  for (const port of [SANDBOX_MIRROR_PORT, SANDBOX_PROXY_PORT]) {
    // Above the ephemeral range (32768-60999) and below 65536.
    assert.ok(port > 60999 && port < 65536, `${port}`);
  }
  assert.match(entrypoint, new RegExp(`MIRROR_PORT=\\$\\{LAB_MIRROR_PORT:-${SANDBOX_MIRROR_PORT}\\}`));
  assert.match(entrypoint, new RegExp(`PROXY_PORT=\\$\\{LAB_PROXY_PORT:-${SANDBOX_PROXY_PORT}\\}`));
  assert.match(entrypoint, new RegExp(`GHCR_ADDR=${SANDBOX_GHCR_ADDRESS.replaceAll('.', '\\.')}\n`));
  assert.match(entrypoint, /--registry-mirror "http:\/\/127\.0\.0\.1:\$MIRROR_PORT"/);
  assert.match(entrypoint, /--registry-mirror "http:\/\/127\.0\.0\.1:\$PROXY_PORT"/);
  assert.match(entrypoint, /-t nat -I OUTPUT 1 -d "\$GHCR_ADDR" -p tcp --dport 80 .*-j DNAT --to-destination "127\.0\.0\.1:\$MIRROR_PORT"/s);
  // No listener on the ports readers publish in the lessons.
  assert.doesNotMatch(entrypoint, /TCP-LISTEN:(80|5000|5001)\b/);
  assert.doesNotMatch(entrypoint, /127\.0\.0\.1:(5000|5001)\b/);
});

test('mirror containers: no capabilities, read-only root; the offline one has no network', () => {
  const proxy = hubCacheSpec({ upstream: 'https://registry-1.docker.io' }).create;
  assert.ok(proxy.Env.includes('REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io'));
  assert.deepEqual(proxy.Cmd, ['serve', '/etc/docker/registry/proxy.yml']);
  for (const spec of [MIRROR_CREATE_SPEC, proxy]) {
    assert.deepEqual(spec.HostConfig.CapDrop, ['ALL']);
    assert.deepEqual(spec.HostConfig.CapAdd, []);
    assert.equal(spec.HostConfig.ReadonlyRootfs, true);
  }
  assert.equal(MIRROR_CREATE_SPEC.HostConfig.NetworkMode, 'none');
  const data = MIRROR_CREATE_SPEC.HostConfig.Mounts.find((m) => m.Target === '/var/lib/docker-registry');
  assert.equal(data?.ReadOnly, true);
  assert.deepEqual(MIRROR_CREATE_SPEC.Cmd, ['serve', '/etc/docker/registry/serve.yml']);
});

test('build-images.sh maps lesson image names to mirror repositories', () => {
  const script = readFileSync(new URL('../../../scripts/build-images.sh', import.meta.url), 'utf8');
  const fn = /^mirror_repo\(\) \{\n[\s\S]*?\n\}\n/m.exec(script)?.[0];
  assert.ok(fn, 'mirror_repo() in build-images.sh');
  const repo = (image: string) => execFileSync('bash', ['-c', `${fn}mirror_repo "$1"`, 'bash', image], { encoding: 'utf8' }).trim();
  assert.equal(repo('nginx'), 'library/nginx:latest');
  assert.equal(repo('busybox:1.29'), 'library/busybox:1.29');
  assert.equal(repo('curlimages/curl'), 'curlimages/curl:latest');
  assert.equal(repo('dockerinaction/ch2_mailer'), 'dockerinaction/ch2_mailer:latest');
  assert.equal(repo('ghcr.io/acme/api:1.0'), 'acme/api:1.0');
  assert.equal(repo('wordpress:6.4.3-php8.1-apache'), 'library/wordpress:6.4.3-php8.1-apache');
});

test('every lesson image directory lists its tags and has a Dockerfile', () => {
  const dirs = readdirSync(new URL('lessons/', images));
  const tags: string[] = [];
  for (const dir of dirs) {
    read(`lessons/${dir}/Dockerfile`);
    for (const line of read(`lessons/${dir}/images`).split('\n')) {
      for (const word of line.replace(/#.*/, '').trim().split(/\s+/)) {
        if (word && !word.includes('=')) tags.push(word);
      }
    }
  }
  for (const needed of [
    'busybox:1.29',
    'busybox:latest',
    'nginx:latest',
    'nginx:alpine',
    'alpine:latest',
    'ubuntu:latest',
    'httpd:latest',
    'mysql:5.7',
    'wordpress:6.4.3-php8.1-apache',
    'wordpress:5.0.0-php7.2-apache',
    'postgres:16-alpine',
    'curlimages/curl:latest',
    'dockerinaction/ch2_mailer:latest',
    'dockerinaction/ch2_agent:latest',
    'myapp:prod',
    'myapp:latest',
    'mysvc:latest',
    'ghcr.io/acme/api:1.0',
    'ghcr.io/acme/api:2.0',
  ]) {
    assert.ok(tags.includes(needed), `${needed} is built`);
  }
});

test("read-only root; the outer /run and logs are host root's tmpfs; every writable path is on the disk volume", () => {
  const hc = sandboxCreateSpec('itest-data').HostConfig;
  assert.equal(hc.ReadonlyRootfs, true);
  assert.match(hc.Tmpfs['/run'] ?? '', /(^|,)mode=0755(,|$)/);
  assert.match(hc.Tmpfs['/var/log/lab'] ?? '', /(^|,)mode=0755(,|$)/);
  for (const opts of Object.values(hc.Tmpfs)) assert.match(opts, /(^|,)size=\d+m(,|$)/, 'every tmpfs is size-limited');
  // No tmpfs where the reader writes: those paths are bound from the volume.
  for (const p of SANDBOX_DISK_PATHS) assert.ok(!(p in hc.Tmpfs), p);
  const entrypoint = read('sandbox/lab-entrypoint');
  assert.match(entrypoint, new RegExp(`DISK=\\$\\{LAB_DISK_DIR:-${SANDBOX_DISK_DIR}\\}`));
  assert.match(entrypoint, new RegExp(`INNER_DIRS=\\(${SANDBOX_DISK_PATHS.join(' ')}\\)`));
  assert.match(entrypoint, new RegExp(`BASE=\\$\\{LAB_USERNS_BASE:-${SANDBOX_USERNS_BASE}\\}`));
  assert.match(read('sandbox/lab-shell'), new RegExp(`base=\\$\\{LAB_USERNS_BASE:-${SANDBOX_USERNS_BASE}\\}`));
  // The reader's shell never falls back to a plain shell outside the
  // namespace: its one top-level exec goes through lab-userns enter.
  const execs = read('sandbox/lab-shell')
    .split('\n')
    .filter((l) => /^(?!#)(\S.*\s)?exec\b/.test(l));
  assert.deepEqual(
    execs.map((l) => l.split(' ').slice(0, 3).join(' ')),
    ['exec /usr/local/bin/lab-userns enter'],
  );
  assert.doesNotMatch(read('sandbox/Dockerfile'), /^VOLUME/m, 'no anonymous volume outside the disk limit');
});

test('user namespace owner: one uid per sandbox, in env and label, outside the mapped range', () => {
  const spec = sandboxCreateSpec('itest-data', 1_234_567_890);
  assert.ok(spec.Env.includes(`${SANDBOX_USERNS_OWNER_ENV}=1234567890`));
  assert.equal(spec.Labels[SANDBOX_USERNS_OWNER_LABEL], '1234567890');
  const a = sandboxUsernsOwner();
  assert.ok(a >= SANDBOX_USERNS_OWNER_MIN && a < 2 ** 31, `${a}`);
  assert.ok(a > SANDBOX_USERNS_BASE + 65536);
  // A taken uid is never handed out again.
  const seq = [0.5, 0.5, 0.25];
  const taken = new Set([sandboxUsernsOwner(new Set(), () => 0.5)]);
  assert.equal(
    sandboxUsernsOwner(taken, () => seq.shift()!),
    SANDBOX_USERNS_OWNER_MIN + 250_000_000,
  );
});

test("per-sandbox kernel limits: the entrypoint's default is SANDBOX_USERNS_LIMITS", () => {
  const m = /LAB_USERNS_LIMITS=\$\{LAB_USERNS_LIMITS:-([^}]*)\}/.exec(read('sandbox/lab-entrypoint'));
  assert.ok(m);
  const parsed = Object.fromEntries(m[1]!.split(' ').map((p) => [p.split('=')[0], Number(p.split('=')[1])]));
  assert.deepEqual(parsed, SANDBOX_USERNS_LIMITS);
  assert.ok(SANDBOX_USERNS_LIMITS.max_inotify_instances! < 128, 'below the host default');
});
