/**
 * The one client entry point the 실행 buttons call (via dynamic import, so
 * nothing here loads before the first click).
 */
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

export async function runSnippet(request: RunRequest): Promise<void> {
  const status = request.snippet.querySelector<HTMLElement>('[data-lab-status]');
  if (status) status.textContent = '실습 환경(랩)이 아직 연결되지 않았습니다.';
}
