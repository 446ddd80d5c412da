/**
 * What a class member's lesson page does beyond an anonymous reader's
 * (loaded with the terminal, src/lab-client/index.ts, so nothing of it
 * loads before the first 실행):
 *
 * - asks once whether this reader has joined a class (GET JOIN_API.me; the
 *   learner cookie is HttpOnly, so only the server can tell);
 * - after each snippet outcome, reports it (POST LAB_PROGRESS_PATH) for the
 *   instructor's table: fire-and-forget, never awaited by the terminal, and
 *   only for members (anonymous readers send nothing);
 * - sends a 도움 요청 with its optional line (POST LAB_HELP_PATH).
 *
 * The outcome → result mapping is the one table below: ✓ and a stopped long
 * runner are `ok`, a failure the lesson asked for is `expected-fail`, any
 * other exit is `fail`; a run with no exit code, or one that never ran,
 * says nothing about the learner and is not reported.
 */
import type { SnippetResult } from '../../lab-server/src/classroom/types.ts';
import { JOIN_API, JoinResponse, LAB_HELP_PATH, LAB_PROGRESS_PATH, LAB_SESSION_PATH, type ProgressRequest } from '../../lab-server/src/protocol.ts';
import type { Outcome } from '../lab-client/outcome.ts';
import { call, type ApiResult } from './api.ts';

const RESULT: Record<Outcome['kind'], SnippetResult | null> = {
  pass: 'ok',
  stopped: 'ok',
  'expected-failure': 'expected-fail',
  unexpected: 'fail',
  'no-exit': null,
};

/** What the instructor's table records for an outcome, or null when it is not reported. */
export const progressResult = (outcome: Outcome): SnippetResult | null => RESULT[outcome.kind];

/** A class-mode URL next to the lab's session endpoint (same origin and prefix, PUBLIC_LAB_URL included). */
export function besideSession(sessionUrl: string, path: string): string {
  const url = new URL(sessionUrl);
  url.pathname = url.pathname.slice(0, url.pathname.length - LAB_SESSION_PATH.length) + path;
  return url.toString();
}

export class ClassMembership {
  /** The class this reader joined, once GET me answered 200; null otherwise. */
  member: JoinResponse | null = null;
  readonly checked: Promise<JoinResponse | null>;
  private readonly sessionUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(sessionUrl: string, fetchImpl: typeof fetch = fetch.bind(globalThis)) {
    this.sessionUrl = sessionUrl;
    this.fetchImpl = fetchImpl;
    this.checked = call(besideSession(sessionUrl, JOIN_API.me), { schema: JoinResponse, fetchImpl }).then(
      (r) => (this.member = r.ok ? r.data : null),
    );
  }

  /** Reports a snippet's outcome for the instructor (members only; errors are dropped: progress is a courtesy, not a step). */
  report(lesson: string, snippet: string, result: SnippetResult): void {
    if (!this.member) return;
    const body: ProgressRequest = { lesson, snippet, result };
    void call(besideSession(this.sessionUrl, LAB_PROGRESS_PATH), { body, fetchImpl: this.fetchImpl });
  }

  help(text: string): Promise<ApiResult<undefined>> {
    return call(besideSession(this.sessionUrl, LAB_HELP_PATH), { body: { text: text.trim() }, fetchImpl: this.fetchImpl });
  }
}
