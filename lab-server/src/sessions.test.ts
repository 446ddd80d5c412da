import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionRegistry, hashToken } from './sessions.ts';

const MIN = 60_000;
const limits = { maxSessions: 3, maxPerClient: 2, idleTimeoutMs: 30 * MIN, maxLifetimeMs: 240 * MIN, detachGraceMs: 3 * MIN };

function setup() {
  const clock = { now: 1_000_000 };
  const registry = new SessionRegistry(limits, () => clock.now);
  return { clock, registry };
}

function created(registry: SessionRegistry, client: string) {
  const r = registry.create(client);
  assert.ok(r.ok, `session for ${client}`);
  return r;
}

test('tokens are 256-bit base64url, unique, and only their hash is kept', () => {
  const { registry } = setup();
  const a = created(registry, 'a');
  const b = created(registry, 'b');
  assert.match(a.token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.token, b.token);
  assert.equal(a.session.tokenHash, hashToken(a.token));
  assert.equal(a.session.id, a.session.tokenHash.slice(0, 16));
  assert.ok(!JSON.stringify(a.session).includes(a.token));
  assert.equal(registry.lookup(a.token), a.session);
  assert.equal(registry.lookup(b.token), b.session);
});

test('unknown and malformed tokens find nothing', () => {
  const { registry } = setup();
  created(registry, 'a');
  assert.equal(registry.lookup(undefined), undefined);
  assert.equal(registry.lookup(''), undefined);
  assert.equal(registry.lookup('x'.repeat(43)), undefined);
  assert.equal(registry.lookup('../../etc/passwd'), undefined);
});

test('per-client and global caps refuse clearly and free up on removal', () => {
  const { registry } = setup();
  const a1 = created(registry, 'a');
  created(registry, 'a');
  assert.deepEqual(registry.create('a'), { ok: false, reason: 'client-cap' });
  created(registry, 'b');
  assert.deepEqual(registry.create('c'), { ok: false, reason: 'global-cap' });
  registry.remove(a1.session);
  assert.equal(registry.size, 2);
  assert.equal(registry.countFor('a'), 1);
  assert.ok(registry.create('c').ok);
  assert.equal(registry.lookup(a1.token), undefined);
});

test('a detached session ends after grace + idle timeout', () => {
  const { clock, registry } = setup();
  const { session, token } = created(registry, 'a');
  clock.now += limits.detachGraceMs + limits.idleTimeoutMs - 1;
  assert.deepEqual(registry.sweep(), []);
  assert.equal(registry.lookup(token), session);
  clock.now += 1;
  assert.equal(registry.lookup(token), undefined);
  assert.deepEqual(registry.sweep(), [{ session, reason: 'idle' }]);
  assert.equal(registry.size, 0);
  assert.equal(session.ended, true);
});

test('an attached session is never idle; the idle clock starts when the last socket leaves', () => {
  const { clock, registry } = setup();
  const { session } = created(registry, 'a');
  registry.attach(session);
  registry.attach(session); // a second tab
  clock.now += 2 * 60 * MIN;
  assert.equal(registry.idleDeadline(session), undefined);
  assert.deepEqual(registry.sweep(), []);
  registry.detach(session);
  clock.now += 60 * MIN;
  assert.deepEqual(registry.sweep(), [], 'one socket still attached');
  registry.detach(session);
  const detachedAt = clock.now;
  assert.equal(registry.idleDeadline(session), detachedAt + limits.detachGraceMs + limits.idleTimeoutMs);
  clock.now += limits.detachGraceMs; // a reload within the grace period...
  registry.attach(session);
  clock.now += 30 * MIN;
  assert.deepEqual(registry.sweep(), [], '...keeps it alive');
});

test('the maximum lifetime ends even an attached session', () => {
  const { clock, registry } = setup();
  const { session } = created(registry, 'a');
  registry.attach(session);
  clock.now += limits.maxLifetimeMs;
  assert.deepEqual(registry.sweep(), [{ session, reason: 'expired' }]);
});

test('detach never goes below zero', () => {
  const { registry } = setup();
  const { session } = created(registry, 'a');
  registry.detach(session);
  registry.detach(session);
  assert.equal(session.attached, 0);
});

test('a session that never attaches a terminal ends after the unused timeout and frees its slot', () => {
  const clock = { now: 1_000_000 };
  const registry = new SessionRegistry({ ...limits, unusedTimeoutMs: 2 * MIN }, () => clock.now);
  const idle = created(registry, 'a');
  const used = created(registry, 'a');
  registry.markUsed(used.session);
  assert.equal(registry.create('a').ok, false, 'per-client cap');
  clock.now += 2 * MIN;
  assert.deepEqual(
    registry.sweep().map((e) => [e.session, e.reason]),
    [[idle.session, 'unused']],
  );
  assert.equal(registry.lookup(used.token), used.session);
  assert.equal(registry.create('a').ok, true, 'the slot is free again');
});

test('a socket waiting for its terminal (a slow boot) keeps an unused session', () => {
  const clock = { now: 1_000_000 };
  const registry = new SessionRegistry({ ...limits, unusedTimeoutMs: 2 * MIN }, () => clock.now);
  const s = created(registry, 'a');
  registry.attach(s.session);
  clock.now += 5 * MIN;
  assert.deepEqual(registry.sweep(), []);
  registry.detach(s.session);
  clock.now += 2 * MIN;
  assert.equal(registry.sweep()[0]?.reason, 'unused');
});

test("a learner's session: global cap only, one per learner, ends at the learner's end time (moved by extend)", () => {
  const { clock, registry } = setup();
  const owner = { learnerId: 'l1', classId: 'c1' };
  const endsAt = clock.now + 10 * MIN;
  const a = registry.createForLearner('nat', owner, endsAt);
  assert.ok(a.ok);
  assert.equal(a.session.expiresAt, endsAt);
  assert.equal(registry.forLearner('l1'), a.session);
  assert.deepEqual(registry.createForLearner('nat', owner, endsAt), { ok: false, reason: 'global-cap' }, 'one per learner');
  assert.ok(registry.createForLearner('nat', { learnerId: 'l2', classId: 'c1' }, endsAt).ok);
  assert.equal(registry.countFor('nat'), 0, 'not counted per address');
  assert.ok(registry.create('nat').ok);
  assert.deepEqual(registry.createForLearner('nat', { learnerId: 'l3', classId: 'c1' }, endsAt), { ok: false, reason: 'global-cap' });
  registry.extend(a.session, endsAt + 5 * MIN);
  clock.now = endsAt;
  assert.deepEqual(
    registry.sweep().map((e) => e.session.owner?.learnerId),
    ['l2'],
    'l2 at its end time, l1 extended',
  );
  assert.equal(registry.forLearner('l1'), a.session);
  clock.now = endsAt + 5 * MIN;
  assert.deepEqual(
    registry.sweep().map((e) => [e.session.owner?.learnerId, e.reason]),
    [['l1', 'expired']],
  );
  assert.equal(registry.forLearner('l1'), undefined);
});
