/**
 * The one client entry point the 실행 buttons call (via dynamic import: nothing
 * here, xterm included, is part of the page's own JavaScript; the page loads
 * it once it has settled or on intent and calls prepare(), see
 * src/scripts/run-buttons.ts).
 *
 *   const { runSnippet } = await import('../lab-client/index.ts');
 *   await runSnippet({ code, snippetId, lesson, snippet });
 *
 * On every page load the page script should also restore an open dock (the
 * reader had the terminal open on the previous page of this tab):
 *
 *   import { shouldRestoreDock } from '../lab-client/dock-state.ts'; // tiny, no deps
 *   if (shouldRestoreDock()) import('../lab-client/index.ts').then((m) => m.restoreDock());
 *
 * Behaviour of a click:
 * - first click: load xterm, open the dock, request a session, connect;
 * - the snippet is pasted with bracketed paste once bash waits at an empty
 *   prompt, then Enter is sent; bash runs the whole block as one input;
 * - if a snippet (or a command the reader typed) is still running, the new
 *   one is queued and shows 대기 중… (snippet-queue.ts);
 * - `input=` lines are typed into the program once it waits quietly, and a
 *   `timeout=N` snippet gets Ctrl+C after N seconds (README: "Results");
 * - the result is judged against the lesson's expectation (outcome.ts): a
 *   failure or stop the lesson intends is done and counts towards n/m;
 * - the returned promise settles when the snippet finished, or at once when
 *   it cannot run (lab unreachable), after updating [data-lab-status].
 *
 * This file is the page side's wiring (PageLab: dock, terminal, connection,
 * queue); the server's own session object is lab-server/src/lab.ts. The
 * rules live in pure modules with tests: snippet-queue.ts, outcome.ts,
 * close-policy.ts, osc133.ts; the e2e hooks in test-hooks.ts.
 */
import { requestCheck, showCheck } from './challenge.ts';
import { configuredLabUrl, labEndpoints, type LabEndpoints } from './config.ts';
import { LabConnection, type ConnectionState } from './connection.ts';
import { Dock } from './dock.ts';
import { statusFor } from './status.ts';
import { OutputAcks, OutputFlow } from './flow.ts';
import { LAB_SUBPROTOCOL, Limits } from '../../lab-server/src/protocol.ts';
import { ko } from './messages.ko.ts';
import { CommandTracker, type TrackerEvent } from './osc133.ts';
import { isDone, judgeRun, readExpectation, type Expectation } from './outcome.ts';
import { SnippetQueue } from './snippet-queue.ts';
import { listPorts, requestPreview } from './preview.ts';
import { PortList, SnippetPreviews, type PreviewDeps } from './preview-panel.ts';
import { challengeKey } from './progress.ts';
import { recordSnippetPass, showOutcome, showSnippetState } from './snippet-results.ts';
import { loadLabStyles } from './styles.ts';
import { installTestHooks } from './test-hooks.ts';
import { isTerminalReply } from './terminal-replies.ts';
import { createTerminal, screenReaderPreference, type LabTerminal } from './terminal.ts';
import { inputKeystrokes } from '../snippets/meta.ts';
import { ClassMembership, progressResult } from '../classroom-client/learner.ts';

export interface RunRequest {
  /** The snippet exactly as the lesson shows it. */
  code: string;
  /** sha256(code) prefix, see src/snippets. */
  snippetId: string;
  /** Lesson slug, for per-lesson progress. */
  lesson: string;
  /** The wrapper element carrying data-lab-snippet, for status display. */
  snippet: HTMLElement;
}

export interface CheckRequest {
  /** The challenge's id (data-lab-challenge; content/challenges/<id>.sh on the server). */
  challenge: string;
  /** Lesson slug, for per-lesson progress. */
  lesson: string;
  /** The [data-lab-challenge] element, for status display. */
  element: HTMLElement;
}

interface Job {
  request: RunRequest;
  /** What the lesson expects of this run (from the wrapper's data attributes). */
  expectation: Expectation;
  done: Promise<void>;
  settle: () => void;
  /** The page sent Ctrl+C because the snippet's timeout= ran out. */
  interrupted: boolean;
  /** The timeout= timer, while it runs. */
  stopTimer?: ReturnType<typeof setTimeout>;
}

/** No C mark this long after the paste: the shell has no integration, stop waiting. */
const START_TIMEOUT_MS = 10_000;
/**
 * Without any OSC 133 mark after attaching, treat the shell as ready once it
 * has printed something and then been quiet this long. Quiet, not merely
 * time since attaching: a sandbox on a busy host can take seconds between
 * its greeting and its first prompt, and a paste sent before bash's prompt
 * is not bracketed and has no C mark to tie it to (seen: a first 실행 on a
 * slow boot ended as 보냈습니다).
 */
const NO_INTEGRATION_GRACE_MS = 2_500;
/** ...and at the latest this long after attaching (a shell that prints nothing at all). */
const NO_INTEGRATION_LIMIT_MS = 15_000;
/**
 * Before typing an input= line, the program must be ready to read it: it
 * has printed something since the last line and then been quiet this long
 * (an image pull keeps printing progress; a prompt is followed by silence).
 * The lesson runner waits the same way (tools/lesson-runner/run-snippet.ts).
 */
const INPUT_QUIET_MS = 800;
const INPUT_READY_LIMIT_MS = 60_000;
/** Quiet time that ends a replay (the server sends it in one burst). */
const REPLAY_QUIET_MS = 300;
/** A preview opened from the dock's 포트 list gets this share of the window (list, page and a few terminal rows). */
const DOCK_PREVIEW_SHARE = 0.8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const canHover = () => window.matchMedia('(pointer: fine)').matches;

export class PageLab {
  readonly dock: Dock;
  readonly terminal: LabTerminal;
  readonly connection: LabConnection;
  readonly endpoints: LabEndpoints = labEndpoints(configuredLabUrl(), location.href);
  readonly tracker = new CommandTracker();
  /**
   * Class mode: whether this reader joined a class (then: 도움 요청, progress
   * reports). Asked on the first open, not when the page prepares the
   * terminal at idle (prepare()): a reader who only reads sends nothing to the lab.
   */
  private classMembership: ClassMembership | null = null;
  readonly flow: OutputFlow;
  readonly acks: OutputAcks;
  /** Port preview (issue 11): 미리보기 under snippets that publish ports, and the dock's 포트 list. */
  readonly previews: SnippetPreviews;
  readonly portList: PortList;
  readonly queue = new SnippetQueue<Job>((a, b) => a.request.snippetId === b.request.snippetId && a.request.snippet === b.request.snippet);
  /** performance.now() of the last output chunk (scripted input waits for quiet). */
  private lastOutputAt = 0;
  private startTimer: ReturnType<typeof setTimeout> | null = null;
  private idleWaiters: (() => void)[] = [];
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  private graceOver = false;
  private graceLimitAt = 0;
  /** Drawing the output a reattach replays (queries in it were answered before). */
  private replaying = false;
  private replayTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTicker: ReturnType<typeof setInterval> | null = null;
  private pumping = false;
  private attachedOnce = false;
  /** performance.now() of this page's first output chunk, 0 before it (benchmarks: click to first output). */
  firstOutputAt = 0;
  /** Resolvers waiting for the next output chunk (benchmarks). */
  readonly outputWatchers: ((at: number) => void)[] = [];
  /** Resolvers waiting for the next prompt (tests). */
  readonly promptWatchers: ((at: number) => void)[] = [];

  constructor() {
    this.dock = new Dock(
      {
        newSandbox: () => void this.newSandbox(),
        retry: () => this.connection.reconnectNow(),
        key: (name) => {
          this.terminal.key(name);
          this.terminal.term.focus();
        },
        shown: () => this.terminal.fit(),
        modeChanged: (mode) => {
          if (mode !== 'closed') this.connect();
        },
        screenReader: (on) => this.terminal.setScreenReaderMode(on),
        ports: (open) => (open ? this.portList.load() : this.portList.hide()),
      },
      screenReaderPreference(),
    );
    const labOrigin = new URL(this.endpoints.sessionUrl).origin;
    const previewDeps: PreviewDeps = {
      open: (port) => requestPreview(this.endpoints.previewUrl, port, labOrigin, fetch.bind(globalThis)),
      list: () => listPorts(this.endpoints.previewUrl, fetch.bind(globalThis)),
    };
    this.previews = new SnippetPreviews(previewDeps);
    this.portList = new PortList(previewDeps, () => this.dock.growTo(Math.round(window.innerHeight * DOCK_PREVIEW_SHARE)));
    this.dock.portsHost.append(this.portList.root);
    this.dock.mount();
    this.terminal = createTerminal(this.dock.terminalHost, {
      input: (bytes) => {
        // Old queries in a replay are answered again by xterm: not input (terminal-replies.ts).
        if (this.replaying && isTerminalReply(decoder.decode(bytes))) return;
        if (!this.connection.sendInput(bytes)) this.dock.announce(ko.status.offline);
      },
      mark: (mark) => {
        this.onTrackerEvents(this.tracker.handle(mark));
        if (mark.kind === 'B' && this.promptWatchers.length > 0) {
          const now = performance.now();
          for (const w of this.promptWatchers.splice(0)) w(now);
        }
      },
      lineAccepted: () => this.tracker.lineAccepted(),
      resize: (cols, rows) => this.connection.resize(cols, rows),
      leave: () => this.dock.focusControls(),
      notice: (text) => this.dock.announce(text),
    });
    this.connection = new LabConnection(
      this.endpoints,
      () => ({ cols: this.terminal.term.cols, rows: this.terminal.term.rows }),
      {
        state: (state) => this.onConnectionState(state),
        output: (bytes) => this.write(bytes),
        notice: (notice) => this.dock.showNotice(notice),
        attached: (info) => {
          this.flow.newConnection();
          this.acks.reset(this.connection.cursor.received);
          if (info.freshShell) {
            for (const e of this.tracker.reset()) this.finish(e.id, null, ko.snippet.notStarted(ko.status.newShell));
            if (this.attachedOnce) this.notice(ko.status.newShell);
            this.startGrace();
          } else if (info.replay) {
            this.startGrace();
            this.replaying = true;
            this.armReplayEnd();
          }
          if (info.lost > 0) this.notice(ko.status.lostOutput(info.lost));
          if (!this.attachedOnce) performance.mark('lab:attached');
          this.attachedOnce = true;
        },
      },
      'main',
      sessionFetch,
      takeWebSocket,
    );
    this.flow = new OutputFlow((type) => this.connection.sendControl({ type }));
    this.acks = new OutputAcks((processed) => this.connection.sendControl({ type: 'ack', processed }), Limits.ackEveryBytes);
  }

  /** Writes shell output into xterm, counting it for flow control. */
  private write(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    const end = this.connection.cursor.received; // absolute offset right after these bytes
    this.lastOutputAt = performance.now();
    if (this.firstOutputAt === 0) this.firstOutputAt = this.lastOutputAt;
    if (!this.graceOver && this.graceTimer !== null && !this.tracker.integrated) {
      this.armGrace(Math.min(NO_INTEGRATION_GRACE_MS, Math.max(0, this.graceLimitAt - this.lastOutputAt)));
    }
    if (this.outputWatchers.length > 0) {
      for (const w of this.outputWatchers.splice(0)) w(this.lastOutputAt);
    }
    this.flow.written(n);
    this.terminal.write(bytes, () => {
      this.flow.processed(n);
      this.acks.processed(end, this.flow.pending === 0);
      if (this.replaying) this.armReplayEnd();
    });
  }

  /** The replay is over once xterm has drawn everything and nothing more came for a moment. */
  private armReplayEnd(): void {
    if (this.replayTimer !== null) clearTimeout(this.replayTimer);
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      this.replaying = false;
    }, REPLAY_QUIET_MS);
  }

  /** A dim line of our own between shell output (never mistaken for it). */
  private notice(text: string): void {
    this.terminal.write(`\r\n\x1b[2m[${text}]\x1b[0m\r\n`);
  }

  private membership(): ClassMembership {
    if (!this.classMembership) {
      const membership = (this.classMembership = new ClassMembership(this.endpoints.sessionUrl));
      void membership.checked.then((member) => {
        if (member) this.dock.enableHelp(async (text) => ((r) => (r.ok ? null : r.message))(await membership.help(text)));
      });
    }
    return this.classMembership;
  }

  open(): void {
    if (this.dock.mode !== 'open') this.dock.setMode('open');
    this.connect();
  }

  restore(): void {
    this.dock.restore();
    this.connect();
  }

  /** The first connection of the page also asks whether the reader is in a class. */
  private connect(): void {
    this.membership();
    this.connection.start();
  }

  run(request: RunRequest): Promise<void> {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const added = this.queue.add({ request, expectation: readExpectation(request.snippet.dataset), done, settle, interrupted: false });
    if (!added.added) return added.job.done;
    showSnippetState(request.snippet, added.behind ? 'queued' : 'running');
    this.open();
    this.keepInView(request.snippet);
    void this.pump();
    return done;
  }

  /**
   * 확인 of a 도전 과제: the same session path as 실행 (open the dock, make
   * sure a session and an attached shell exist, so the sandbox is ready),
   * then the server runs the check in that sandbox; nothing is typed into
   * the reader's terminal. A pass counts as `challenge:<id>` in the lesson.
   */
  async check(request: CheckRequest): Promise<void> {
    const { challenge, lesson, element } = request;
    if (element.dataset.labCheckState === 'checking') return;
    showCheck(element, 'checking');
    this.open();
    try {
      await this.connection.ready();
    } catch (error) {
      const reason = (error as Error).message;
      showCheck(element, 'error', reason === 'forbidden-origin' ? ko.error.forbiddenOrigin : ko.challenge.unreachable);
      return;
    }
    const result = await requestCheck(this.endpoints.checkUrl, challenge, fetch.bind(globalThis));
    showCheck(element, result.kind, result.message);
    if (result.kind === 'passed') recordSnippetPass(lesson, challengeKey(challenge));
    if (result.kind === 'passed' || result.kind === 'failed')
      this.membership().report(lesson, challengeKey(challenge), result.kind === 'passed' ? 'ok' : 'fail');
  }

  /** The dock must not cover the snippet the reader just clicked (its status shows there). */
  private keepInView(snippet: HTMLElement): void {
    requestAnimationFrame(() => {
      const limit = window.innerHeight - this.dock.root.getBoundingClientRect().height - 16;
      const bottom = snippet.getBoundingClientRect().bottom;
      if (bottom > limit && limit > 0) {
        const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
        window.scrollBy({ top: bottom - limit, behavior: smooth ? 'smooth' : 'auto' });
      }
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.queue.current && this.queue.next) {
        const job = this.queue.next;
        try {
          await this.connection.ready();
        } catch (error) {
          const reason = (error as Error).message;
          const text = reason === 'forbidden-origin' ? ko.snippet.notStarted(ko.error.forbiddenOrigin) : ko.snippet.unreachable;
          // Everything waiting would meet the same wall: say so on each.
          for (const j of this.queue.takeWaiting()) {
            showSnippetState(j.request.snippet, 'error', { reason: text });
            j.settle();
          }
          break;
        }
        // Only a command in progress makes this a wait; a shell still drawing its first prompt does not.
        if (this.tracker.state === 'running') showSnippetState(job.request.snippet, 'queued');
        await this.waitIdle();
        if (this.connection.state.kind !== 'connected' || !this.queue.begin(job)) continue;
        this.start(job);
      }
    } finally {
      this.pumping = false;
    }
  }

  private start(job: Job): void {
    const { snippet, code, snippetId } = job.request;
    showSnippetState(snippet, 'running');
    this.tracker.arm(snippetId);
    // Ctrl-E Ctrl-U clears anything half-typed at the prompt, so the snippet
    // runs exactly as written (skipped on an empty line: readline would ring
    // the bell); then the paste (wrapped in bracketed-paste markers because
    // bash enabled mode 2004 with its prompt) and Enter.
    if (!this.terminal.inputLineEmpty()) this.connection.sendInput(encoder.encode('\x05\x15'));
    this.terminal.paste(code.replace(/\s+$/, ''));
    this.connection.sendInput(encoder.encode('\r'));
    performance.mark('lab:paste-sent');
    if (canHover()) this.terminal.term.focus();
    this.startTimer = setTimeout(() => {
      const id = this.tracker.disarm();
      if (id !== null) this.finish(id, null);
    }, START_TIMEOUT_MS);
  }

  /** The snippet's command started (C): type its input= lines, arm its timeout=. */
  private started(job: Job): void {
    const { input, timeout } = job.expectation;
    if (input !== undefined) void this.typeInput(job, inputKeystrokes(input));
    if (timeout !== undefined) {
      // A long runner (logs -f, events, stats): the page stops it as the
      // lesson says, with Ctrl+C after the snippet's time, and counts that
      // as done (outcome.ts).
      job.stopTimer = setTimeout(() => {
        if (!this.isRunning(job)) return;
        job.interrupted = true;
        this.connection.sendInput(encoder.encode('\x03'));
      }, timeout * 1000);
    }
  }

  private isRunning(job: Job): boolean {
    return this.queue.current === job && this.tracker.running === job.request.snippetId;
  }

  /** Types scripted lines into the snippet's program, each once it has printed and gone quiet. */
  private async typeInput(job: Job, keys: string[]): Promise<void> {
    for (const k of keys) {
      const from = this.connection.cursor.received;
      const deadline = performance.now() + INPUT_READY_LIMIT_MS;
      while (this.isRunning(job) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (this.connection.cursor.received > from && performance.now() - this.lastOutputAt >= INPUT_QUIET_MS) break;
      }
      if (!this.isRunning(job)) return;
      this.connection.sendInput(encoder.encode(k));
    }
  }

  private onTrackerEvents(events: TrackerEvent[]): void {
    for (const e of events) {
      if (e.type === 'start') {
        if (this.startTimer !== null) clearTimeout(this.startTimer);
        this.startTimer = null;
        const job = this.queue.current;
        if (job && job.request.snippetId === e.id) this.started(job);
      } else {
        this.finish(e.id, e.exit);
      }
    }
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Settles the current job if it is `id`; `errorText` marks it as not run. */
  private finish(id: string, exit: number | null, errorText?: string): void {
    const job = this.queue.end((j) => j.request.snippetId === id);
    if (!job) return;
    if (this.startTimer !== null) clearTimeout(this.startTimer);
    this.startTimer = null;
    clearTimeout(job.stopTimer);
    const { snippet, lesson, snippetId } = job.request;
    if (errorText) showSnippetState(snippet, 'error', { reason: errorText });
    else {
      const outcome = judgeRun(job.expectation, { exit, interrupted: job.interrupted });
      showOutcome(snippet, outcome);
      if (isDone(outcome)) recordSnippetPass(lesson, snippetId);
      const result = progressResult(outcome);
      if (result) this.membership().report(lesson, snippetId, result);
      // It ran (even if not as the lesson expects): what it publishes can be looked at.
      this.previews.snippetRan(snippet);
      this.portList.snippetRan();
    }
    job.settle();
    void this.pump();
  }

  get queueLength(): number {
    return this.queue.length;
  }

  isIdle(): boolean {
    if (this.queue.current) return false;
    if (this.tracker.integrated) return this.tracker.idle;
    return this.graceOver; // a shell without marks: best effort
  }

  /** Resolves when bash waits at a prompt and xterm has parsed all output so far. */
  private async waitIdle(): Promise<void> {
    for (;;) {
      // Output still being parsed may hold the prompt's marks: wait for xterm's
      // write round. Nothing pending (a click at a quiet prompt): the state is
      // current, and the round would cost a timer that waits behind the frame
      // the click started (measured at load ~10: the paste left 22 ms after
      // the click with the round, 14 ms without).
      if (this.flow.pending > 0) await new Promise<void>((resolve) => this.terminal.write('', resolve));
      if (this.isIdle()) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private startGrace(): void {
    this.graceOver = false;
    this.graceLimitAt = performance.now() + NO_INTEGRATION_LIMIT_MS;
    this.armGrace(NO_INTEGRATION_LIMIT_MS);
  }

  /** (Re)starts the grace timer: called on attach and on every output chunk while it runs. */
  private armGrace(ms: number): void {
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      this.graceOver = true;
      if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
    }, ms);
  }

  private async newSandbox(): Promise<void> {
    for (const j of this.queue.takeAll()) {
      clearTimeout(j.stopTimer);
      showSnippetState(j.request.snippet, 'error', { reason: ko.snippet.cancelled });
      j.settle();
    }
    this.tracker.reset();
    this.terminal.term.reset();
    this.attachedOnce = false;
    this.open();
    await this.connection.newSandbox();
  }

  private onConnectionState(state: ConnectionState): void {
    if (state.kind === 'exited') {
      // The shell itself ended (a snippet ran `exit 3`, or the reader typed exit):
      // its status is the snippet's.
      for (const e of this.tracker.reset()) this.finish(e.id, state.code);
      this.notice(ko.status.shellExited(state.code));
    }
    if (this.retryTicker !== null) clearInterval(this.retryTicker);
    this.retryTicker = null;
    if (state.kind === 'retrying') {
      const tick = () => this.dock.setStatus(statusFor(state));
      this.retryTicker = setInterval(tick, 1000);
    }
    this.dock.setStatus(statusFor(state));
  }
}

/**
 * Loading this module happens on intent (pointer over 실행, src/scripts/run-buttons.ts)
 * or on the click: the stylesheets and the font start now, not after the click.
 */
performance.mark('lab:client-loaded');
void loadLabStyles();

/**
 * The first session request, sent while the styles and the font load (they
 * took a round trip or two before the connection even started); the
 * connection's first POST takes this response instead of asking again.
 */
let earlySession: { url: string; response: Promise<Response> } | undefined;
/**
 * ...and the first WebSocket, opened as soon as that request has a session
 * (201 new, 200 resumed; not a class queue's 202), so its handshake runs
 * while xterm is created instead of after. Taken once by the connection.
 */
let earlySocket: { url: string; ws: WebSocket } | undefined;
const SESSION_POST: RequestInit = { method: 'POST', credentials: 'include', headers: { accept: 'application/json' } };
function startSessionEarly(): void {
  const { sessionUrl, wsUrl } = labEndpoints(configuredLabUrl(), location.href);
  const response = fetch(sessionUrl, SESSION_POST);
  response.then(
    (r) => {
      if (r.status === 200 || r.status === 201) earlySocket = { url: wsUrl, ws: new WebSocket(wsUrl, LAB_SUBPROTOCOL) };
    },
    () => undefined, // the connection reads the failure when it takes the response
  );
  earlySession = { url: sessionUrl, response };
}
/** WebSocket for the connection: the early socket once (if still usable), then a new one. */
function takeWebSocket(url: string, protocol: string): WebSocket {
  const early = earlySocket;
  earlySocket = undefined;
  if (early && early.url === url && early.ws.readyState <= WebSocket.OPEN) return early.ws;
  early?.ws.close();
  return new WebSocket(url, protocol);
}
/** fetch for the connection: the early session response once, then the network. */
function sessionFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const early = earlySession;
  if (early && init?.method === 'POST' && String(input) === early.url) {
    earlySession = undefined;
    return early.response;
  }
  return fetch(input, init);
}

let lab: PageLab | null = null;
/** The page's one PageLab, created once the styles are in (xterm measures its cells with them). */
function pageLab(): PageLab {
  if (!lab) {
    performance.mark('lab:styles-ready');
    lab = new PageLab();
    performance.mark('lab:terminal-created');
    installTestHooks(lab);
  }
  return lab;
}
async function getLab(): Promise<PageLab> {
  if (!lab) startSessionEarly();
  await loadLabStyles();
  return pageLab();
}

/**
 * Makes the terminal ready before the first click (src/scripts/run-buttons.ts
 * calls it at idle and on intent): styles, font and xterm in a closed dock.
 * No session request and no socket: viewing a page never allocates a sandbox.
 */
export async function prepare(): Promise<void> {
  await loadLabStyles();
  pageLab();
}

export async function runSnippet(request: RunRequest): Promise<void> {
  return (await getLab()).run(request);
}

/** 확인 of a 도전 과제 (src/components/Challenge.astro): runs its check in the reader's sandbox. */
export async function checkChallenge(request: CheckRequest): Promise<void> {
  return (await getLab()).check(request);
}

/** Reopens the dock and reconnects, as the previous page of this tab had it. */
export async function restoreDock(): Promise<void> {
  (await getLab()).restore();
}

/** Opens the dock without running anything (e.g. a "터미널 열기" button). */
export async function openTerminal(): Promise<void> {
  (await getLab()).open();
}
