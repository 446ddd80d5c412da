import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PREPULL_IMAGES, parsePrepull, prepullCommand } from './prepull.ts';

test('the list accepts the references the lessons write, commas or spaces, once each', () => {
  assert.deepEqual(parsePrepull('nginx, busybox:1.29 busybox,nginx'), ['nginx', 'busybox:1.29', 'busybox']);
  assert.deepEqual(parsePrepull('ghcr.io/acme/api:1.0,dockerinaction/ch2_mailer,localhost:5000/x:y'), [
    'ghcr.io/acme/api:1.0',
    'dockerinaction/ch2_mailer',
    'localhost:5000/x:y',
  ]);
});

test('off and empty mean no pre-pull', () => {
  assert.deepEqual(parsePrepull('off'), []);
  assert.deepEqual(parsePrepull('  '), []);
});

test('anything a shell would read as more than a name is refused', () => {
  for (const bad of ['nginx;reboot', 'nginx$(id)', 'NGINX', '-q', 'nginx:', 'a b|c', "nginx'"]) {
    assert.throws(() => parsePrepull(bad), /not an image reference/, bad);
  }
});

test('the list is bounded: every image is on every pooled sandbox disk', () => {
  const many = Array.from({ length: MAX_PREPULL_IMAGES + 1 }, (_, i) => `img${i}`).join(',');
  assert.throws(() => parsePrepull(many), /at most/);
});

test('the pulls run one after the other in the reader shell', () => {
  const cmd = prepullCommand(['nginx', 'busybox:1.29']);
  assert.equal(cmd.at(-2), '-c');
  assert.equal(cmd.at(-1), 'docker pull -q nginx >/dev/null && docker pull -q busybox:1.29 >/dev/null');
  assert.equal(cmd[0], '/usr/local/bin/lab-shell');
});
