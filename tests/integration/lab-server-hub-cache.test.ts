/**
 * LAB_HUB_CACHE=on: images the offline mirror does not have are pulled
 * through the lab's pull-through cache from an upstream registry, and kept
 * for every sandbox. In production the upstream is Docker Hub or an
 * organisation's own mirror of it (LAB_HUB_UPSTREAM); this machine has no
 * internet, so the upstream here is a stand-in: a writable registry container
 * on the default bridge, holding one image that exists nowhere else.
 *
 * The path under test is the reader's: `docker run` in the sandbox's shell ->
 * inner dockerd -> its first mirror (offline, 404) -> its second mirror
 * (127.0.0.1:61501, bridged to the cache's socket) -> the cache -> upstream.
 * Then the upstream goes away and a second sandbox still gets the image, from
 * the cache.
 *
 * The cache container and its volume are one per engine: this suite replaces
 * them and removes them at the end. Run it on a test engine, not on one that
 * serves readers with LAB_HUB_CACHE=on.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PROXY_CACHE_VOLUME, PROXY_MIRROR_CONTAINER_NAME, REGISTRY_IMAGE } from '../../lab-server/src/sandbox/spec.ts';
import { startTestServer } from './test-server.ts';
import { docker, removeOwned, type LabServer } from '../support/lab-server.ts';
import { endSession, openTerminal, type LabTerminal } from '../support/terminal.ts';

const quietly = (...args: string[]) => {
  try {
    docker(...args);
  } catch {
    // already gone
  }
};

describe('pull-through cache (LAB_HUB_CACHE=on) with a stand-in upstream', { timeout: 10 * 60_000 }, () => {
  const tag = randomBytes(3).toString('hex');
  const upstream = `itest-hub-upstream-${tag}`;
  /** A name no lesson uses: only the upstream has it. */
  const image = `hubonly-${tag}:1`;
  const proof = `from-upstream-${tag}`;
  let server: LabServer;
  const terms: LabTerminal[] = [];

  before(async () => {
    // The proxy container and its cache volume are per engine: start from none.
    quietly('rm', '-f', PROXY_MIRROR_CONTAINER_NAME);
    quietly('volume', 'rm', PROXY_CACHE_VOLUME);
    // The registry runs in the background of a shell that stays, so stopping the
    // registry leaves the address in place and connections are refused at once
    // (an upstream whose address vanished costs TCP timeouts on every request).
    docker(
      'run',
      '-d',
      '--name',
      upstream,
      '--label',
      'lab.test=itest-hub',
      '-p',
      '127.0.0.1::5000',
      '--entrypoint',
      'sh',
      REGISTRY_IMAGE,
      '-c',
      '/usr/bin/docker-registry serve /etc/docker/registry/push.yml & echo $! > /tmp/registry.pid; wait; exec sleep 1000000',
    );
    const hostPort = docker('port', upstream, '5000/tcp').split('\n')[0]!.split(':').at(-1)!;
    const pushName = `127.0.0.1:${hostPort}/library/${image}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${hostPort}/v2/`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 100) throw new Error('stand-in upstream registry did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    execFileSync('docker', ['build', '-q', '-t', pushName, '-'], {
      input: `FROM busybox:1.29\nRUN echo ${proof} > /hub.txt\n`,
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    docker('push', pushName);
    quietly('rmi', pushName);
    const upstreamIp = docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', upstream);
    server = await startTestServer({ LAB_HUB_CACHE: 'on', LAB_HUB_UPSTREAM: `http://${upstreamIp}:5000`, LAB_WARM_POOL: '0' });
  });

  after(async () => {
    for (const t of terms) await t.close().catch(() => undefined);
    await server?.stop();
    if (server) removeOwned(server.instance);
    quietly('rm', '-f', upstream);
    // Leave no cache pointing at a stand-in behind for a real server on this engine.
    quietly('rm', '-f', PROXY_MIRROR_CONTAINER_NAME);
    quietly('volume', 'rm', PROXY_CACHE_VOLUME);
  });

  test('the cache runs with the configured upstream', () => {
    const env = docker('inspect', '-f', '{{json .Config.Env}}', PROXY_MIRROR_CONTAINER_NAME);
    assert.match(env, /REGISTRY_PROXY_REMOTEURL=http:\/\/[\d.]+:5000/);
    assert.equal(docker('inspect', '-f', '{{.State.Running}}', PROXY_MIRROR_CONTAINER_NAME), 'true');
  });

  test('a reader pulls an image only the upstream has; a second sandbox gets it from the cache after the upstream is gone', async () => {
    const first = await openTerminal(server);
    terms.push(first.term);
    let t = Date.now();
    const out = await first.term.run(`docker run --rm ${image} cat /hub.txt`, 120_000);
    const viaUpstream = Date.now() - t;
    assert.match(out, new RegExp(`^${proof}$`, 'm'), out);
    assert.match(out, /rc=0/);
    await endSession(server, first.cookie);

    docker('exec', upstream, 'sh', '-c', 'kill $(cat /tmp/registry.pid)');
    const second = await openTerminal(server);
    terms.push(second.term);
    t = Date.now();
    const again = await second.term.run(`docker run --rm ${image} cat /hub.txt`, 120_000);
    const fromCache = Date.now() - t;
    assert.match(again, new RegExp(`^${proof}$`, 'm'), again);
    assert.match(again, /rc=0/);
    // Control: an image neither the offline mirror nor the (gone) upstream has still fails, clearly.
    t = Date.now();
    const missing = await second.term.run(`docker pull nosuch-${tag}:1`, 120_000);
    assert.doesNotMatch(missing, /rc=0/);
    console.log(
      `pull-through: first pull via upstream ${viaUpstream} ms, from the cache with the upstream gone ${fromCache} ms, missing image refused after ${Date.now() - t} ms`,
    );
  });

  test('a server started with another upstream replaces the cache container instead of adopting it', async () => {
    await server.stop();
    removeOwned(server.instance);
    server = await startTestServer({ LAB_HUB_CACHE: 'on', LAB_HUB_UPSTREAM: 'http://192.0.2.10:5000', LAB_WARM_POOL: '0' });
    const env = docker('inspect', '-f', '{{json .Config.Env}}', PROXY_MIRROR_CONTAINER_NAME);
    assert.match(env, /REGISTRY_PROXY_REMOTEURL=http:\/\/192\.0\.2\.10:5000/);
  });
});
