import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseDuration, parseSize } from './config.ts';

test('defaults are the documented ones', () => {
  const c = loadConfig({});
  assert.equal(c.port, 4321);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.instance, 'lab');
  assert.equal(c.sessions.idleTimeoutMs, 30 * 60_000);
  assert.equal(c.sessions.maxLifetimeMs, 4 * 3_600_000);
  assert.equal(c.sessions.detachGraceMs, 3 * 60_000);
  assert.equal(c.terminal.bufferBytes, 256 * 1024);
  assert.equal(c.sandbox.image, 'lab/sandbox:latest');
  // 2 CPUs (lessons run `--cpus 1.5` inside), or every core of a smaller host.
  assert.equal(c.sandbox.nanoCpus, Math.min(2, availableParallelism()) * 1e9);
  assert.equal(c.sandbox.warmPool, 1);
  assert.equal(c.sandbox.egress, false);
  assert.equal(c.sandbox.runtime, undefined);
  assert.equal(c.shutdownTimeoutMs, 20_000);
  assert.deepEqual(c.allowedOrigins, []);
  assert.equal(c.cookie.sameSite, 'Strict');
  assert.ok(c.siteDir.endsWith('/dist'));
  assert.equal(c.sessions.createPerMinute, 6);
  assert.equal(c.sessions.createBurst, 10);
  assert.equal(c.sandbox.diskBytes, 4 * 1024 ** 3);
  assert.equal(c.sandbox.diskMode, 'auto');
  assert.equal(c.sandbox.diskDir, '/var/lib/lab-disks/lab');
});

test('the loop-disk directory is per instance', () => {
  assert.equal(loadConfig({ LAB_INSTANCE: 'ci-1', LAB_DISK_DIR: '/srv/disks/' }).sandbox.diskDir, '/srv/disks/ci-1');
  assert.throws(() => loadConfig({ LAB_DISK_MODE: 'quota' }), /LAB_DISK_MODE/);
});

test('durations, sizes and lists are parsed', () => {
  const c = loadConfig({
    PORT: '8080',
    LAB_IDLE_TIMEOUT: '90s',
    LAB_MAX_LIFETIME: '2h',
    LAB_OUTPUT_BUFFER: '1m',
    LAB_SANDBOX_MEMORY: '1.5g',
    LAB_SANDBOX_CPUS: '0.5',
    LAB_ALLOWED_ORIGINS: 'https://docs.example.org, http://localhost:3000/',
    LAB_TRUSTED_PROXY: 'loopback,10.0.0.0/8',
    LAB_EGRESS: 'on',
    LAB_RUNTIME: 'sysbox-runc',
    LAB_HUB_CACHE: 'on',
  });
  assert.equal(c.port, 8080);
  assert.equal(c.sessions.idleTimeoutMs, 90_000);
  assert.equal(c.sessions.maxLifetimeMs, 7_200_000);
  assert.equal(c.terminal.bufferBytes, 1024 * 1024);
  assert.equal(c.sandbox.memoryBytes, 1.5 * 1024 ** 3);
  assert.equal(c.sandbox.nanoCpus, 5e8);
  assert.deepEqual(c.allowedOrigins, ['https://docs.example.org', 'http://localhost:3000']);
  assert.deepEqual(c.trustedProxies, ['loopback', '10.0.0.0/8']);
  assert.equal(c.sandbox.egress, true);
  assert.equal(c.sandbox.runtime, 'sysbox-runc');
  assert.deepEqual(c.hubCache, { upstream: 'https://registry-1.docker.io', username: undefined, password: undefined });
});

test("the pull-through cache is off by default; its upstream can be an organisation's own registry", () => {
  assert.equal(loadConfig({}).hubCache, undefined);
  assert.equal(loadConfig({ LAB_HUB_UPSTREAM: 'https://mirror.corp.example' }).hubCache, undefined, 'upstream alone does not switch it on');
  assert.deepEqual(
    loadConfig({ LAB_HUB_CACHE: 'on', LAB_HUB_UPSTREAM: 'http://10.1.2.3:5000/', LAB_HUB_USERNAME: 'lab', LAB_HUB_PASSWORD: 's3cret' }).hubCache,
    {
      upstream: 'http://10.1.2.3:5000',
      username: 'lab',
      password: 's3cret',
    },
  );
  assert.throws(() => loadConfig({ LAB_HUB_CACHE: 'on', LAB_HUB_UPSTREAM: 'https://user:pw@mirror.corp.example' }), /LAB_HUB_UPSTREAM/);
  assert.throws(() => loadConfig({ LAB_HUB_UPSTREAM: 'ftp://mirror.corp.example' }), /LAB_HUB_UPSTREAM/);
  assert.throws(() => loadConfig({ LAB_HUB_UPSTREAM: 'https://mirror.corp.example/v2/' }), /LAB_HUB_UPSTREAM/);
  assert.throws(() => loadConfig({ LAB_HUB_USERNAME: 'lab' }), /LAB_HUB_PASSWORD/);
});

test('empty values mean default', () => {
  assert.equal(loadConfig({ PORT: '' }).port, 4321);
});

test('every bad variable is named in one error', () => {
  assert.throws(
    () => loadConfig({ PORT: 'abc', LAB_IDLE_TIMEOUT: 'soon', LAB_ALLOWED_ORIGINS: 'docs.example.org', LAB_INSTANCE: 'Bad Name' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const text = err.message;
      for (const name of ['PORT', 'LAB_IDLE_TIMEOUT', 'LAB_ALLOWED_ORIGINS', 'LAB_INSTANCE']) assert.match(text, new RegExp(name));
      assert.match(text, /"soon"/);
      assert.equal(err.problems.length, 4);
      return true;
    },
  );
});

test('SameSite=None forces Secure and refuses an explicit off', () => {
  assert.equal(loadConfig({ LAB_COOKIE_SAMESITE: 'None' }).cookie.secure, 'on');
  assert.throws(() => loadConfig({ LAB_COOKIE_SAMESITE: 'None', LAB_COOKIE_SECURE: 'off' }), /LAB_COOKIE_SECURE/);
});

test('origins must be bare origins', () => {
  assert.throws(() => loadConfig({ LAB_ALLOWED_ORIGINS: 'https://x.org/path' }), /LAB_ALLOWED_ORIGINS/);
  assert.throws(() => loadConfig({ LAB_PUBLIC_ORIGIN: 'ftp://x.org' }), /LAB_PUBLIC_ORIGIN/);
  assert.throws(() => loadConfig({ LAB_TRUSTED_PROXY: 'everyone' }), /LAB_TRUSTED_PROXY/);
});

test('unit parsers', () => {
  assert.equal(parseDuration('500'), 500);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('4h'), 14_400_000);
  assert.equal(parseDuration('4 days'), undefined);
  assert.equal(parseSize('256k'), 262_144);
  assert.equal(parseSize('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseSize('100'), 100);
  assert.equal(parseSize('-1'), undefined);
});

test('connection, socket and input limits: defaults, derived values, overrides', () => {
  const c = loadConfig({});
  assert.deepEqual(c.connections, {
    nofile: 65536,
    max: undefined, // RLIMIT_NOFILE - fdReserve, known at start
    fdReserve: 1024,
    perClient: 64,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    socketIdleTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
  });
  // 2 sockets per terminal (a reload overlaps the old socket), times the sessions a client may have.
  assert.deepEqual(c.ws, { perSession: 8, perClient: 32, helloTimeoutMs: 5_000 });
  assert.equal(c.terminal.inputHighWaterBytes, 64 * 1024);
  assert.equal(c.terminal.resizeIntervalMs, 100);
  assert.equal(c.sessions.unusedTimeoutMs, 2 * 60_000);
  assert.equal(c.sessions.maxSessions, 20);
  assert.equal(c.sessions.maxSessionsExplicit, false);
  assert.deepEqual(c.allowedHosts, []);
  assert.equal(c.metricsToken, undefined);
  assert.equal(c.adminListen, undefined);

  const school = loadConfig({ LAB_MAX_TERMINALS: '2', LAB_MAX_SESSIONS_PER_CLIENT: '30', LAB_MAX_SESSIONS: '40' });
  assert.deepEqual([school.ws.perSession, school.ws.perClient], [4, 120]);
  assert.equal(school.sessions.maxSessionsExplicit, true);
  const set = loadConfig({
    LAB_MAX_CONNECTIONS: '5000',
    LAB_MAX_SESSIONS: 'auto',
    LAB_WS_PER_CLIENT: '10',
    LAB_ALLOWED_HOSTS: 'lab.example.org, *.school.example [2001:db8::1]',
    LAB_ADMIN_LISTEN: '[::1]:9464',
    LAB_METRICS_TOKEN: 'a-long-enough-token',
  });
  assert.equal(set.connections.max, 5000);
  assert.equal(set.sessions.maxSessionsExplicit, false);
  assert.equal(set.ws.perClient, 10);
  assert.deepEqual(set.allowedHosts, ['lab.example.org', '*.school.example', '2001:db8::1']);
  assert.deepEqual(set.adminListen, { host: '::1', port: 9464 });
  assert.equal(set.metricsToken, 'a-long-enough-token');
});

test('bad limit values name their variable', () => {
  assert.throws(
    () => loadConfig({ LAB_MAX_CONNECTIONS: 'lots', LAB_ADMIN_LISTEN: '9464', LAB_ALLOWED_HOSTS: 'http://x/', LAB_METRICS_TOKEN: 'short' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      for (const name of ['LAB_MAX_CONNECTIONS', 'LAB_ADMIN_LISTEN', 'LAB_ALLOWED_HOSTS', 'LAB_METRICS_TOKEN']) {
        assert.ok(
          err.problems.some((p) => p.startsWith(name)),
          name,
        );
      }
      return true;
    },
  );
});
