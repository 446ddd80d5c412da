import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerdLog, parseMarks, relativeSteps, timelineTable } from './boot-timeline.ts';
import { percentile } from './stats.ts';

test("the entrypoint's marks are read as epoch ms under their table names, the first of each kept", () => {
  const marks = parseMarks('entrypoint 1796044307.083039\ncgroups 1796044307.476891\ngarbage\ncgroups 1796044399.0\nnew-step 1796044308\n');
  assert.equal(marks.get('entrypoint: started'), 1796044307083.039);
  assert.equal(marks.get('entrypoint: cgroups mounted'), 1796044307476.891);
  assert.equal(marks.get('new-step'), 1796044308000);
  assert.equal(marks.size, 3);
});

test("dockerd's log lines become steps with their sub-millisecond time; other lines and unparsable times are skipped", () => {
  const log = [
    'time="2026-11-30T13:11:47.864892509Z" level=info msg="Starting up"',
    'time="2026-11-30T13:11:47Z" level=warning msg="containerd config version `1` has been deprecated"',
    'time="2026-11-30T13:11:48.018438968Z" level=info msg="containerd successfully booted in 0.099081s"',
    'time="garbage" level=info msg="Loading containers: start."',
    'time="2026-11-30T13:11:48.483714109Z" level=info msg="API listen on /var/run/docker.sock"',
    'time="2026-11-30T13:11:49.000000000Z" level=info msg="API listen on /var/run/docker.sock"',
  ].join('\n');
  const steps = parseDockerdLog(log);
  assert.equal(steps.size, 3);
  const start = Date.parse('2026-11-30T13:11:47Z');
  assert.ok(Math.abs(steps.get('dockerd: starting up')! - (start + 864.892509)) < 1e-3);
  assert.ok(Math.abs(steps.get('dockerd: API listening')! - (start + 1483.714109)) < 1e-3);
  assert.equal(steps.has('dockerd: loading containers (network controller)'), false);
});

test('steps are relative to the create call and in time order; the table takes medians and the gap to the row before', () => {
  const a = relativeSteps(1000, new Map([['b', 1300]]), new Map([['a', 1100]]));
  assert.deepEqual(a, [
    ['a', 100],
    ['b', 300],
  ]);
  const b = relativeSteps(
    2000,
    new Map([
      ['a', 2200],
      ['b', 2500],
    ]),
  );
  const c = relativeSteps(0, new Map([['a', 150]]));
  const rows = timelineTable([a, b, c], (xs) => percentile(xs, 50));
  assert.deepEqual(rows, [
    { step: 'a', at: 150, seen: 3, gap: 150 },
    { step: 'b', at: 300, seen: 2, gap: 150 },
  ]);
});
