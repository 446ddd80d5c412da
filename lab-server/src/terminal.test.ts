/**
 * Terminal semantics without Docker: the shell is an in-memory duplex (the
 * integration tests run the same paths against a real sandbox).
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { CloseCode, Limits, type ServerMessage } from './protocol.ts';
import type { Shell } from './sandbox/driver.ts';
import { Terminal, type TerminalClient, type TerminalOptions } from './terminal.ts';

class FakeShell implements Shell {
  readonly input: Buffer[] = [];
  readonly sizes: Array<[number, number]> = [];
  readonly stream: Duplex;
  readonly exited: Promise<number | null>;
  exit!: (code: number | null) => void;
  constructor() {
    this.stream = new Duplex({
      read() {},
      write: (chunk, _enc, cb) => {
        this.input.push(chunk);
        cb();
      },
    });
    this.exited = new Promise((r) => (this.exit = r));
  }
  print(text: string) {
    this.stream.push(Buffer.from(text));
  }
  async resize(cols: number, rows: number) {
    this.sizes.push([cols, rows]);
  }
  close() {
    this.stream.destroy();
  }
}

class FakeClient implements TerminalClient {
  output = '';
  control: ServerMessage[] = [];
  closed: number | undefined;
  bufferedAmount = 0;
  pendingWrites: Array<() => void> = [];
  sendOutput(bytes: Buffer, written: () => void) {
    this.output += bytes.toString();
    this.pendingWrites.push(written);
  }
  sendControl(m: ServerMessage) {
    this.control.push(m);
  }
  close(code: number) {
    this.closed = code;
  }
  flush() {
    this.bufferedAmount = 0;
    for (const w of this.pendingWrites.splice(0)) w();
  }
}

const tick = () => new Promise((r) => setImmediate(r));

function setup(bufferBytes = 64, extra: Partial<TerminalOptions> = {}) {
  const shells: FakeShell[] = [];
  const terminal = new Terminal({
    ...extra,
    name: 'main',
    bufferBytes,
    highWaterBytes: 100,
    lowWaterBytes: 25,
    openShell: async (cols, rows) => {
      const s = new FakeShell();
      s.sizes.push([cols, rows]);
      shells.push(s);
      return s;
    },
    log: pino({ level: 'silent' }),
  });
  return { terminal, shells };
}

const req = (resumeFrom = 0) => ({ cols: 80, rows: 24, resumeFrom, sessionExpiresAt: 123 });

test('first attach starts a shell and says so; output flows live', async () => {
  const { terminal, shells } = setup();
  const a = new FakeClient();
  await terminal.attach(a, req());
  assert.equal(shells.length, 1);
  assert.deepEqual(a.control, [{ type: 'attached', sessionExpiresAt: 123, from: 0, lost: 0, freshShell: true }]);
  shells[0]!.print('hello');
  await tick();
  assert.equal(a.output, 'hello');
});

test('reattach with resumeFrom replays exactly the missing bytes; a second attach replaces the first', async () => {
  const { terminal, shells } = setup();
  const a = new FakeClient();
  await terminal.attach(a, req());
  shells[0]!.print('abc');
  await tick();
  terminal.detach(a);
  shells[0]!.print('def'); // while nobody watches
  await tick();
  const b = new FakeClient();
  await terminal.attach(b, req(3));
  assert.deepEqual(b.control[0], { type: 'attached', sessionExpiresAt: 123, from: 3, lost: 0, freshShell: false });
  assert.equal(b.output, 'def');
  const c = new FakeClient();
  await terminal.attach(c, req(6));
  assert.equal(b.closed, CloseCode.Replaced);
  assert.equal(c.output, '');
  shells[0]!.print('g');
  await tick();
  assert.equal(c.output, 'g');
  assert.equal(b.output, 'def', 'replaced client gets nothing more');
  terminal.input(b, Buffer.from('x'));
  terminal.input(c, Buffer.from('y'));
  assert.deepEqual(shells[0]!.input.map(String), ['y']);
});

test('lost bytes are reported when the buffer wrapped', async () => {
  const { terminal, shells } = setup(4);
  const a = new FakeClient();
  await terminal.attach(a, req());
  terminal.detach(a);
  shells[0]!.print('0123456789');
  await tick();
  const b = new FakeClient();
  await terminal.attach(b, req(2));
  assert.deepEqual(b.control[0], { type: 'attached', sessionExpiresAt: 123, from: 6, lost: 4, freshShell: false });
  assert.equal(b.output, '6789');
});

test('shell exit sends exit; the next attach starts a fresh shell and offsets keep counting', async () => {
  const { terminal, shells } = setup();
  const a = new FakeClient();
  await terminal.attach(a, req());
  shells[0]!.print('bye');
  await tick();
  shells[0]!.exit(0);
  await tick();
  assert.deepEqual(a.control.at(-1), { type: 'exit', code: 0 });
  assert.equal(terminal.running, false);
  await terminal.attach(a, req(3));
  assert.equal(shells.length, 2);
  assert.deepEqual(a.control.at(-1), { type: 'attached', sessionExpiresAt: 123, from: 3, lost: 0, freshShell: true });
  shells[1]!.print('hi');
  await tick();
  assert.deepEqual(terminal.offsets, { start: 0, end: 5 });
});

test('flow control: client pause and socket backpressure pause the shell stream', async () => {
  const { terminal, shells } = setup();
  const a = new FakeClient();
  await terminal.attach(a, req());
  const stream = shells[0]!.stream;
  terminal.setClientPaused(a, true);
  assert.equal(stream.isPaused(), true);
  terminal.setClientPaused(a, false);
  assert.equal(stream.isPaused(), false);

  a.bufferedAmount = 500; // above the high watermark
  shells[0]!.print('x');
  await tick();
  assert.equal(stream.isPaused(), true);
  a.flush(); // drained below the low watermark
  assert.equal(stream.isPaused(), false);

  // Detaching lifts every pause: a detached shell must keep running.
  terminal.setClientPaused(a, true);
  terminal.detach(a);
  assert.equal(stream.isPaused(), false);
});

test('ack window: output beyond Limits.ackWindowBytes unacknowledged pauses the shell until the page catches up', async () => {
  const { terminal, shells } = setup(4 * Limits.ackWindowBytes);
  const a = new FakeClient();
  await terminal.attach(a, req());
  const stream = shells[0]!.stream;
  const chunk = 'y'.repeat(Limits.ackWindowBytes / 4);
  const print = async (chunks: number) => {
    for (let i = 0; i < chunks; i++) shells[0]!.print(chunk);
    await tick();
  };
  // No ack yet: a client that never acks (the lesson runner) is never window-paused.
  await print(5);
  assert.equal(stream.isPaused(), false);

  terminal.ack(a, 0);
  assert.equal(stream.isPaused(), true, '5/4 of the window in flight');
  terminal.ack(a, chunk.length);
  assert.equal(stream.isPaused(), false, 'exactly the window in flight is allowed');
  // A forged ack beyond what was sent cannot open the window further, nor can a stale one close it.
  terminal.ack(a, Number.MAX_SAFE_INTEGER);
  terminal.ack(a, 0);
  await print(4);
  assert.equal(stream.isPaused(), false, 'one window since the (clamped) ack');
  await print(1);
  assert.equal(stream.isPaused(), true);

  // A new attach starts without a window until that client acks.
  const b = new FakeClient();
  await terminal.attach(b, req());
  assert.equal(stream.isPaused(), false);
});

test('Ctrl-C while the page is behind drops the backlog up to the next prompt mark, with a notice', async () => {
  const { terminal, shells } = setup(1024);
  const a = new FakeClient();
  await terminal.attach(a, req());
  const shell = shells[0]!;
  shell.print('before ');
  await tick();
  // Ctrl-C when the page keeps up: nothing is skipped.
  terminal.input(a, Buffer.from('\x03'));
  shell.print('shown');
  await tick();
  assert.equal(a.output, 'before shown');

  terminal.setClientPaused(a, true); // the page is behind
  terminal.input(a, Buffer.from('\x03'));
  assert.deepEqual(shell.input.map(String), ['\x03', '\x03'], 'the key itself always reaches the shell');
  assert.equal(shell.stream.isPaused(), false, 'skipping reads on even while the page asked for a pause');
  shell.print('y\n'.repeat(100));
  shell.print('y\n\x1b]13'); // a mark split across chunks
  shell.print('3;D;130\x07\x1b]133;A\x07lab$ ');
  await tick();
  const after = a.output.slice('before shown'.length);
  assert.ok(!after.includes('y\n'), 'the flood output was dropped');
  assert.match(after, /건너뛰었습니다/, 'the reader is told');
  assert.ok(after.endsWith('\x1b]133;D;130\x07\x1b]133;A\x07lab$ '), 'from the mark on, everything is sent');
  assert.equal(shell.stream.isPaused(), true, "the page's pause holds again");
  // Replay after a reload shows the same thing: skipped bytes are not in the buffer.
  const b = new FakeClient();
  await terminal.attach(b, req(0));
  assert.equal(b.output, a.output);
});

test('a flood pauses and resumes constantly: Ctrl-C during a short resume still skips; a second later it does not', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const { terminal, shells } = setup(1024);
  const a = new FakeClient();
  await terminal.attach(a, req());
  const shell = shells[0]!;
  terminal.setClientPaused(a, true);
  terminal.setClientPaused(a, false); // the window opened for a moment
  t.mock.timers.tick(300);
  terminal.input(a, Buffer.from('\x03'));
  shell.print('stale\x1b]133;D;130\x07');
  await tick();
  assert.match(a.output, /건너뛰었습니다/);
  assert.ok(!a.output.includes('stale'));

  t.mock.timers.tick(1500); // caught up for a while now
  const before = a.output.length;
  terminal.input(a, Buffer.from('\x03'));
  shell.print('fresh\x1b]133;A\x07');
  await tick();
  assert.equal(a.output.slice(before), 'fresh\x1b]133;A\x07');
});

test('a program that ignores Ctrl-C gets its output back after the skip bound', async () => {
  const { terminal, shells } = setup(1024, { skipMaxMs: 30 });
  const a = new FakeClient();
  await terminal.attach(a, req());
  const shell = shells[0]!;
  terminal.setClientPaused(a, true);
  terminal.input(a, Buffer.from('\x03'));
  shell.print('dropped-while-skipping\x1b]13'); // ends with what may be the start of a mark: held back
  await tick();
  assert.equal(a.output, '');
  await new Promise((r) => setTimeout(r, 60));
  terminal.setClientPaused(a, false); // the page caught up
  shell.print('later');
  await tick();
  assert.match(a.output, /건너뛰었습니다/);
  // Only a tail that may begin a mark is held back (shell-marks.ts incompleteMarkStart); it is not lost.
  assert.ok(a.output.endsWith('\x1b]13' + 'later'), `output flows again once the bound passed: ${JSON.stringify(a.output)}`);
  assert.ok(!a.output.includes('dropped'), 'the rest was skipped');
});

test('two attaches racing share one shell start', async () => {
  const { terminal, shells } = setup();
  const a = new FakeClient();
  const b = new FakeClient();
  await Promise.all([terminal.attach(a, req()), terminal.attach(b, req())]);
  assert.equal(shells.length, 1);
  assert.equal(a.closed, CloseCode.Replaced);
  assert.equal(terminal.attachedClient, b);
});

test('input to a shell that is not reading pauses the client at the watermark, and resumes on drain', async () => {
  const pending: Array<() => void> = [];
  const stream = new Duplex({
    read() {},
    write: (_chunk, _enc, cb) => void pending.push(cb), // the shell is busy: nothing is consumed
    highWaterMark: 1024,
  });
  const shell = { stream, exited: new Promise<number | null>(() => undefined), resize: async () => undefined, close: () => stream.destroy() };
  let paused = 0;
  const terminal = new Terminal({
    name: 'main',
    bufferBytes: 1024,
    highWaterBytes: 100,
    lowWaterBytes: 25,
    inputHighWaterBytes: 4096,
    onInputPaused: () => paused++,
    openShell: async () => shell,
    log: pino({ level: 'silent' }),
  });
  const a = new FakeClient() as FakeClient & { pauseInput(): void; resumeInput(): void; inputPaused: boolean };
  a.inputPaused = false;
  a.pauseInput = () => (a.inputPaused = true);
  a.resumeInput = () => (a.inputPaused = false);
  await terminal.attach(a, req());
  // A well-behaved client stops when asked; what it sent up to then is what stays queued.
  let sent = 0;
  while (!a.inputPaused && sent < 1024 * 1024) {
    terminal.input(a, Buffer.alloc(1000, 0x61));
    sent += 1000;
  }
  assert.equal(a.inputPaused, true);
  assert.equal(paused, 1);
  assert.ok(terminal.inputQueued <= 4096 + 1000, `queued ${terminal.inputQueued}`);
  // The shell reads again: everything drains and the client may send.
  while (pending.length > 0) pending.shift()!();
  await tick();
  assert.equal(a.inputPaused, false);
  assert.equal(terminal.inputQueued, 0);
});

test('a resize storm becomes one Engine call now and the final size after the interval', async () => {
  const outcomes: string[] = [];
  const { terminal, shells } = setup(64, { resizeIntervalMs: 30, onResize: (o) => outcomes.push(o) });
  const a = new FakeClient();
  await terminal.attach(a, req());
  const shell = shells[0]!;
  for (let i = 0; i < 100; i++) terminal.resize(a, 81 + (i % 50), 24);
  terminal.resize(a, 100, 30);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(shell.sizes.slice(1), [
    [81, 24],
    [100, 30],
  ]);
  assert.equal(outcomes.filter((o) => o === 'applied').length, 2);
  assert.equal(outcomes.filter((o) => o === 'coalesced').length, 99);
  terminal.resize(a, 100, 30); // unchanged: no call
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(shell.sizes.length, 3);
});
