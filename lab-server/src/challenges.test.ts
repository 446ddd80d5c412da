import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Checks, MAX_SCRIPT_BYTES, checkMessage, loadChallenges, parseCheckRequest } from './challenges.ts';
import type { CheckOutcome, CheckRun, SandboxHandle } from './sandbox/driver.ts';

const sandbox: SandboxHandle = { id: 'sb', containerId: 'c', createdAt: 0, bootMs: 0 };

function catalogDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'challenges-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

test('the catalog loads <id>.sh files with valid ids and bounded size, and says why others were left out', () => {
  const dir = catalogDir({
    'port-publish.sh': 'exit 0\n',
    'Bad_Name.sh': 'exit 0\n',
    'huge.sh': 'x'.repeat(MAX_SCRIPT_BYTES + 1),
    'notes.md': 'not a check',
  });
  const catalog = loadChallenges(dir);
  assert.deepEqual([...catalog.challenges.keys()], ['port-publish']);
  assert.equal(catalog.challenges.get('port-publish')!.script, 'exit 0\n');
  assert.equal(catalog.problems.length, 2);
  assert.match(catalog.problems.join('\n'), /Bad_Name\.sh: not a challenge id/);
  assert.match(catalog.problems.join('\n'), /huge\.sh: \d+ bytes/);
  assert.equal(loadChallenges(path.join(dir, 'nope')).missing, true);
});

test('a check request is exactly {"challenge": "<id>"}', () => {
  assert.deepEqual(parseCheckRequest('{"challenge":"port-publish"}'), { ok: true, challenge: 'port-publish' });
  for (const text of [
    '{"challenge":"x; rm -rf /"}',
    '{"challenge":"ok","script":"exit 0"}',
    '{"challenge":"ok","sandbox":"other"}',
    '{"challenge":42}',
    '{"script":"exit 0"}',
    'exit 0',
    '',
    '["ok"]',
    `{"challenge":"${'a'.repeat(65)}"}`,
  ]) {
    assert.equal(parseCheckRequest(text).ok, false, text);
  }
});

test('the message is the output without control sequences, trimmed, its end when long', () => {
  assert.equal(checkMessage('\x1b[31m아직 8080 포트가 열려 있지 않습니다\x1b[0m\r\n'), '아직 8080 포트가 열려 있지 않습니다');
  assert.equal(checkMessage('a\x07b\x1b]0;title\x07c\n'), 'abc');
  const long = checkMessage(`${'x'.repeat(5000)}\n마지막 줄`);
  assert.ok(long.length <= 2001);
  assert.match(long, /^…x+\n마지막 줄$/);
});

class FakeDriver {
  runs: Array<{ sandbox: SandboxHandle; run: CheckRun }> = [];
  outcome: CheckOutcome = { exitCode: 1, timedOut: false, output: '아직입니다\n', discarded: 0 };
  gate: Promise<void> = Promise.resolve();
  async runCheck(s: SandboxHandle, run: CheckRun): Promise<CheckOutcome> {
    this.runs.push({ sandbox: s, run });
    await this.gate;
    return this.outcome;
  }
}

function checks(driver: FakeDriver, perMinute = 60, clock = () => 0) {
  const catalog = loadChallenges(catalogDir({ 'one.sh': 'echo one\n' }));
  return new Checks({ catalog, driver, timeoutMs: 15_000, outputBytes: 8192, perMinute, clock });
}

test('a check runs the catalog script in the given sandbox: failed with its message, passed on exit 0, timeout as null', async () => {
  const driver = new FakeDriver();
  const c = checks(driver);
  const failed = await c.run('s1', sandbox, 'one');
  assert.equal(failed.status, 200);
  assert.equal(failed.result, 'failed');
  assert.deepEqual(failed.status === 200 && failed.body, { challenge: 'one', passed: false, message: '아직입니다', exitCode: 1 });
  assert.deepEqual(driver.runs[0], { sandbox, run: { name: 'challenge-one', script: 'echo one\n', timeoutMs: 15_000, maxOutputBytes: 8192 } });

  driver.outcome = { exitCode: 0, timedOut: false, output: '', discarded: 0 };
  const passed = await c.run('s1', sandbox, 'one');
  assert.equal(passed.result, 'passed');
  assert.equal(passed.status === 200 && passed.body.passed, true);

  driver.outcome = { exitCode: null, timedOut: true, output: '', discarded: 0 };
  const late = await c.run('s1', sandbox, 'one');
  assert.equal(late.result, 'timeout');
  assert.equal(late.status === 200 && late.body.exitCode, null);
  assert.match(late.status === 200 ? late.body.message : '', /15초 안에 끝나지 않아/);

  driver.outcome = { exitCode: 111, timedOut: false, output: 'lab-shell: no inner world: refusing\n', discarded: 0 };
  const closed = await c.run('s1', sandbox, 'one');
  assert.equal(closed.result, 'refused');
  assert.equal(closed.status, 503);
});

test('refusals: unknown id 404, booting sandbox 409, one at a time per session, rate limit', async () => {
  const driver = new FakeDriver();
  let now = 0;
  const c = checks(driver, 2, () => now);
  const unknown = await c.run('s1', sandbox, 'two');
  assert.deepEqual([unknown.status, unknown.result === 'refused' && unknown.error], [404, 'unknown-challenge']);
  const booting = await c.run('s1', undefined, 'one');
  assert.deepEqual([booting.status, booting.result === 'refused' && booting.error], [409, 'sandbox-not-ready']);
  assert.equal(driver.runs.length, 0);

  let open!: () => void;
  driver.gate = new Promise((r) => (open = r));
  const first = c.run('s1', sandbox, 'one');
  const second = await c.run('s1', sandbox, 'one');
  assert.deepEqual([second.status, second.result === 'refused' && second.error], [429, 'check-running']);
  const otherSession = c.run('s2', sandbox, 'one');
  open();
  assert.equal((await first).status, 200);
  assert.equal((await otherSession).status, 200);

  // 2 per minute, a burst of 2: s1 has used one.
  assert.equal((await c.run('s1', sandbox, 'one')).status, 200);
  const limited = await c.run('s1', sandbox, 'one');
  assert.deepEqual([limited.status, limited.result === 'refused' && limited.error], [429, 'rate-limited']);
  now += 30_000;
  assert.equal((await c.run('s1', sandbox, 'one')).status, 200);
});
