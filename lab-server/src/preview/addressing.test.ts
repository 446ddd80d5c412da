import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  capabilityFromReferer,
  placeRootRequest,
  parseTarget,
  previewResponseHeaders,
  rewriteLocation,
  stripLabCookies,
  upstreamRequestHeaders,
} from './addressing.ts';

const CAP = 'A'.repeat(20) + 'b_-'.repeat(7) + '12';
const ORIGIN = 'http://localhost:4322';
const ctx = { capability: CAP, previewOrigin: ORIGIN, port: 8080 };

test('a capability path is split into the capability and the app path with its query', () => {
  assert.equal(CAP.length, 43);
  assert.deepEqual(parseTarget(`/${CAP}/wp-admin/install.php?step=1`), { kind: 'capability', capability: CAP, rest: '/wp-admin/install.php?step=1' });
  assert.deepEqual(parseTarget(`/${CAP}`), { kind: 'capability', capability: CAP, rest: '/' });
  assert.deepEqual(parseTarget(`/${CAP}?a=1`), { kind: 'capability', capability: CAP, rest: '/?a=1' });
});

test('the ticket exchange is recognised only with a well-formed ticket', () => {
  assert.deepEqual(parseTarget(`/__lab/open?ticket=${CAP}`), { kind: 'open', ticket: CAP });
  assert.equal(parseTarget('/__lab/open?ticket=short').kind, 'bad');
  assert.equal(parseTarget('/__lab/open').kind, 'bad');
});

test('absolute-form, traversal, backslashes and control characters are refused before any lookup', () => {
  for (const target of [
    'http://169.254.169.254/latest/meta-data/',
    '//evil.example/',
    `/${CAP}/../other/`,
    `/${CAP}/%2e%2e/x`,
    `/${CAP}/.%2E/x`,
    `/${CAP}/%2E%2e%2fx`,
    `/${CAP}/a/..`,
    `/${CAP}/./x`,
    `/${CAP}\\..\\x`,
    `/${CAP}/a b`,
    `/${CAP}/\x00`,
    '*',
    '',
  ]) {
    assert.equal(parseTarget(target).kind, 'bad', target);
  }
  // Dots inside a name are not segments.
  assert.equal(parseTarget(`/${CAP}/a..b/.well-known/x.js`).kind, 'capability');
});

test('other paths are the app root-relative links, to be placed by Referer', () => {
  assert.deepEqual(parseTarget('/wp-admin/css/install.css?ver=1'), { kind: 'other', path: '/wp-admin/css/install.css?ver=1' });
  assert.equal(capabilityFromReferer(`${ORIGIN}/${CAP}/wp-admin/install.php`, ORIGIN), CAP);
  assert.equal(capabilityFromReferer(`http://evil.example/${CAP}/`, ORIGIN), undefined);
  assert.equal(capabilityFromReferer(`${ORIGIN}/not-a-capability/`, ORIGIN), undefined);
  assert.equal(capabilityFromReferer(undefined, ORIGIN), undefined);
});

test('Location to the app own host or root-relative moves under the capability; others stay', () => {
  assert.equal(rewriteLocation('/wp-admin/install.php', ctx), `/${CAP}/wp-admin/install.php`);
  assert.equal(rewriteLocation(`${ORIGIN}/wp-admin/install.php?x=1#h`, ctx), `/${CAP}/wp-admin/install.php?x=1#h`);
  assert.equal(rewriteLocation('http://localhost:8080/a', ctx), `/${CAP}/a`);
  assert.equal(rewriteLocation('http://127.0.0.1:8080/a', ctx), `/${CAP}/a`);
  assert.equal(rewriteLocation(`${ORIGIN}/${CAP}/already`, ctx), `/${CAP}/already`);
  assert.equal(rewriteLocation('step2.php', ctx), 'step2.php');
  assert.equal(rewriteLocation('http://localhost:9999/a', ctx), 'http://localhost:9999/a');
  assert.equal(rewriteLocation('https://wordpress.org/', ctx), 'https://wordpress.org/');
  assert.equal(rewriteLocation('//localhost:4322/x', ctx), `/${CAP}/x`);
});

test('lab_* cookies never reach the app, other cookies do', () => {
  assert.equal(stripLabCookies('lab_session=abc; theme=dark; lab_preview_owner=x; lab_learner=y'), 'theme=dark');
  assert.equal(stripLabCookies('lab_session=abc'), undefined);
  const headers = upstreamRequestHeaders(
    {
      host: 'localhost:4322',
      cookie: 'lab_session=s; wordpress_test=1',
      referer: `${ORIGIN}/${CAP}/wp-admin/`,
      connection: 'keep-alive',
      'x-forwarded-for': '1.2.3.4',
      accept: 'text/html',
    },
    { host: 'localhost:4322', capability: CAP, previewOrigin: ORIGIN, upgrade: false },
  );
  assert.deepEqual(headers, { accept: 'text/html', host: 'localhost:4322', cookie: 'wordpress_test=1', referer: `${ORIGIN}/wp-admin/` });
});

test('the response loses lab_* Set-Cookie, framing and policy headers of the app, and gets the sandbox CSP', () => {
  const out = previewResponseHeaders(
    [
      'Set-Cookie',
      'lab_session=stolen; Path=/lab',
      'Set-Cookie',
      'wp=1; Path=/',
      'X-Frame-Options',
      'SAMEORIGIN',
      'Content-Security-Policy',
      "frame-ancestors 'none'",
      'Location',
      'http://localhost:4322/wp-admin/install.php',
      'Transfer-Encoding',
      'chunked',
      'Content-Type',
      'text/html',
    ],
    { ...ctx, frameAncestors: ['http://localhost:4321'] },
  );
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < out.length; i += 2) pairs.push([out[i]!, out[i + 1]!]);
  assert.deepEqual(pairs, [
    ['Set-Cookie', 'wp=1; Path=/'],
    ['Location', `/${CAP}/wp-admin/install.php`],
    ['Content-Type', 'text/html'],
    ['Content-Security-Policy', 'frame-ancestors http://localhost:4321'],
    ['Referrer-Policy', 'same-origin'],
  ]);
  assert.doesNotMatch(out.join('\n'), /sandbox/);
});

test('a root-relative request goes where its Referer says, else to the last opened capability, else nowhere', () => {
  const other = 'B'.repeat(43);
  assert.equal(placeRootRequest(`${ORIGIN}/${CAP}/wp-admin/install.php`, other, ORIGIN), CAP);
  assert.equal(placeRootRequest(undefined, other, ORIGIN), other);
  assert.equal(placeRootRequest(`http://evil.example/${CAP}/`, other, ORIGIN), other);
  assert.equal(placeRootRequest(undefined, 'not-a-capability', ORIGIN), undefined);
  assert.equal(placeRootRequest(`${ORIGIN}/wp-admin/`, undefined, ORIGIN), undefined);
});
