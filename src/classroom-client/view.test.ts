import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClassSnapshot } from '../../lab-server/src/protocol.ts';
import { arrivedHelp, classRequest, formatCpu, formatMemory, joinLink, learnerRows, lessonCell, openHelp } from './view.ts';

const NOW = 1_800_000_000_000;

function snapshot(): ClassSnapshot {
  return {
    class: {
      id: 'c1',
      name: '도커 입문',
      code: 'ABC234',
      seats: 3,
      startsAt: NOW - 3_600_000,
      endsAt: NOW + 3_600_000,
      lessons: ['lessons/docker-intro', 'lessons/container-basics'],
      createdAt: NOW - 7_200_000,
      endedAt: null,
      joinPath: '/join/?code=ABC234',
    },
    learners: [
      {
        id: 'l1',
        classId: 'c1',
        name: '<b>김철수</b>',
        joinedAt: NOW - 600_000,
        endsAt: NOW + 3_600_000,
        lastSeenAt: NOW - 125_000,
        currentLesson: 'lessons/container-basics',
        live: { connected: true, state: 'ready', queuePosition: null, cpuPercent: 3.25, memoryBytes: 80 * 1024 * 1024 },
        progress: { 'lessons/docker-intro': { ok: 3, expectedFail: 1, fail: 2 } },
      },
      {
        id: 'l2',
        classId: 'c1',
        name: '이영희',
        joinedAt: NOW - 60_000,
        endsAt: NOW + 3_600_000,
        lastSeenAt: NOW - 5_000,
        currentLesson: null,
        live: { connected: false, state: 'queued', queuePosition: 1, cpuPercent: null, memoryBytes: null },
        progress: {},
      },
    ],
    help: [
      { id: 'h2', learnerId: 'l2', learnerName: '이영희', classId: 'c1', text: '', at: NOW - 10_000, clearedAt: null },
      { id: 'h1', learnerId: 'l1', learnerName: '<b>김철수</b>', classId: 'c1', text: 'docker ps가 안 돼요', at: NOW - 70_000, clearedAt: null },
    ],
    queue: 1,
    at: NOW,
  };
}

test('each learner row says connection, sandbox state, lesson, per-lesson ✓ / 예상대로 실패 / ✗, activity, CPU and memory', () => {
  const titles = new Map([['lessons/container-basics', '컨테이너 기초']]);
  const [a, b] = learnerRows(snapshot(), titles);
  assert.equal(a!.name, '<b>김철수</b>', 'the name stays as typed (the page sets it as text)');
  assert.equal(a!.connection, '연결됨');
  assert.equal(a!.state, '준비됨');
  assert.equal(a!.currentLesson, '컨테이너 기초');
  assert.deepEqual(
    a!.lessons.map((c) => c.text),
    ['✓ 3 · 예상대로 실패 1 · ✗ 2', '–'],
  );
  assert.equal(a!.lessons[0]!.failed, true);
  assert.equal(a!.lastActivity, '2분 전');
  assert.equal(a!.cpu, '3.3%');
  assert.equal(a!.memory, '80.0MB');
  assert.equal(a!.help, 1);
  assert.equal(b!.connection, '끊김');
  assert.equal(b!.state, '대기 1번');
  assert.equal(b!.currentLesson, '–');
  assert.equal(b!.lastActivity, '방금');
  assert.equal(b!.cpu, '–');
});

test('a lesson cell reads as words for screen readers', () => {
  assert.equal(lessonCell('x', { ok: 1, expectedFail: 0, fail: 0 }, '첫 수업').label, '첫 수업: 성공 1, 예상대로 실패 0, 실패 0');
  assert.equal(lessonCell('x', undefined, '첫 수업').failed, false);
  assert.equal(lessonCell('x', { ok: 2, expectedFail: 0, fail: 1 }, '첫 수업').text, '✓ 2 · ✗ 1', 'zero counts are left out');
  assert.equal(formatCpu(42.4), '42%');
  assert.equal(formatMemory(null), '–');
});

test('help requests: oldest first, an empty line says so, and only ones not seen before ring (never on opening the class)', () => {
  const items = openHelp(snapshot());
  assert.deepEqual(
    items.map((h) => [h.id, h.name, h.text, h.ago]),
    [
      ['h1', '<b>김철수</b>', 'docker ps가 안 돼요', '1분 전'],
      ['h2', '이영희', '(내용 없음)', '10초 전'],
    ],
  );
  const seen = new Set<string>();
  assert.deepEqual(arrivedHelp(items, seen, true), [], 'opening the console does not ring for old requests');
  const later = [...items, { id: 'h3', learnerId: 'l1', name: 'x', text: 'y', ago: '방금' }];
  assert.deepEqual(
    arrivedHelp(later, seen, false).map((h) => h.id),
    ['h3'],
  );
  assert.deepEqual(arrivedHelp(later, seen, false), []);
});

test('the join link is the server path on this page origin', () => {
  assert.equal(joinLink('https://lab.example.org/instructor/#class=c1', '/join/?code=ABC234'), 'https://lab.example.org/join/?code=ABC234');
});

test('the 새 수업 form: the first wrong field with its Korean text, else the request body', () => {
  const form = { name: ' 도커 입문 ', seats: '3', startsAt: '', durationMinutes: '90', lessons: ['lessons/docker-intro'] };
  assert.deepEqual(classRequest(form), { ok: true, body: { name: '도커 입문', seats: 3, durationMinutes: 90, lessons: ['lessons/docker-intro'] } });
  assert.deepEqual(
    classRequest({ ...form, startsAt: '2026-12-01T09:00' }, () => 42),
    {
      ok: true,
      body: { name: '도커 입문', seats: 3, durationMinutes: 90, lessons: ['lessons/docker-intro'], startsAt: 42 },
    },
  );
  const wrong = (patch: Partial<typeof form>) => {
    const r = classRequest({ ...form, ...patch }, () => NaN);
    return r.ok ? null : [r.field, r.message];
  };
  assert.deepEqual(wrong({ name: '   ' }), ['name', '수업 이름을 입력하세요.']);
  assert.deepEqual(wrong({ name: '<b>1반</b>' }), ['name', '수업 이름은 80자까지, <, > 기호 없이 입력하세요.']);
  assert.equal(wrong({ name: '가'.repeat(81) })?.[0], 'name');
  assert.equal(wrong({ seats: '0' })?.[0], 'seats');
  assert.equal(wrong({ seats: '2.5' })?.[0], 'seats');
  assert.equal(wrong({ durationMinutes: '' })?.[0], 'durationMinutes');
  assert.equal(wrong({ startsAt: 'garbage' })?.[0], 'startsAt');
});
