/**
 * One cold boot, step by step (bench/sandbox.ts prints the medians): the
 * lab server's own steps (its progress callbacks and the reader's shell),
 * the entrypoint's marks (/var/log/lab/timeline: "<step> <epoch seconds>",
 * lab-entrypoint `mark`) and the inner dockerd's log lines (their
 * time="…" stamps), all on the host's one clock (a container shares the
 * kernel's), as milliseconds after driver.create() was called.
 */

/** The inner dockerd's log lines that name a step of its start (20.10), in the order they happen. */
export const DOCKERD_STEPS: readonly { step: string; message: string }[] = [
  { step: 'dockerd: starting up', message: 'msg="Starting up"' },
  { step: 'dockerd: containerd booted', message: 'containerd successfully booted' },
  { step: 'dockerd: loading containers (network controller)', message: 'msg="Loading containers: start."' },
  { step: 'dockerd: default bridge assigned (iptables)', message: 'Default bridge (docker0) is assigned' },
  { step: 'dockerd: loading containers done', message: 'msg="Loading containers: done."' },
  { step: 'dockerd: API listening', message: 'msg="API listen on' },
];

/** The entrypoint's marks, renamed for the table. */
const ENTRYPOINT_STEPS: Record<string, string> = {
  entrypoint: 'entrypoint: started',
  cgroups: 'entrypoint: cgroups mounted',
  disk: 'entrypoint: disk bound',
  names: 'entrypoint: names written',
  'inner-world': 'entrypoint: inner world published (inner.pid)',
  mirror: 'entrypoint: mirror bridges',
  ready: 'entrypoint: engine answered',
  // Not a mark: the bench adds the file's mtime (`stat -c 'ready-file %.9Y'`), there with every image version.
  'ready-file': 'entrypoint: /run/lab/ready written',
};
export const READY_FILE_STEP = ENTRYPOINT_STEPS['ready-file']!;

/** `<step> <epoch seconds with fraction>` lines -> step -> epoch ms (the first of each; unknown steps kept under their own name). */
export function parseMarks(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z-]+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (!m) continue;
    const step = ENTRYPOINT_STEPS[m[1]!] ?? m[1]!;
    if (!out.has(step)) out.set(step, Number(m[2]) * 1000);
  }
  return out;
}

/** dockerd's logrus lines -> DOCKERD_STEPS step -> epoch ms (first occurrence; lines without a parsable time are skipped). */
export function parseDockerdLog(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const found = DOCKERD_STEPS.find((s) => line.includes(s.message));
    if (!found || out.has(found.step)) continue;
    const time = /time="([^"]+)"/.exec(line)?.[1];
    const ms = time === undefined ? NaN : parseRfc3339(time);
    if (Number.isFinite(ms)) out.set(found.step, ms);
  }
  return out;
}

/** RFC 3339 with up to nanoseconds (Date.parse keeps milliseconds only, and rounds nothing: the sub-ms digits are added back). */
function parseRfc3339(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + frac;
}

/** One boot's steps as ms after `t0`, in time order. */
export function relativeSteps(t0: number, ...sources: Map<string, number>[]): [string, number][] {
  const all: [string, number][] = [];
  for (const source of sources) for (const [step, at] of source) all.push([step, at - t0]);
  return all.sort((a, b) => a[1] - b[1]);
}

/**
 * Medians per step over several boots, ordered by their median; each row
 * also gives the median gap to the previous row (what that step cost) and
 * in how many boots the step was seen.
 */
export function timelineTable(
  boots: readonly (readonly [string, number][])[],
  median: (xs: number[]) => number,
): { step: string; at: number; gap: number; seen: number }[] {
  const by = new Map<string, number[]>();
  for (const boot of boots) for (const [step, at] of boot) by.set(step, [...(by.get(step) ?? []), at]);
  const rows = [...by].map(([step, xs]) => ({ step, at: median(xs), seen: xs.length })).sort((a, b) => a.at - b.at);
  return rows.map((r, i) => ({ ...r, gap: i === 0 ? r.at : r.at - rows[i - 1]!.at }));
}
