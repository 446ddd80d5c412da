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
 * - One for every `button[data-lab-check]` (확인 of a 도전 과제,
 *   src/components/Challenge.astro): checkChallenge() from the same client;
 *   and shows a challenge's hints one at a time.
 * - Fills `[data-lab-progress]` with "n/m 실행": m = the page's lesson steps
 *   (runnable snippets that are not a challenge's solution) and challenges,
 *   n = those whose id (`challenge:<id>` for a challenge) is in localStorage
 *   `lab-progress:<lesson>` (the lab client writes it,
 *   src/lab-client/progress.ts is its one reader and writer). Also every
 *   lesson's n/m in the sidebar and in the start page's list, from the ids
 *   each page carries (`data-lab-lessons`, src/components/PageTitle.astro).
 *   Re-read after each run, on the `storage` event (other tabs) and on the
 *   `lab:progress` event the client dispatches on window.
 * - Prepares the terminal before the click (prefetchLab: the terminal code,
 *   its styles and font, and the xterm instance, but no session and no
 *   socket): once the page has settled (after `load`, in the first idle
 *   period) on pages with 실행/확인 buttons, unless the reader saves data or
 *   is on a 2G-class link (src/lab-client/preload.ts), and at the latest when
 *   a reader shows intent: the pointer over a 실행 or 확인 button, or a
 *   finger on it (touchstart comes ~100 ms before the click). Measured
 *   (docs/benchmarks.md): loading and starting the client was most of a
 *   first click's wait once the server has the shell ready. The budget
 *   before the first 실행 (bench/js-budget.ts) counts what the page loads
 *   before it settles; keyboard focus does not count as intent (Tab walks
 *   through every button).
 * - Reopens the terminal dock on load when the previous page of this tab had
 *   it open (sessionStorage, read by the dependency-free dock-state module),
 *   so moving between lessons keeps the reader's terminal.
 */
import { shouldRestoreDock } from '../lab-client/dock-state.ts';
import { idlePreloadAllowed, whenSettled, type NetworkHints } from '../lab-client/preload.ts';
import { challengeKey, countDone, pageProgressIds, progressKey, readProgress } from '../lab-client/progress.ts';

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

function storage(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null; // unavailable (privacy modes): nothing is done
  }
}

const passed = (lesson: string): string[] => {
  const store = storage();
  return store ? readProgress(store, lesson) : [];
};

/** Runnable snippet ids of every lesson, as the build wrote them. */
function lessonIds(): Record<string, string[]> {
  try {
    const raw = document.querySelector<HTMLElement>('[data-lab-lessons]')?.dataset.labLessons;
    return raw ? (JSON.parse(raw) as Record<string, string[]>) : {};
  } catch {
    return {};
  }
}

function renderProgress(): void {
  const snippets = [...document.querySelectorAll<HTMLElement>('[data-lab-snippet]')];
  const ids = pageProgressIds(document);
  const done = new Set(passed(currentLesson()));
  const text = (n: number, m: number) => `${n}/${m} 실행`;
  for (const element of document.querySelectorAll<HTMLElement>('[data-lab-progress]')) {
    element.textContent = text(countDone([...done], ids), ids.length);
    element.hidden = ids.length === 0;
  }
  for (const snippet of snippets) {
    snippet.toggleAttribute('data-lab-done', done.has(snippet.dataset.labSnippet ?? ''));
  }
  for (const challenge of document.querySelectorAll<HTMLElement>('[data-lab-challenge]')) {
    challenge.toggleAttribute('data-lab-done', done.has(challengeKey(challenge.dataset.labChallenge ?? '')));
  }
  // Every lesson: the sidebar's links and the start page's list.
  for (const [lesson, all] of Object.entries(lessonIds())) {
    const n = countDone(passed(lesson), all);
    const label = `${text(n, all.length)}${n === all.length ? ' (완료)' : ''}`;
    for (const el of document.querySelectorAll<HTMLElement>(`[data-lab-lesson-progress="${lesson}"]`)) el.textContent = label;
    const link = document.querySelector<HTMLAnchorElement>(`#starlight__sidebar a[href="/${lesson}/"], nav.sidebar a[href="/${lesson}/"]`);
    if (!link) continue;
    let badge = link.querySelector<HTMLElement>('.lab-sidebar-progress');
    if (!badge) {
      badge = document.createElement('span');
      badge.className = 'lab-sidebar-progress';
      link.append(badge);
    }
    badge.textContent = `${n}/${all.length}`;
    badge.setAttribute('aria-label', `실습 ${label}`);
    badge.toggleAttribute('data-complete', n === all.length);
  }
  for (const el of document.querySelectorAll<HTMLElement>('[data-lab-overview]')) el.hidden = false;
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

/** 확인 of a 도전 과제: the lab client runs the challenge's check (src/lab-client/challenge.ts). */
function onCheck(button: HTMLButtonElement): void {
  const element = button.closest<HTMLElement>('[data-lab-challenge]');
  if (!element || element.dataset.labCheckState === 'checking') return;
  const status = element.querySelector<HTMLElement>('[data-lab-check-status]');
  if (status) status.textContent = '실습 터미널을 여는 중…';
  loadLabClient()
    .then((client) => client.checkChallenge({ challenge: element.dataset.labChallenge ?? '', lesson: currentLesson(), element }))
    .catch((error: unknown) => {
      console.error(error);
      if (status) status.textContent = '실습 터미널을 불러오지 못했습니다. 잠시 뒤 다시 시도하세요.';
    })
    .finally(renderProgress);
}

/** Hints of a challenge appear one at a time: the next once the previous has been opened. */
function renderHints(): void {
  for (const challenge of document.querySelectorAll<HTMLElement>('[data-lab-challenge]')) {
    let open = true;
    for (const hint of challenge.querySelectorAll<HTMLDetailsElement>('details[data-lab-hint]')) {
      hint.hidden = !open;
      open = hint.open;
    }
  }
}

function onClick(event: MouseEvent): void {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const check = target.closest<HTMLButtonElement>('button[data-lab-check]');
  if (check) return onCheck(check);
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

const LAB_BUTTONS = 'button[data-lab-run], button[data-lab-check]';
let prefetched = false;
/**
 * The one way the terminal is made ready before a click (idle time and
 * intent both call it): load and evaluate the client, then let it load its
 * styles and font and create xterm (prepare(): no session, no socket). The
 * click then only waits for what is left.
 */
function prefetchLab(): void {
  if (prefetched) return;
  prefetched = true;
  loadLabClient()
    .then((client) => client.prepare())
    .catch(() => (prefetched = false)); // retried by the next intent or the click, which reports a failure
}
function onIntent(event: Event): void {
  if (!prefetched && event.target instanceof Element && event.target.closest(LAB_BUTTONS)) prefetchLab();
}
document.addEventListener('pointerover', onIntent, { passive: true });
document.addEventListener('touchstart', onIntent, { passive: true });
const network = (navigator as Navigator & { connection?: NetworkHints }).connection;
if (idlePreloadAllowed(document.querySelectorAll(LAB_BUTTONS).length, network)) {
  whenSettled(window, () => {
    performance.mark('lab:idle-preload'); // the budget (tests/site) counts the JavaScript fetched before this
    prefetchLab();
  });
}
window.addEventListener('storage', (event) => {
  if (event.key === null || event.key.startsWith(progressKey(''))) renderProgress();
});
window.addEventListener('lab:progress', renderProgress);
document.addEventListener(
  'toggle',
  (event) => event.target instanceof Element && event.target.matches('details[data-lab-hint]') && renderHints(),
  true,
);
renderProgress();
renderHints();

if (shouldRestoreDock()) {
  loadLabClient()
    .then((client) => client.restoreDock())
    .catch((error: unknown) => console.error(error));
}
