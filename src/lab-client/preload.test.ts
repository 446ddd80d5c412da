import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDLE_TIMEOUT_MS, NO_IDLE_CALLBACK_DELAY_MS, idlePreloadAllowed, whenSettled, type SettleHost } from './preload.ts';

test('the terminal is preloaded at idle only on pages with 실행/확인 buttons', () => {
  assert.equal(idlePreloadAllowed(0, undefined), false);
  assert.equal(idlePreloadAllowed(3, undefined), true);
  assert.equal(idlePreloadAllowed(1, { effectiveType: '4g', saveData: false }), true);
  assert.equal(idlePreloadAllowed(1, { effectiveType: '3g' }), true);
});

test('a reader who saves data or sits on a 2G-class link gets no idle preload', () => {
  assert.equal(idlePreloadAllowed(5, { saveData: true, effectiveType: '4g' }), false);
  assert.equal(idlePreloadAllowed(5, { effectiveType: '2g' }), false);
  assert.equal(idlePreloadAllowed(5, { effectiveType: 'slow-2g' }), false);
});

/** A window whose load event, idle callbacks and timers run when the test says. */
function fakeHost(readyState: DocumentReadyState, idleCallback: boolean) {
  const log: string[] = [];
  const pending: { what: string; run: () => void }[] = [];
  let onLoad: (() => void) | undefined;
  const host: SettleHost = {
    document: { readyState },
    addEventListener: (_type, listener) => {
      log.push('listen load');
      onLoad = listener;
    },
    setTimeout: (run, ms) => pending.push({ what: `timeout ${ms}`, run }),
  };
  if (idleCallback) host.requestIdleCallback = (run, { timeout }) => pending.push({ what: `idle ${timeout}`, run });
  return {
    host,
    log,
    load: () => onLoad?.(),
    /** Runs every queued callback, returning what kind each was. */
    flush: () => pending.splice(0).map((p) => (p.run(), p.what)),
  };
}

test('before load nothing runs; after load it runs in the next idle period, once', () => {
  const fake = fakeHost('interactive', true);
  let runs = 0;
  whenSettled(fake.host, () => runs++);
  assert.deepEqual(fake.log, ['listen load']);
  assert.deepEqual(fake.flush(), [], 'nothing is scheduled before load');
  fake.load();
  assert.equal(runs, 0, 'not during the load event itself');
  assert.deepEqual(fake.flush(), [`idle ${IDLE_TIMEOUT_MS}`]);
  assert.equal(runs, 1);
  assert.deepEqual(fake.flush(), []);
});

test('a page already loaded schedules the idle callback at once; without requestIdleCallback a short timer stands in', () => {
  const loaded = fakeHost('complete', true);
  let runs = 0;
  whenSettled(loaded.host, () => runs++);
  assert.deepEqual(loaded.log, [], 'no load listener on a loaded page');
  assert.deepEqual(loaded.flush(), [`idle ${IDLE_TIMEOUT_MS}`]);
  assert.equal(runs, 1);

  const safari = fakeHost('complete', false);
  whenSettled(safari.host, () => runs++);
  assert.deepEqual(safari.flush(), [`timeout ${NO_IDLE_CALLBACK_DELAY_MS}`]);
  assert.equal(runs, 2);
});
