import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DOCK_HEIGHT, MIN_DOCK_HEIGHT, parseDockState } from './dock-state.ts';

test('dock state parses what it saves and rejects junk', () => {
  assert.deepEqual(parseDockState(JSON.stringify({ mode: 'open', height: 400 })), { mode: 'open', height: 400 });
  assert.deepEqual(parseDockState(JSON.stringify({ mode: 'collapsed', height: 250.6 })), { mode: 'collapsed', height: 251 });
  assert.deepEqual(parseDockState(null), { mode: 'closed', height: DEFAULT_DOCK_HEIGHT });
  assert.deepEqual(parseDockState('nope'), { mode: 'closed', height: DEFAULT_DOCK_HEIGHT });
  assert.deepEqual(parseDockState('{"mode":"weird","height":"x"}'), { mode: 'closed', height: DEFAULT_DOCK_HEIGHT });
  assert.equal(parseDockState('{"mode":"open","height":5}').height, MIN_DOCK_HEIGHT);
});
