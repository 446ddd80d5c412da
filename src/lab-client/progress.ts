/**
 * Per-lesson progress: localStorage `lab-progress:<lesson>` holds a JSON
 * array of the ids of the snippets done as the lesson intends (exit 0, a
 * failure it asked for, a long runner stopped with Ctrl+C: outcome.ts).
 * localStorage, so it survives reloads and shows on every page (sidebar,
 * start page). Pure functions over a Storage-like object so they run in node
 * tests as well; the lab client writes, the page script
 * (src/scripts/run-buttons.ts) reads through these same functions.
 */
export const progressKey = (lesson: string) => `lab-progress:${lesson}`;

/**
 * A passed 도전 과제 in the same list as the snippets: `challenge:<id>` (never
 * a snippet id, which is 12 hex digits). The lesson's n/m counts its steps
 * and its challenges; a challenge's solution snippet is not counted itself.
 */
export const challengeKey = (id: string) => `challenge:${id}`;

/**
 * The ids a page counts in n/m: its lesson steps (`[data-lab-snippet]`
 * without `data-lab-solution`) and its challenges (`[data-lab-challenge]`),
 * once each.
 */
export function pageProgressIds(root: ParentNode): string[] {
  const steps = [...root.querySelectorAll<HTMLElement>('[data-lab-snippet]:not([data-lab-solution])')].map((el) => el.dataset.labSnippet ?? '');
  const challenges = [...root.querySelectorAll<HTMLElement>('[data-lab-challenge]')].map((el) => challengeKey(el.dataset.labChallenge ?? ''));
  return [...new Set([...steps, ...challenges])].filter((id) => id !== '' && id !== challengeKey(''));
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function readProgress(store: KeyValueStore, lesson: string): string[] {
  try {
    const raw = JSON.parse(store.getItem(progressKey(lesson)) ?? '[]');
    return Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return []; // corrupt entry: start over rather than break the page
  }
}

/** Adds `id` to the lesson's passed snippets; returns the new list. */
export function recordPass(store: KeyValueStore, lesson: string, id: string): string[] {
  const ids = readProgress(store, lesson);
  if (!ids.includes(id)) ids.push(id);
  try {
    store.setItem(progressKey(lesson), JSON.stringify(ids));
  } catch {
    // storage full or disabled (private mode): progress is a nicety
  }
  return ids;
}

/** n of "n/m 실행": passed ids that are still on the page (a changed snippet has a new id). */
export function countDone(passed: readonly string[], pageIds: readonly string[]): number {
  const set = new Set(passed);
  return new Set(pageIds.filter((id) => set.has(id))).size;
}
