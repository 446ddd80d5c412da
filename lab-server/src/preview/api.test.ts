import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePreviewRequest, previewState, PreviewApi } from './api.ts';
import { PreviewRegistry } from './registry.ts';
import type { PortListing, SandboxHandle, SandboxPorts } from '../sandbox/driver.ts';

const web = { port: 8080, containerName: 'web', containerPort: 80, listening: true };

test('the state says what the inner engine says about the port', () => {
  assert.equal(previewState({ ports: [web], containers: 1 }, 8080), 'ready');
  assert.equal(previewState({ ports: [{ ...web, listening: false }], containers: 1 }, 8080), 'not-listening');
  assert.equal(previewState({ ports: [web], containers: 2 }, 9090), 'not-published');
  assert.equal(previewState({ ports: [], containers: 0 }, 8080), 'no-container');
});

test('only {port} with a port number is a request', () => {
  assert.deepEqual(parsePreviewRequest('{"port":8080}'), { ok: true, port: 8080 });
  for (const body of ['{"port":0}', '{"port":65536}', '{"port":"8080"}', '{"port":8080,"host":"169.254.169.254"}', 'nope', '{}']) {
    assert.equal(parsePreviewRequest(body).ok, false, body);
  }
});

class FakePorts implements SandboxPorts {
  listing: PortListing = { ports: [web], containers: 1 };
  asked = 0;
  async openPort(): Promise<never> {
    throw new Error('not used here');
  }
  async listPorts(): Promise<PortListing> {
    this.asked++;
    return this.listing;
  }
}

const sandbox: SandboxHandle = { id: 'sb', containerId: 'c', createdAt: 0, bootMs: 1 };

test('open mints a one-time URL on the preview origin, in every state; booting is 409', async () => {
  const ports = new FakePorts();
  const registry = new PreviewRegistry<{ id: string; ended: boolean }>();
  const api = new PreviewApi({ registry, ports });
  const s = { id: 's', ended: false };
  const answer = await api.open(s, sandbox, '{"port":8080}', 'http://localhost:4322');
  assert.equal(answer.status, 200);
  assert.ok('body' in answer);
  assert.match(answer.body.url, /^http:\/\/localhost:4322\/__lab\/open\?ticket=[A-Za-z0-9_-]{43}$/);
  assert.equal(answer.body.state, 'ready');
  const other = await api.open(s, sandbox, '{"port":9000}', 'http://localhost:4322');
  assert.ok('body' in other && other.body.state === 'not-published');
  const booting = await api.open(s, undefined, '{"port":8080}', 'http://localhost:4322');
  assert.ok('error' in booting && booting.status === 409 && booting.error === 'sandbox-not-ready');
  assert.equal(ports.asked, 2, 'a booting sandbox is not asked');
});

test('port requests are rate-limited per session', async () => {
  const api = new PreviewApi({ registry: new PreviewRegistry<{ id: string; ended: boolean }>(), ports: new FakePorts() });
  const s = { id: 's', ended: false };
  const answers = [];
  for (let i = 0; i < 25; i++) answers.push(await api.list(s, sandbox));
  assert.ok(answers.slice(0, 20).every((a) => a.status === 200));
  assert.ok(answers.slice(20).every((a) => 'error' in a && a.status === 429));
});
