/**
 * POST /lab/check against the real server and real sandboxes, with the
 * fixture checks in challenge-fixtures/: a check runs in the caller's own
 * user-namespaced world, fails with its Korean message, passes once the
 * reader's terminal made the state, is bounded in time and output; forged
 * requests (unknown id, script text instead of an id, extra fields, not
 * JSON, a huge body, no cookie, a foreign Origin) are refused, counted and
 * logged, and a cookie only ever reaches its own reader's sandbox.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CheckResponse, HttpError, LAB_CHECK_PATH } from '../../lab-server/src/protocol.ts';
import { startTestServer } from './test-server.ts';
import { removeOwned, type LabServer } from '../support/lab-server.ts';
import { endSession, newSession, openTerminal, type LabTerminal } from '../support/terminal.ts';
import { ROOT } from '../support/paths.ts';

const FIXTURES = path.join(ROOT, 'tests/integration/challenge-fixtures');
const TIMEOUT_S = 4;

interface Answer {
  status: number;
  body: unknown;
}

/** POST /lab/check with a raw body (text, as a forger would send it) through node:http, so a refused upload is still read as an answer. */
function post(server: LabServer, opts: { cookie?: string; origin?: string | null; body: string | Buffer; chunked?: boolean }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.origin !== null) headers.origin = opts.origin ?? server.origin;
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.chunked) headers['transfer-encoding'] = 'chunked';
    const req = request(new URL(LAB_CHECK_PATH, server.url), { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: kept as text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    // The server may answer and close before the whole (refused) body is written.
    req.on('error', (err) => (req.writableEnded ? undefined : reject(err)));
    if (opts.chunked) req.write(opts.body);
    req.end(opts.chunked ? undefined : opts.body);
  });
}

const check = (server: LabServer, cookie: string, challenge: string) => post(server, { cookie, body: JSON.stringify({ challenge }) });

function verdict(answer: Answer): CheckResponse {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return CheckResponse.parse(answer.body);
}

function refusal(answer: Answer, status: number, error: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(HttpError.parse(answer.body).error, error);
}

async function checksTotal(server: LabServer, result: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', server.url))).text();
  return Number(new RegExp(`^lab_checks_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

const logLines = (server: LabServer, msg: string) =>
  server.logs
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    })
    .filter((e): e is Record<string, unknown> => e?.msg === msg);

/** The server's log lines reach us through a pipe, a moment after its answer: wait for them. */
async function until<T>(read: () => T, ok: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('challenge checks (POST /lab/check)', () => {
  let server: LabServer;
  const cleanup: Array<{ cookie: string; term: LabTerminal }> = [];

  before(async () => {
    server = await startTestServer({
      LAB_CHALLENGES_DIR: FIXTURES,
      LAB_CHECK_TIMEOUT: `${TIMEOUT_S}s`,
      LAB_CHECK_OUTPUT: '8k',
      LAB_MAX_SESSIONS_PER_CLIENT: '12',
      // The suite keeps its ~10 readers until the end: a cap derived from this host's free disk (9 here) would refuse the last.
      LAB_MAX_SESSIONS: '12',
    });
  });
  after(async () => {
    for (const { cookie, term } of cleanup) {
      await term.close().catch(() => undefined);
      await endSession(server, cookie).catch(() => undefined);
    }
    await server?.stop();
    removeOwned(server.instance);
  });

  async function reader() {
    const opened = await openTerminal(server);
    cleanup.push(opened);
    return opened;
  }

  test('the catalog is the fixture directory', () => {
    const loaded = logLines(server, 'challenges loaded')[0];
    assert.equal(loaded?.challenges, 6);
  });

  test('a check fails with its Korean message, and passes once the terminal made the state', async () => {
    const { cookie, term } = await reader();
    const before = verdict(await check(server, cookie, 'hello-file'));
    assert.deepEqual(before, { challenge: 'hello-file', passed: false, message: "아직 /root/hello.txt에 '안녕'이 없습니다.", exitCode: 1 });
    await term.run('echo 안녕 > /root/hello.txt');
    const passed = verdict(await check(server, cookie, 'hello-file'));
    assert.equal(passed.passed, true);
    assert.equal(passed.exitCode, 0);
    assert.match(passed.message, /좋습니다/);

    // The inner Docker engine is the reader's: a container started in the terminal is what the check sees.
    assert.equal(verdict(await check(server, cookie, 'web-running')).passed, false);
    await term.run('docker run -d --name web busybox:1.29 sleep 600', 120_000);
    assert.equal(verdict(await check(server, cookie, 'web-running')).passed, true);

    // A command reading stdin gets nothing and the script goes on.
    assert.equal(verdict(await check(server, cookie, 'reads-stdin')).message, 'stdin은 비어 있습니다');
    const lines = await until(
      () => logLines(server, 'check').filter((l) => l.challenge === 'hello-file'),
      (l) => l.length >= 2,
    );
    assert.deepEqual(
      lines.map((l) => l.result),
      ['failed', 'passed'],
    );
    assert.match(String(lines[0]!.session), /^[0-9a-f]{16}$/);
    assert.equal(typeof lines[0]!.ms, 'number');
  });

  test("the check runs in the reader's user-namespaced world, as its root, without a TTY", async () => {
    const { cookie } = await reader();
    const where = verdict(await check(server, cookie, 'where-am-i'));
    assert.match(where.message, /^uid_map=0 0 65536 user=root pwd=\/root tty=not a tty/);
  });

  test("the reader's login files do not run in a check (an `exit 0` there passes nothing)", async () => {
    const { cookie, term } = await reader();
    await term.run(`for f in .bash_profile .profile .bashrc; do printf 'echo 잡음\\nexit 0\\n' > /root/$f; done; export BASH_ENV=/root/.profile`);
    const where = verdict(await check(server, cookie, 'where-am-i'));
    assert.equal(where.exitCode, 1);
    assert.match(where.message, /^uid_map=0 0 65536 user=root pwd=\/root /);
    assert.doesNotMatch(where.message, /잡음/);
  });

  test('the time limit stops the check and what it started', async () => {
    const { cookie, term } = await reader();
    const began = Date.now();
    const slow = verdict(await check(server, cookie, 'slow'));
    const seconds = (Date.now() - began) / 1000;
    assert.equal(slow.passed, false);
    assert.equal(slow.exitCode, null);
    assert.match(slow.message, /^시작\n확인이 4초 안에 끝나지 않아 멈췄습니다\.$/);
    assert.ok(seconds >= TIMEOUT_S - 0.5 && seconds < TIMEOUT_S + 5, `took ${seconds} s`);
    const left = await term.run('pgrep -f "sleep 60[01]" || echo none');
    assert.match(left, /^none\n/, left);
    assert.ok((await checksTotal(server, 'timeout')) >= 1);
  });

  test('the output limit holds: the last bytes are kept, the rest discarded', async () => {
    const { cookie } = await reader();
    const flood = verdict(await check(server, cookie, 'flood'));
    assert.equal(flood.exitCode, 3);
    assert.ok(flood.message.length <= 2001, `message of ${flood.message.length}`);
    assert.match(flood.message, /x\n마지막 줄: 아직 아닙니다\.$/);
    const line = (await until(
      () => logLines(server, 'check').find((l) => l.challenge === 'flood'),
      (l) => l !== undefined,
    ))!;
    assert.ok(Number(line.discarded) >= 2_000_000 - 8192, `discarded ${String(line.discarded)}`);
  });

  test("another reader's cookie only ever reaches that reader's own sandbox", async () => {
    const a = await reader();
    const b = await reader();
    await a.term.run('echo 가-표식 > /root/marker');
    await b.term.run('echo 나-표식 > /root/marker');
    assert.match(verdict(await check(server, a.cookie, 'where-am-i')).message, /\nmarker=가-표식$/);
    assert.match(verdict(await check(server, b.cookie, 'where-am-i')).message, /\nmarker=나-표식$/);
    // A request cannot name a sandbox or a session: extra fields are refused.
    refusal(await post(server, { cookie: a.cookie, body: JSON.stringify({ challenge: 'where-am-i', sandbox: 'other' }) }), 400, 'bad-message');
    refusal(await post(server, { cookie: a.cookie, body: JSON.stringify({ challenge: 'where-am-i', session: 'other' }) }), 400, 'bad-message');
  });

  test('a sandbox still booting is 409 sandbox-not-ready', async () => {
    const { cookie } = await newSession(server);
    refusal(await check(server, cookie, 'hello-file'), 409, 'sandbox-not-ready');
    await endSession(server, cookie);
  });

  test('forged requests are refused with their status, counted and logged', async () => {
    const { cookie } = await reader();
    const refusedBefore = await checksTotal(server, 'refused');
    const logged = logLines(server, 'check refused').length;
    const cases: Array<[string, Promise<Answer>, number, string]> = [
      ['unknown id', check(server, cookie, 'no-such-challenge'), 404, 'unknown-challenge'],
      ['script instead of an id', post(server, { cookie, body: '{"challenge":"x; rm -rf /"}' }), 400, 'bad-message'],
      ['script field', post(server, { cookie, body: '{"challenge":"hello-file","script":"exit 0"}' }), 400, 'bad-message'],
      ['path as id', post(server, { cookie, body: '{"challenge":"../../etc/passwd"}' }), 400, 'bad-message'],
      ['not JSON', post(server, { cookie, body: 'echo 안녕 > /root/hello.txt; exit 0' }), 400, 'bad-message'],
      ['huge body', post(server, { cookie, body: Buffer.alloc(1 << 20, 'a') }), 413, 'bad-message'],
      ['huge body, undeclared', post(server, { cookie, body: Buffer.alloc(64 << 10, 'a'), chunked: true }), 413, 'bad-message'],
      ['no cookie', check(server, '', 'hello-file'), 401, 'no-session'],
      ['made-up cookie', check(server, `lab_session=${'A'.repeat(43)}`, 'hello-file'), 404, 'no-session'],
      ['foreign Origin', post(server, { cookie, origin: 'http://evil.example', body: '{"challenge":"hello-file"}' }), 403, 'forbidden-origin'],
      ['no Origin', post(server, { cookie, origin: null, body: '{"challenge":"hello-file"}' }), 403, 'forbidden-origin'],
    ];
    for (const [name, answer, status, error] of cases) {
      const a = await answer;
      assert.equal(a.status, status, `${name}: ${JSON.stringify(a.body)}`);
      assert.equal(HttpError.parse(a.body).error, error, name);
    }
    assert.equal((await checksTotal(server, 'refused')) - refusedBefore, cases.length);
    // Origin refusals are logged by the shared Origin check, every other one as `check refused`.
    const refusedLines = await until(
      () => logLines(server, 'check refused').length - logged,
      (n) => n >= cases.length - 2,
    );
    assert.equal(refusedLines, cases.length - 2);
    assert.equal(
      await until(
        () => logLines(server, 'check request refused: origin').length,
        (n) => n >= 2,
      ),
      2,
    );
    const metrics = await (await fetch(new URL('/metrics', server.url))).text();
    assert.match(metrics, /lab_rejected_total\{reason="foreign-origin"\} [1-9]/);
    // Nothing the forger sent ran: the file the "not JSON" body would have written is not there.
    assert.equal(verdict(await check(server, cookie, 'hello-file')).passed, false);
  });

  test('one check at a time per session (429 check-running)', async () => {
    const { cookie } = await reader();
    const first = check(server, cookie, 'slow');
    await new Promise((r) => setTimeout(r, 500));
    refusal(await check(server, cookie, 'hello-file'), 429, 'check-running');
    assert.equal(verdict(await first).exitCode, null);
  });
});
