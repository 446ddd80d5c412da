/**
 * The only script of ours a page loads before the first 실행 click
 * (included on every page by src/components/PageTitle.astro). Kept tiny on
 * purpose: reading a lesson needs no JavaScript beyond Starlight's own, and
 * the terminal (xterm, WebSocket client: src/lab-client) is fetched only when
 * a reader presses 실행, through the dynamic import below.
 *
 * - One delegated click listener for every `button[data-lab-run]`: calls
 *   runSnippet() from src/lab-client/index.ts with the block's code, id, the
 *   lesson slug and the `[data-lab-snippet]` wrapper.
 * - Fills `[data-lab-progress]` with "n/m 실행": m = runnable snippets on the
 *   page, n = those whose id is in localStorage `lab-progress:<lesson>` (a
 *   JSON array of snippet ids that finished with exit 0; the lab client
 *   writes it). Re-read after each run, on the `storage` event (other tabs)
 *   and on the `lab:progress` event the client dispatches on window.
 * - Reopens the terminal dock on load when the previous page of this tab had
 *   it open (sessionStorage, read by the dependency-free dock-state module),
 *   so moving between lessons keeps the reader's terminal.
 */
import { shouldRestoreDock } from '../lab-client/dock-state.ts';

const PROGRESS_KEY_PREFIX = 'lab-progress:';

interface RunRequestLike {
  code: string;
  snippetId: string;
  lesson: string;
  snippet: HTMLElement;
}

function currentLesson(): string {
  const marked = document.querySelector<HTMLElement>('[data-lab-lesson]')?.dataset.labLesson;
  return marked || location.pathname.replace(/^\/|\/$/g, '') || 'index';
}

/** Ids completed with exit 0, as stored by the lab client; bad data counts as none. */
function readProgress(lesson: string, storage: Pick<Storage, 'getItem'> = localStorage): Set<string> {
  try {
    const value: unknown = JSON.parse(storage.getItem(PROGRESS_KEY_PREFIX + lesson) ?? '[]');
    return new Set(Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  } catch {
    return new Set();
  }
}

function renderProgress(): void {
  const snippets = [...document.querySelectorAll<HTMLElement>('[data-lab-snippet]')];
  const ids = new Set(snippets.map((s) => s.dataset.labSnippet ?? ''));
  ids.delete('');
  let done = new Set<string>();
  try {
    done = readProgress(currentLesson());
  } catch {
    // localStorage can be unavailable (privacy modes): show 0 done.
  }
  const count = [...ids].filter((id) => done.has(id)).length;
  for (const element of document.querySelectorAll<HTMLElement>('[data-lab-progress]')) {
    element.textContent = `${count}/${ids.size} 실행`;
    element.hidden = ids.size === 0;
  }
  for (const snippet of snippets) {
    snippet.toggleAttribute('data-lab-done', done.has(snippet.dataset.labSnippet ?? ''));
  }
}

/**
 * One shared load of the terminal code. Several dynamic imports of the same
 * module may resolve in any order, so clicks made while it loads would run
 * out of order; chaining them on one promise keeps click order. A failed
 * load is forgotten so the next click tries again.
 */
let labClient: Promise<typeof import('../lab-client/index.ts')> | undefined;
function loadLabClient(): Promise<typeof import('../lab-client/index.ts')> {
  labClient ??= import('../lab-client/index.ts').catch((error: unknown) => {
    labClient = undefined;
    throw error;
  });
  return labClient;
}

function onClick(event: MouseEvent): void {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const button = target.closest<HTMLButtonElement>('button[data-lab-run]');
  const snippet = button?.closest<HTMLElement>('[data-lab-snippet]');
  if (!button || !snippet) return;
  const status = snippet.querySelector<HTMLElement>('[data-lab-status]');
  if (status) status.textContent = '실습 터미널을 여는 중…';
  const request: RunRequestLike = {
    code: button.dataset.code ?? '',
    snippetId: snippet.dataset.labSnippet ?? '',
    lesson: currentLesson(),
    snippet,
  };
  loadLabClient()
    .then((client) => client.runSnippet(request))
    .catch((error: unknown) => {
      console.error(error);
      if (status) status.textContent = '실습 터미널을 불러오지 못했습니다. 잠시 뒤 다시 시도하세요.';
    })
    .finally(renderProgress);
}

document.addEventListener('click', onClick);
window.addEventListener('storage', (event) => {
  if (event.key === null || event.key.startsWith(PROGRESS_KEY_PREFIX)) renderProgress();
});
window.addEventListener('lab:progress', renderProgress);
renderProgress();

if (shouldRestoreDock()) {
  loadLabClient()
    .then((client) => client.restoreDock())
    .catch((error: unknown) => console.error(error));
}
