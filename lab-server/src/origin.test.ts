import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { OriginPolicy, clientKey, normalizeIp } from './origin.ts';

/** The fields of a request the policy reads (a real IncomingMessage needs a socket). */
function req(headers: Record<string, string>, remoteAddress = '203.0.113.7', encrypted = false): IncomingMessage {
  return { headers, socket: { remoteAddress, encrypted } } as unknown as IncomingMessage;
}

const plain = new OriginPolicy({ publicOrigin: undefined, allowedOrigins: [], trustedProxies: [] });

test('same origin (from Host) is allowed, cross-origin is not', () => {
  assert.deepEqual(plain.check(req({ host: 'localhost:4321', origin: 'http://localhost:4321' })), {
    ok: true,
    origin: 'http://localhost:4321',
    crossOrigin: false,
  });
  const foreign = plain.check(req({ host: 'localhost:4321', origin: 'http://evil.example' }));
  assert.equal(foreign.ok, false);
  assert.equal(!foreign.ok && foreign.reason, 'foreign-origin');
  // Same host, other port or scheme: another origin.
  assert.equal(plain.check(req({ host: 'localhost:4321', origin: 'http://localhost:4322' })).ok, false);
  assert.equal(plain.check(req({ host: 'localhost:4321', origin: 'https://localhost:4321' })).ok, false);
});

test('missing, null and garbage Origin are refused', () => {
  const missing = plain.check(req({ host: 'localhost:4321' }));
  assert.equal(!missing.ok && missing.reason, 'missing-origin');
  assert.equal(plain.check(req({ host: 'localhost:4321', origin: 'null' })).ok, false);
  assert.equal(plain.check(req({ host: 'localhost:4321', origin: 'not a url' })).ok, false);
});

test('allowlisted origins are allowed as cross-origin', () => {
  const p = new OriginPolicy({ publicOrigin: undefined, allowedOrigins: ['https://docs.example.org'], trustedProxies: [] });
  assert.deepEqual(p.check(req({ host: 'lab.example.org', origin: 'https://docs.example.org' })), {
    ok: true,
    origin: 'https://docs.example.org',
    crossOrigin: true,
  });
  assert.equal(p.isAllowedCrossOrigin('https://docs.example.org'), true);
  assert.equal(p.isAllowedCrossOrigin('https://other.example.org'), false);
});

test('LAB_PUBLIC_ORIGIN pins the own origin (DNS rebinding)', () => {
  const p = new OriginPolicy({ publicOrigin: 'https://lab.example.org', allowedOrigins: [], trustedProxies: [] });
  assert.equal(p.check(req({ host: 'rebind.evil.example', origin: 'http://rebind.evil.example' })).ok, false);
  assert.equal(p.check(req({ host: 'anything', origin: 'https://lab.example.org' })).ok, true);
});

test('forwarded headers count only from a trusted proxy', () => {
  const p = new OriginPolicy({ publicOrigin: undefined, allowedOrigins: [], trustedProxies: ['loopback'], allowedHosts: ['lab.example.org'] });
  const viaProxy = req(
    {
      host: '127.0.0.1:4321',
      'x-forwarded-host': 'lab.example.org',
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '198.51.100.9',
      origin: 'https://lab.example.org',
    },
    '::ffff:127.0.0.1',
  );
  assert.equal(p.ownOrigin(viaProxy), 'https://lab.example.org');
  assert.equal(p.isHttps(viaProxy), true);
  assert.equal(p.clientIp(viaProxy), '198.51.100.9');
  assert.equal(p.check(viaProxy).ok, true);

  const direct = req({ host: 'lab.example.org', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.9' }, '203.0.113.5');
  assert.equal(p.isHttps(direct), false);
  assert.equal(p.clientIp(direct), '203.0.113.5');
});

test('client IP is the right-most untrusted X-Forwarded-For hop', () => {
  const p = new OriginPolicy({ publicOrigin: undefined, allowedOrigins: [], trustedProxies: ['10.0.0.0/8', '127.0.0.1'] });
  // The client claims 1.2.3.4; the edge proxy (10.0.0.2) appended the real peer 198.51.100.9.
  const r = req({ 'x-forwarded-for': '1.2.3.4, 198.51.100.9, 10.0.0.2' }, '127.0.0.1');
  assert.equal(p.clientIp(r), '198.51.100.9');
  assert.equal(plain.clientIp(req({}, '::ffff:192.0.2.1')), '192.0.2.1');
});

test('one spelling per address: IPv4-mapped to IPv4, IPv6 compressed and lower-case', () => {
  assert.equal(normalizeIp('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeIp('2001:DB8:0:0::1'), '2001:db8::1');
  assert.equal(normalizeIp('unknown'), 'unknown');
});

test('per-client caps count an IPv4 address, or the /64 of an IPv6 address', () => {
  assert.equal(clientKey('198.51.100.9'), '198.51.100.9');
  assert.equal(clientKey('::ffff:198.51.100.9'), '198.51.100.9');
  // Two addresses a host picks from its own /64 are one client; the next /64 is another.
  assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:fffe'), '2001:db8:1:2::/64');
  assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
  assert.equal(clientKey('fe80::1%eth0'), 'fe80::/64');
});

test('DNS rebinding: only our own names pass as Host, by default loopback and the machine', () => {
  const p = new OriginPolicy({ publicOrigin: undefined, allowedOrigins: [], trustedProxies: [], machineHosts: ['labhost', '192.0.2.10', 'fe80::1'] });
  for (const host of [
    'localhost:4321',
    'app.localhost',
    '127.0.0.1:4321',
    '127.1.2.3',
    '[::1]:4321',
    'labhost:4321',
    'LABHOST',
    '192.0.2.10',
    '[fe80::1]:80',
  ]) {
    assert.deepEqual(p.hostAllowed(req({ host })), { ok: true }, host);
  }
  for (const host of ['evil.example:4321', 'evil.example', 'localhost.evil.example', '192.0.2.11', 'labhost.evil.example']) {
    assert.equal(p.hostAllowed(req({ host })).ok, false, host);
  }
  // A rebinding page: Host and Origin agree, and it is still refused.
  assert.equal(p.check(req({ host: 'evil.example:4321', origin: 'http://evil.example:4321' })).ok, false);
  assert.equal(p.check(req({ host: 'labhost:4321', origin: 'http://labhost:4321' })).ok, true);
  assert.deepEqual(p.hostAllowed(req({})), { ok: true }, 'no Host (HTTP/1.0) is not a browser');
});

test('configured origins and LAB_ALLOWED_HOSTS (with *.) add names; a trusted proxy forwards its Host', () => {
  const p = new OriginPolicy({
    publicOrigin: 'https://lab.example.org',
    allowedOrigins: ['https://docs.example.org'],
    trustedProxies: ['loopback'],
    allowedHosts: ['*.school.example', '198.51.100.4'],
    machineHosts: [],
  });
  for (const host of ['lab.example.org', 'docs.example.org', 'a.school.example', 'b.c.school.example', '198.51.100.4']) {
    assert.equal(p.hostAllowed(req({ host })).ok, true, host);
  }
  assert.equal(p.hostAllowed(req({ host: 'school.example.evil' })).ok, false);
  assert.equal(p.hostAllowed(req({ host: '127.0.0.1', 'x-forwarded-host': 'evil.example' }, '127.0.0.1')).ok, false);
  assert.equal(p.hostAllowed(req({ host: '127.0.0.1', 'x-forwarded-host': 'lab.example.org' }, '127.0.0.1')).ok, true);
  assert.equal(p.isTrustedProxyAddress('127.0.0.1'), true);
  assert.equal(p.isTrustedProxyAddress('203.0.113.7'), false);
});
