import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ConfigError, DEFAULT_MAX_SESSIONS, loadConfig, parseDuration, parseSize } from './config.ts';
import { configTable } from './readme-tables.ts';

test('the documented defaults (the README table, generated from the schema) are the ones in force', () => {
  const base = loadConfig({});
  const rows = [...configTable().matchAll(/^\| `(\w+)` \| `([^`]*)` \|/gm)];
  assert.ok(rows.length > 40);
  for (const [, name, shown] of rows) assert.deepEqual(loadConfig({ [name!]: shown }), base, name);
  // The derived ones (no default in the schema): 2 CPUs (lessons run `--cpus 1.5` inside), or every core of a smaller host.
  assert.equal(base.sandbox.nanoCpus, Math.min(2, availableParallelism()) * 1e9);
  assert.ok(base.siteDir.endsWith('/dist'));
  assert.equal(base.sandbox.diskDir, '/var/lib/lab-disks/lab');
  assert.deepEqual([base.sandbox.runtime, base.publicOrigin, base.adminListen, base.hubCache], [undefined, undefined, undefined, undefined]);
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
  assert.equal(c.connections.max, undefined, 'RLIMIT_NOFILE - fdReserve, known at start');
  // 2 sockets per terminal (a reload overlaps the old socket), times the sessions a client may have.
  assert.deepEqual([c.ws.perSession, c.ws.perClient], [8, 32]);
  assert.equal(c.sessions.maxSessions, DEFAULT_MAX_SESSIONS);
  assert.equal(c.sessions.maxSessionsExplicit, false);
  assert.equal(loadConfig({ LAB_HEADERS_TIMEOUT: '40s' }).connections.requestTimeoutMs, 40_000, 'the request timeout covers the headers');

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

test('a check time limit the socket idle timeout would cut first is refused', () => {
  assert.equal(loadConfig({}).checks.timeoutMs, 15_000);
  assert.throws(() => loadConfig({ LAB_CHECK_TIMEOUT: '25s' }), /LAB_CHECK_TIMEOUT: must be more than 7 s below LAB_SOCKET_IDLE_TIMEOUT/);
  assert.equal(loadConfig({ LAB_CHECK_TIMEOUT: '25s', LAB_SOCKET_IDLE_TIMEOUT: '60s' }).checks.timeoutMs, 25_000);
});
