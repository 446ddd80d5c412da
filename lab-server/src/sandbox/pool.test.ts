/**
 * Pool scheduling without Docker: the driver here only records calls and
 * finishes boots when the test says so (the integration tests boot real
 * sandboxes through the same code).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { SandboxPhase } from '../protocol.ts';
import type { CheckOutcome, DiskUsage, OwnedObject, ProgressFn, SandboxDriver, SandboxHandle, Shell } from './driver.ts';
import { SandboxPool } from './pool.ts';

class ScriptedDriver implements SandboxDriver {
  readonly created: Array<{ id: string; session: string | undefined; finish: () => void; fail: (e: Error) => void; progress: ProgressFn }> = [];
  readonly destroyed: string[] = [];
  dead = new Set<string>();

  create(id: string, session: string | undefined, progress: ProgressFn, signal?: AbortSignal): Promise<SandboxHandle> {
    return new Promise((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new Error('aborted')));
      progress('creating', 0.1);
      this.created.push({
        id,
        session,
        progress,
        finish: () => resolve({ id, containerId: `c-${id}`, createdAt: 0, bootMs: 1 }),
        fail: reject,
      });
    });
  }
  async openShell(): Promise<Shell> {
    throw new Error('not used');
  }
  async destroy(id: string) {
    this.destroyed.push(id);
  }
  async isRunning(s: SandboxHandle) {
    return !this.dead.has(s.id);
  }
  async diskUsage(): Promise<DiskUsage> {
    return { data: 0, dataLimit: undefined, rootfs: 0 };
  }
  async listOwned(): Promise<OwnedObject[]> {
    return [];
  }
  async removeOwned() {}
  async runCheck(): Promise<CheckOutcome> {
    throw new Error('no checks here');
  }
}

const tick = () => new Promise((r) => setImmediate(r));
const log = pino({ level: 'silent' });

test('the warm pool fills, a session takes the ready sandbox, and the pool refills', async () => {
  const driver = new ScriptedDriver();
  const pool = new SandboxPool(driver, { target: 1, concurrency: 2, bootTimeoutMs: 60_000 }, log);
  pool.refill();
  await tick();
  assert.equal(driver.created.length, 1);
  assert.equal(driver.created[0]!.session, undefined, 'pool sandboxes have no session yet');
  driver.created[0]!.finish();
  await tick();
  assert.equal(pool.counts.ready, 1);
  const got = await pool.acquire('s1', () => undefined);
  assert.equal(got.id, driver.created[0]!.id);
  await tick();
  assert.equal(driver.created.length, 2, 'refill started');
  assert.ok(pool.ownedIds().has(got.id));
  await pool.destroy(got.id);
  assert.ok(!pool.ownedIds().has(got.id));
});

/** A pool of one with the given refill delay, whose ready sandbox a first reader has just taken. */
async function warmSandboxTaken(refillDelayMs: number) {
  const driver = new ScriptedDriver();
  const pool = new SandboxPool(driver, { target: 1, concurrency: 2, bootTimeoutMs: 60_000, refillDelayMs }, log);
  pool.refill();
  await tick();
  driver.created[0]!.finish();
  await tick();
  await pool.acquire('s1', () => undefined);
  return { driver, pool };
}

test('with a refill delay, the replacement of a taken sandbox boots only after it', async () => {
  const { driver, pool } = await warmSandboxTaken(80);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(driver.created.length, 1, 'no boot while the first reader starts');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(driver.created.length, 2, 'the refill started once the delay passed');
  assert.equal(driver.created[1]!.session, undefined);
  await pool.stop(Date.now());
});

test('a second reader within the refill delay boots their own at once, and the refill starts with it (a burst)', async () => {
  const { driver, pool } = await warmSandboxTaken(60_000);
  const second = pool.acquire('s2', () => undefined);
  await tick();
  assert.deepEqual(
    driver.created.slice(1).map((c) => c.session),
    ['s2', undefined],
  );
  await pool.stop(Date.now());
  await assert.rejects(second, /aborted/, 'stop aborts the boot in flight');
});

test('a session takes over a refill boot in flight instead of starting a second one', async () => {
  const driver = new ScriptedDriver();
  const pool = new SandboxPool(driver, { target: 1, concurrency: 2, bootTimeoutMs: 60_000 }, log);
  pool.refill();
  await tick();
  const seen: Array<[SandboxPhase, number]> = [];
  const acquired = pool.acquire('s1', (phase, progress) => seen.push([phase, progress]));
  await tick();
  driver.created[0]!.progress('engine', 0.5);
  driver.created[0]!.finish();
  const got = await acquired;
  await tick();
  assert.equal(got.id, driver.created[0]!.id);
  assert.deepEqual(seen, [
    ['creating', 0.1],
    ['engine', 0.5],
  ]);
  assert.equal(driver.created.length, 2, 'one more boot: the refill for the next session');
});

test('session boots wait for a slot ahead of refills, reporting queued', async () => {
  const driver = new ScriptedDriver();
  const pool = new SandboxPool(driver, { target: 0, concurrency: 1, bootTimeoutMs: 60_000 }, log);
  const first = pool.acquire('s1', () => undefined);
  const phases: SandboxPhase[] = [];
  const second = pool.acquire('s2', (phase) => phases.push(phase));
  await tick();
  assert.equal(driver.created.length, 1, 'one boot at a time');
  assert.deepEqual(phases, ['queued']);
  driver.created[0]!.finish();
  await first;
  await tick();
  assert.equal(driver.created.length, 2);
  assert.equal(driver.created[1]!.session, 's2');
  driver.created[1]!.finish();
  assert.equal((await second).id, driver.created[1]!.id);
});

test('a pooled sandbox that died is discarded, not handed out', async () => {
  const driver = new ScriptedDriver();
  const pool = new SandboxPool(driver, { target: 1, concurrency: 2, bootTimeoutMs: 60_000 }, log);
  pool.refill();
  await tick();
  driver.created[0]!.finish();
  await tick();
  driver.dead.add(driver.created[0]!.id);
  const acquired = pool.acquire('s1', () => undefined);
  await tick();
  assert.deepEqual(driver.destroyed, [driver.created[0]!.id]);
  // The session gets a fresh boot instead.
  driver.created[1]!.finish();
  assert.equal((await acquired).id, driver.created[1]!.id);
});

test('a failed boot frees its id; stop aborts boots and removes pooled sandboxes', async () => {
  const driver = new ScriptedDriver();
  const pool = new SandboxPool(driver, { target: 1, concurrency: 2, bootTimeoutMs: 60_000 }, log);
  const failing = pool.acquire('s1', () => undefined);
  await tick();
  const failedId = driver.created.find((c) => c.session === 's1')!.id;
  driver.created.find((c) => c.session === 's1')!.fail(new Error('no image'));
  await assert.rejects(failing, /no image/);
  assert.ok(!pool.ownedIds().has(failedId));

  const refill = driver.created.find((c) => c.session === undefined)!;
  refill.finish();
  await tick();
  assert.equal(pool.counts.ready, 1);
  await pool.stop(Date.now() + 1000);
  assert.ok(driver.destroyed.includes(refill.id));
  assert.equal(pool.ownedIds().size, 0);
});

test('after a burst of session boots the warm pool is refilled once the queue drains', async () => {
  const driver = new ScriptedDriver();
  const pool = new SandboxPool(driver, { target: 1, concurrency: 1, bootTimeoutMs: 60_000 }, log);
  // Three sessions at once, one boot at a time: refills are skipped while they queue.
  const sessions = [pool.acquire('s1', () => undefined), pool.acquire('s2', () => undefined), pool.acquire('s3', () => undefined)];
  for (let i = 0; i < 3; i++) {
    await tick();
    driver.created.find((c) => c.session === `s${i + 1}`)!.finish();
    await sessions[i];
  }
  await tick();
  const refills = driver.created.filter((c) => c.session === undefined);
  assert.equal(refills.length, 1, 'a refill starts when the last session boot frees its slot');
  refills[0]!.finish();
  await tick();
  assert.equal(pool.counts.ready, 1);
});

test('setTarget grows the pool, says where each sandbox came from, and a trim removes the surplus', async () => {
  const driver = new ScriptedDriver();
  const sources: string[] = [];
  const pool = new SandboxPool(driver, { target: 0, concurrency: 3, bootTimeoutMs: 60_000 }, log, { onAcquire: (s) => sources.push(s) });
  pool.setTarget(3);
  await tick();
  assert.equal(driver.created.length, 3, 'three boots for three seats');
  for (const c of driver.created) c.finish();
  await tick();
  assert.equal(pool.counts.ready, 3);
  pool.setTarget(2); // a learner is about to take one: no refill for it
  await pool.acquire('s1', () => undefined);
  await tick();
  assert.equal(driver.created.length, 3, 'no replacement boot');
  assert.deepEqual(sources, ['warm']);
  pool.setTarget(0, true);
  await tick();
  assert.equal(pool.counts.ready, 0);
  assert.equal(driver.destroyed.length, 2, 'the two left waiting are removed');
  const booted = pool.acquire('s2', () => undefined);
  await tick();
  driver.created.find((c) => c.session === 's2')!.finish();
  await booted;
  assert.deepEqual(sources, ['warm', 'boot']);
});

test('a refill that finishes after the target was lowered is removed, not kept', async () => {
  const driver = new ScriptedDriver();
  const pool = new SandboxPool(driver, { target: 2, concurrency: 2, bootTimeoutMs: 60_000 }, log);
  pool.refill();
  await tick();
  pool.setTarget(0, true);
  for (const c of driver.created) c.finish();
  await tick();
  assert.equal(pool.counts.ready, 0);
  assert.equal(driver.destroyed.length, 2);
});
