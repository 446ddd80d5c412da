/**
 * 도전 과제 확인 (src/components/Challenge.astro): asks the lab server to
 * run the challenge's check in the reader's own sandbox (POST
 * LAB_CHECK_PATH with the id only; the script is the server's, never
 * visible to or editable by the reader) and shows the verdict on the
 * challenge:
 *
 *   data-lab-check-state   checking | passed | failed | error
 *   [data-lab-check-status]   short status (aria-live): 확인 중… / ✓ 통과 / ✗ …
 *   [data-lab-check-message]  the check's own Korean lines, or what to do about
 *                             an HTTP error; always set with textContent (escaped)
 *
 * A pass is recorded as `challenge:<id>` in the lesson's progress
 * (progress.ts), so it counts in n/m, the sidebar and the start page.
 * The session part (open the dock, make sure a session and a ready sandbox
 * exist) is PageLab.check in index.ts, the same path as 실행.
 */
import { CheckResponse } from '../../lab-server/src/protocol.ts';
import { refusalText, requestJson, type RefusalTexts } from './lab-fetch.ts';
import { ko } from './messages.ko.ts';

export type CheckResult = { kind: 'passed'; message: string } | { kind: 'failed'; message: string } | { kind: 'error'; message: string };

/** POSTs the check request and turns any answer (or none) into what the reader is shown. */
export async function requestCheck(url: string, challenge: string, fetchImpl: typeof fetch): Promise<CheckResult> {
  const answer = await requestJson(url, { json: { challenge } }, fetchImpl);
  if (!answer) return { kind: 'error', message: ko.challenge.unreachable };
  if (!answer.ok) return { kind: 'error', message: httpErrorText(answer.status, answer.code) };
  const parsed = CheckResponse.safeParse(answer.body);
  if (!parsed.success) return { kind: 'error', message: ko.challenge.failedRequest(answer.status) };
  const { passed, message, exitCode } = parsed.data;
  if (passed) return { kind: 'passed', message: message.trim() };
  if (exitCode === null) return { kind: 'failed', message: [message.trim(), ko.challenge.timedOut].filter(Boolean).join('\n') };
  return { kind: 'failed', message: message.trim() || ko.challenge.noMessage };
}

/** Korean text per refusal code (protocol.ts ErrorCode) the check endpoint answers with; the status decides when the code is unknown. */
const REFUSALS: RefusalTexts = {
  byCode: {
    'unknown-challenge': ko.challenge.unknown,
    'sandbox-not-ready': ko.challenge.notReady,
    'check-running': ko.challenge.busy,
    'no-session': ko.challenge.noSession,
    'session-expired': ko.challenge.noSession,
    'rate-limited': ko.error.rateLimited,
    'forbidden-origin': ko.error.forbiddenOrigin,
  },
  byStatus: { 401: ko.challenge.noSession, 404: ko.challenge.unknown, 409: ko.challenge.notReady, 429: ko.challenge.busy },
  fallback: ko.challenge.failedRequest,
};

/** The Korean text for a refused check (protocol.ts ErrorCode; status when the code is unknown). */
export function httpErrorText(status: number, code: string | null): string {
  return refusalText(status, code, REFUSALS);
}

export type CheckState = 'checking' | 'passed' | 'failed' | 'error';

/** Shows a state (and the check's message) on a [data-lab-challenge] element. */
export function showCheck(challenge: HTMLElement, state: CheckState, message = '', statusText?: string): void {
  challenge.dataset.labCheckState = state;
  const status = challenge.querySelector<HTMLElement>('[data-lab-check-status]');
  const detail = challenge.querySelector<HTMLElement>('[data-lab-check-message]');
  const button = challenge.querySelector<HTMLButtonElement>('button[data-lab-check]');
  if (button) button.disabled = state === 'checking';
  if (status) {
    status.removeAttribute('aria-label');
    status.textContent =
      statusText ??
      { checking: ko.challenge.checking, passed: ko.challenge.passed, failed: ko.challenge.failed, error: ko.challenge.notChecked }[state];
    if (state === 'passed') status.setAttribute('aria-label', ko.challenge.passedLabel);
  }
  if (detail) {
    detail.textContent = message; // never HTML: the check's output is text
    detail.hidden = message === '';
  }
}
