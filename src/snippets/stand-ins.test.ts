import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadStandInTags, parseImagesFile, standInImages } from './stand-ins.ts';

const TAGS = ['busybox:1.29', 'busybox:latest', 'nginx:latest', 'nginx:alpine', 'mysql:5.7', 'ghcr.io/acme/api:1.0', 'ubuntu:latest'];

test('an images file: tags before the build args, comments and lab/ names skipped', () => {
  const text = '# tags...   build args\nghcr.io/acme/api:1.0   APP_NAME=acme-api APP_PORT=8080\nbusybox:1.29 busybox:latest lab/busybox:latest\n\n';
  assert.deepEqual(parseImagesFile(text), ['ghcr.io/acme/api:1.0', 'busybox:1.29', 'busybox:latest']);
});

test('the lesson images are read from lab-server/images/lessons', () => {
  const tags = loadStandInTags();
  for (const tag of ['nginx:latest', 'nginx:alpine', 'busybox:1.29', 'mysql:5.7', 'ghcr.io/acme/api:1.0']) assert.ok(tags.includes(tag), tag);
  assert.ok(!tags.some((t) => t.startsWith('lab/') || t.includes('=')));
});

test('names an image as a whole tag; :latest may be left out', () => {
  assert.deepEqual(standInImages('docker run -d --name web nginx', TAGS), ['nginx:latest']);
  assert.deepEqual(standInImages('docker run -d nginx:latest', TAGS), ['nginx:latest']);
  assert.deepEqual(standInImages('docker run -d nginx:alpine', TAGS), ['nginx:alpine']);
  assert.deepEqual(standInImages('docker run --rm busybox:1.29 echo hi', TAGS), ['busybox:1.29']);
  assert.deepEqual(standInImages('docker run --rm busybox ps', TAGS), ['busybox:latest']);
  assert.deepEqual(standInImages('docker run -e MYSQL_ROOT_PASSWORD=x mysql:5.7', TAGS), ['mysql:5.7']);
  assert.deepEqual(standInImages('docker pull ghcr.io/acme/api:1.0 && docker run -it ubuntu', TAGS), ['ghcr.io/acme/api:1.0', 'ubuntu:latest']);
  assert.deepEqual(standInImages('docker run nginx\ndocker run nginx:latest', TAGS), ['nginx:latest'], 'each once');
});

test('no match on parts of other names or on commands that name no image', () => {
  for (const code of [
    'docker ps',
    'docker ps -a',
    'docker run my-nginx',
    'docker run nginx:1.25',
    'cat /etc/nginx.conf',
    'ls /home/ubuntu',
    'docker run mysql:5.7.1',
    'docker pull ghcr.io/acme/api:1.01',
    'docker run busybox:1.2',
  ]) {
    assert.deepEqual(standInImages(code, TAGS), [], code);
  }
});
