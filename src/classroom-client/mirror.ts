/**
 * The instructor's read-only mirror of one learner's terminal, loaded on
 * demand (instructor.ts imports this module only when 보기 is pressed, so
 * xterm.js is not part of the console's first load).
 *
 * WebSocket MIRROR_WS_PATH?learner=<id> with MIRROR_SUBPROTOCOL (the admin
 * cookie travels with it; Path=/instructor covers the path). The server
 * sends binary frames only: the learner's recent output first, then the
 * same bytes the learner's terminal gets. Nothing is ever sent back (xterm's
 * stdin is disabled, so not even its automatic replies). The terminal has a
 * fixed size: the stream carries no size, and 120 × 30 holds a dock's
 * output on any learner's screen we measured (375 px phones wrap at 44
 * columns, a 1280 px dock at 180: wider lines wrap here too, as text).
 */
import { Terminal } from '@xterm/xterm';
import { MIRROR_SUBPROTOCOL, MIRROR_WS_PATH } from '../../lab-server/src/protocol.ts';
import { bufferText } from '../lab-client/buffer-text.ts';
import { TERMINAL_FONT_FAMILY, loadLabStyles } from '../lab-client/styles.ts';
import { classKo } from './messages.ko.ts';

const COLS = 120;
const ROWS = 30;

export interface Mirror {
  close(): void;
  /** The mirrored buffer as text (e2e tests read it through globalThis.__mirror). */
  text(): string;
}

/** ws(s)://<this origin>/instructor/ws/mirror?learner=<id> */
export function mirrorUrl(pageUrl: string, learnerId: string): string {
  const url = new URL(MIRROR_WS_PATH, pageUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('learner', learnerId);
  return url.toString();
}

export async function openMirror(host: HTMLElement, learnerId: string, status: (text: string) => void): Promise<Mirror> {
  status(classKo.console.mirrorLoading);
  await loadLabStyles();
  const term = new Terminal({
    cols: COLS,
    rows: ROWS,
    disableStdin: true,
    cursorBlink: false,
    scrollback: 5000,
    fontFamily: `"${TERMINAL_FONT_FAMILY}", ui-monospace, monospace`,
    fontSize: 13,
    screenReaderMode: false,
  });
  term.open(host);
  term.textarea?.setAttribute('aria-label', host.getAttribute('aria-label') ?? '');
  term.textarea?.setAttribute('readonly', '');
  const ws = new WebSocket(mirrorUrl(location.href, learnerId), MIRROR_SUBPROTOCOL);
  ws.binaryType = 'arraybuffer';
  let closedByUs = false;
  ws.onopen = () => status(classKo.console.mirrorOpen);
  ws.onmessage = (event: MessageEvent) => {
    // Binary only: a text frame is not part of the mirror protocol and is never shown.
    if (event.data instanceof ArrayBuffer) term.write(new Uint8Array(event.data));
  };
  ws.onclose = (event: CloseEvent) => {
    if (closedByUs) return;
    status(event.code === 1006 && !event.wasClean ? classKo.console.mirrorRefused : classKo.console.mirrorClosed);
  };
  const mirror: Mirror = {
    close: () => {
      closedByUs = true;
      ws.close(1000);
      term.dispose();
      host.replaceChildren();
    },
    text: () => bufferText(term.buffer.active),
  };
  (globalThis as { __mirror?: Mirror }).__mirror = mirror;
  return mirror;
}
