/**
 * Replies xterm.js sends by itself when output asks for them: cursor
 * position (CPR, `ESC [ row ; col R`, asked by `ESC [ 6n`), device
 * attributes (`ESC [ ? … c`, `ESC [ > … c`), status (`ESC [ 0 n`), colour
 * queries (`ESC ] 10/11 ; rgb:… BEL/ST`), mode reports (`ESC [ ? … $ y`).
 *
 * Why: when a page reattaches to an old shell it replays the server's
 * recent output (resumeFrom=0). Queries in that output were answered long
 * ago; xterm answers them again, and the answers land at bash's prompt as
 * `;5R;5R;5R` (seen after `docker run -it busybox sh`, which asks for the
 * cursor position). The page drops such replies while it draws a replay.
 *
 * Pure.
 */
const REPLY = /^(?:\x1b\[\d*(?:;\d*)*R|\x1b\[[?>][\d;]*c|\x1b\[\d*n|\x1b\[\?[\d;]*\$y|\x1b\][1-9]\d*;[^\x07\x1b]*(?:\x07|\x1b\\))+$/;

/** True when `data` consists only of automatic terminal replies (never keys a person types). */
export function isTerminalReply(data: string): boolean {
  return REPLY.test(data);
}
