/**
 * When a page starts loading the terminal before the reader's first 실행
 * (issue 12). Dependency-free: src/scripts/run-buttons.ts imports it on every
 * page, so it must stay a few hundred bytes.
 *
 * Measured (docs/benchmarks.md, quiet machine): without a hover, a first
 * click after a page load spent ~330 ms of its 415 ms median loading the
 * terminal code, its styles and font and creating xterm; with the pointer
 * resting on 실행 first, 176 ms. A reader reads before clicking, so the page
 * does that work once it has settled: after the `load` event, in the first
 * idle period (at most IDLE_TIMEOUT_MS later). Only on pages that have a
 * 실행 or 확인 button, and not for a reader who asked to save data or is on
 * a 2G-class link (navigator.connection). No session and no socket are
 * opened: viewing a page never allocates a sandbox.
 */

/** The part of navigator.connection (Network Information API, Chromium only) the rule reads. */
export interface NetworkHints {
  saveData?: boolean;
  effectiveType?: string;
}

/** The idle callback runs at the latest this long after `load`, even on a page that never goes idle. */
export const IDLE_TIMEOUT_MS = 2_000;
/** Without requestIdleCallback (Safari): this long after `load`. */
export const NO_IDLE_CALLBACK_DELAY_MS = 300;

const SLOW_LINKS = new Set(['slow-2g', '2g']);

/** Whether the page may load the terminal at idle: it has `buttons` 실행/확인 buttons and the link is not to be spared. */
export function idlePreloadAllowed(buttons: number, network: NetworkHints | undefined): boolean {
  if (buttons === 0) return false;
  if (network?.saveData === true) return false;
  return !SLOW_LINKS.has(network?.effectiveType ?? '');
}

/** What whenSettled needs of `window` (a fake in the tests). */
export interface SettleHost {
  document: { readyState: DocumentReadyState };
  addEventListener(type: 'load', listener: () => void, options: { once: true }): void;
  requestIdleCallback?(callback: () => void, options: { timeout: number }): unknown;
  setTimeout(callback: () => void, ms: number): unknown;
}

/** Calls `run` once: after the page's `load` event, in the browser's next idle period. */
export function whenSettled(host: SettleHost, run: () => void): void {
  const idle = () => {
    if (host.requestIdleCallback) host.requestIdleCallback(run, { timeout: IDLE_TIMEOUT_MS });
    else host.setTimeout(run, NO_IDLE_CALLBACK_DELAY_MS);
  };
  if (host.document.readyState === 'complete') idle();
  else host.addEventListener('load', idle, { once: true });
}
