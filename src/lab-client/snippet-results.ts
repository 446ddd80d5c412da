/**
 * What the reader sees on the snippet itself: [data-lab-status] text and
 * data-lab-state on the [data-lab-snippet] wrapper, plus the lesson's
 * [data-lab-progress] counter ("n/m 실행").
 *
 * States: queued (waiting for the previous snippet), running, ok (done as
 * the lesson intends: exit 0, a failure it asked for, a long runner stopped
 * with Ctrl+C; `data-lab-outcome` says which), fail (not what the lesson
 * expects; the status says what it expected), error (could not run: lab
 * unreachable, …), sent (ran, but the shell reported no exit code).
 */
import { ko } from './messages.ko.ts';
import type { Outcome } from './outcome.ts';
import { countDone, pageProgressIds, readProgress, recordPass } from './progress.ts';

export type SnippetState = 'queued' | 'running' | 'ok' | 'fail' | 'error' | 'sent';

function statusOf(snippet: HTMLElement): HTMLElement | null {
  return snippet.querySelector<HTMLElement>('[data-lab-status]');
}

export function showSnippetState(snippet: HTMLElement, state: SnippetState, detail?: { exit?: number; reason?: string }): void {
  snippet.dataset.labState = state;
  delete snippet.dataset.labOutcome;
  const status = statusOf(snippet);
  if (!status) return;
  status.removeAttribute('aria-label');
  switch (state) {
    case 'queued':
      status.textContent = ko.snippet.queued;
      break;
    case 'running':
      status.textContent = ko.snippet.running;
      break;
    case 'ok':
      status.textContent = ko.snippet.ok;
      status.setAttribute('aria-label', ko.snippet.okLabel);
      break;
    case 'fail':
      status.textContent = ko.snippet.fail(detail?.exit ?? 1);
      break;
    case 'sent':
      status.textContent = ko.snippet.sent;
      break;
    case 'error':
      status.textContent = detail?.reason ?? ko.snippet.unreachable;
      break;
  }
}

/** Shows a finished run's judged outcome (outcome.ts) on its snippet. */
export function showOutcome(snippet: HTMLElement, outcome: Outcome): void {
  switch (outcome.kind) {
    case 'pass':
      showSnippetState(snippet, 'ok');
      break;
    case 'no-exit':
      showSnippetState(snippet, 'sent');
      break;
    case 'expected-failure':
      showSnippetState(snippet, 'ok');
      setStatusText(snippet, ko.snippet.expectedFailure(outcome.exit));
      break;
    case 'stopped':
      showSnippetState(snippet, 'ok');
      setStatusText(snippet, outcome.byPage ? ko.snippet.stoppedByPage : ko.snippet.stoppedByReader);
      break;
    case 'unexpected':
      showSnippetState(snippet, 'fail');
      setStatusText(snippet, ko.snippet.unexpected(outcome.exit, outcome.expected));
      break;
  }
  snippet.dataset.labOutcome = outcome.kind;
}

function setStatusText(snippet: HTMLElement, text: string): void {
  const status = statusOf(snippet);
  if (!status) return;
  status.removeAttribute('aria-label');
  status.textContent = text;
}

function localStore(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** Records a passed snippet (or `challenge:<id>`) for the lesson and refreshes the counter. */
export function recordSnippetPass(lesson: string, snippetId: string): void {
  const store = localStore();
  if (store) recordPass(store, lesson, snippetId);
  updateProgress(lesson);
  // The page script (src/scripts/run-buttons.ts) re-renders its own progress marks on this event.
  window.dispatchEvent(new Event('lab:progress'));
}

/** Rewrites every [data-lab-progress] on the page from localStorage. */
export function updateProgress(lesson: string, root: ParentNode = document): void {
  const pageIds = pageProgressIds(root);
  const store = localStore();
  const done = store ? countDone(readProgress(store, lesson), pageIds) : 0;
  for (const el of root.querySelectorAll<HTMLElement>('[data-lab-progress]')) {
    el.textContent = ko.progress(done, pageIds.length);
  }
}
