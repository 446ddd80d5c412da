/**
 * The instructor console (/instructor/, src/pages/instructor/index.astro).
 *
 * - Login: the token goes in a POST body only (CLASS_API.login); the server
 *   answers with the HttpOnly admin cookie. Any 401 `not-logged-in` later
 *   brings the login form back.
 * - Classes: the list, the 새 수업 form (view.ts classRequest), and one open
 *   class at a time, its address kept in the URL hash (#class=<id>) so a
 *   reload reopens it.
 * - The open class is driven by its live feed (EventSource on
 *   CLASS_API.classes/:id/events; a snapshot on every change and every 2 s).
 *   The table is updated in place, row per learner and cell per column, so
 *   a focused button keeps its focus across snapshots and screen readers are
 *   not re-read the whole table; only new help requests are announced (with
 *   a short tone and a flashing badge).
 * - Everything a learner typed (names, help lines) is set with textContent.
 */
import {
  CLASS_API,
  CLASS_EVENT_SNAPSHOT,
  ClassList,
  ClassSnapshot,
  ClassView,
  type ClassView as ClassViewType,
  type ClassSnapshot as ClassSnapshotType,
} from '../../lab-server/src/protocol.ts';
import { call, type ApiResult } from './api.ts';
import { classKo } from './messages.ko.ts';
import type { Mirror } from './mirror.ts';
import { arrivedHelp, classRequest, formatTime, joinLink, learnerRows, openHelp, type LearnerRow } from './view.ts';

const $ = <T extends HTMLElement = HTMLElement>(selector: string, root: ParentNode = document) => root.querySelector<T>(selector)!;
const t = classKo.console;
const EXTEND_MINUTES = 10;

const status = $('[data-console-status]');
const loginSection = $('[data-login]');
const app = $('[data-app]');
const classSection = $('[data-class]');
const titles = new Map(
  [...document.querySelectorAll<HTMLInputElement>('[data-new-form] input[name="lessons"]')].map((i) => [i.value, i.dataset.title ?? i.value]),
);

function say(text: string): void {
  status.textContent = text;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A failed call: back to the login form when the cookie is gone, else its Korean text in the status line. */
function failed(result: ApiResult<unknown> & { ok: false }): void {
  if (result.code === 'not-logged-in') showLogin();
  say(result.message);
}

// ---------------------------------------------------------------------------
// Login

function showLogin(): void {
  closeClass();
  app.hidden = true;
  loginSection.hidden = false;
  $<HTMLInputElement>('#admin-token').focus();
}

$<HTMLFormElement>('[data-login-form]').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('#admin-token');
  const message = $('[data-login-message]');
  const button = $<HTMLButtonElement>('button[type="submit"]', event.currentTarget as HTMLFormElement);
  if (input.value.trim() === '') {
    message.textContent = t.tokenEmpty;
    input.setAttribute('aria-invalid', 'true');
    return input.focus();
  }
  button.disabled = true;
  message.textContent = t.loginBusy;
  const result = await call(CLASS_API.login, { body: { token: input.value.trim() } });
  button.disabled = false;
  input.value = '';
  if (!result.ok) {
    message.textContent = result.message;
    input.setAttribute('aria-invalid', 'true');
    return input.focus();
  }
  message.textContent = '';
  input.removeAttribute('aria-invalid');
  await showApp();
});

$('[data-logout]').addEventListener('click', async () => {
  await call(CLASS_API.logout, { body: {} });
  showLogin();
  say(t.loggedOut);
});

// ---------------------------------------------------------------------------
// Classes

let classes: ClassViewType[] = [];

async function showApp(preloaded?: ClassViewType[]): Promise<void> {
  if (preloaded) {
    classes = preloaded;
    renderClassList();
  } else if (!(await loadClasses())) return;
  loginSection.hidden = true;
  app.hidden = false;
  const wanted = /^#class=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  if (wanted && classes.some((c) => c.id === wanted)) openClass(wanted);
  else $('#classes-title').focus();
}

async function loadClasses(): Promise<boolean> {
  const result = await call(CLASS_API.classes, { schema: ClassList });
  if (!result.ok) {
    failed(result);
    return false;
  }
  classes = result.data.classes;
  renderClassList();
  return true;
}

function renderClassList(): void {
  const list = $('[data-class-list]');
  list.replaceChildren(
    ...classes.map((c) => {
      const button = h('button', { type: 'button', 'data-open-class': c.id, 'aria-current': String(c.id === openId) });
      button.append(`${c.name} (${c.code})`);
      if (c.endedAt !== null) button.append(` · ${t.ended}`);
      button.addEventListener('click', () => openClass(c.id));
      const li = h('li');
      li.append(button);
      return li;
    }),
  );
  const none = $('[data-no-classes]');
  none.hidden = classes.length > 0;
  none.textContent = t.noClasses;
}

const newForm = $<HTMLFormElement>('[data-new-form]');
newForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const field = (name: string) => newForm.elements.namedItem(name) as HTMLInputElement;
  const message = $('[data-new-message]');
  const form = {
    name: field('name').value,
    seats: field('seats').value,
    startsAt: field('startsAt').value,
    durationMinutes: field('durationMinutes').value,
    lessons: [...newForm.querySelectorAll<HTMLInputElement>('input[name="lessons"]:checked')].map((i) => i.value),
  };
  for (const input of newForm.querySelectorAll('input')) input.removeAttribute('aria-invalid');
  const request = classRequest(form);
  if (!request.ok) {
    message.textContent = request.message;
    field(request.field).setAttribute('aria-invalid', 'true');
    return field(request.field).focus();
  }
  const result = await call(CLASS_API.classes, { body: request.body, schema: ClassView });
  if (!result.ok) {
    message.textContent = result.message;
    if (result.code === 'not-logged-in') showLogin();
    return;
  }
  message.textContent = '';
  field('name').value = '';
  $<HTMLDetailsElement>('[data-new-class]').open = false;
  say(t.created(result.data.name));
  classes = [result.data, ...classes.filter((c) => c.id !== result.data.id)];
  openClass(result.data.id);
});

// ---------------------------------------------------------------------------
// One class, live

let openId: string | null = null;
let feed: EventSource | null = null;
let snapshot: ClassSnapshotType | null = null;
const seenHelp = new Set<string>();
let firstSnapshot = true;
let mirror: Mirror | null = null;

function classUrl(id: string, action = ''): string {
  return `${CLASS_API.classes}/${encodeURIComponent(id)}${action}`;
}

function openClass(id: string): void {
  closeClass();
  openId = id;
  history.replaceState(null, '', `#class=${id}`);
  renderClassList();
  const cls = classes.find((c) => c.id === id);
  if (cls) renderClassHead(cls);
  buildTableHead(cls?.lessons ?? []);
  classSection.hidden = false;
  classSection.focus();
  $<HTMLAnchorElement>('[data-csv]').href = classUrl(id, '/progress.csv');
  connectFeed(id);
}

function closeClass(): void {
  feed?.close();
  feed = null;
  closeMirror();
  openId = null;
  snapshot = null;
  seenHelp.clear();
  firstSnapshot = true;
  rows.clear();
  $('[data-learners-body]').replaceChildren();
  classSection.hidden = true;
}

function connectFeed(id: string): void {
  const live = $('[data-live]');
  const source = new EventSource(classUrl(id, '/events'));
  feed = source;
  source.addEventListener(CLASS_EVENT_SNAPSHOT, (event) => {
    let parsed;
    try {
      parsed = ClassSnapshot.safeParse(JSON.parse((event as MessageEvent<string>).data));
    } catch {
      return;
    }
    if (!parsed.success || parsed.data.class.id !== openId) return;
    live.textContent = `${t.liveOk} · ${t.updatedAt(formatTime(parsed.data.at))}`;
    render(parsed.data);
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; a 401 closes it for good: ask the API why.
    live.textContent = t.liveLost;
    if (source.readyState === EventSource.CLOSED && feed === source) {
      void call(classUrl(id), { schema: ClassSnapshot }).then((r) => {
        if (!r.ok) failed(r);
        else if (feed === source) connectFeed(id);
      });
    }
  });
}

function renderClassHead(cls: ClassViewType): void {
  $('[data-class-name]').textContent = cls.name;
  $('[data-class-meta]').textContent =
    `${t.classMeta(cls.seats, formatTime(cls.startsAt), formatTime(cls.endsAt))}${cls.endedAt === null ? '' : ` · ${t.ended}`}`;
  $('[data-class-code]').textContent = cls.code;
  $<HTMLInputElement>('[data-join-link]').value = joinLink(location.href, cls.joinPath);
  for (const b of classSection.querySelectorAll<HTMLButtonElement>('[data-class-action], [data-message-form] button'))
    b.disabled = cls.endedAt !== null;
}

function render(next: ClassSnapshotType): void {
  const lessonsChanged = snapshot === null || snapshot.class.lessons.join() !== next.class.lessons.join();
  snapshot = next;
  const i = classes.findIndex((c) => c.id === next.class.id);
  if (i >= 0) classes[i] = next.class;
  renderClassHead(next.class);
  if (lessonsChanged) buildTableHead(next.class.lessons);
  const learnerRowsNow = learnerRows(next, titles);
  renderRows(learnerRowsNow);
  $('[data-queue]').textContent = t.queue(next.queue);
  $('[data-learner-count]').textContent = t.learners(next.learners.length, learnerRowsNow.filter((r) => r.connected).length);
  const none = $('[data-no-learners]');
  none.hidden = next.learners.length > 0;
  none.textContent = t.noLearners;
  renderHelp(next);
}

// --- the table

interface RowCells {
  tr: HTMLTableRowElement;
  cells: Map<string, HTMLTableCellElement>;
  lessonCells: HTMLTableCellElement[];
}
const rows = new Map<string, RowCells>();
const FIXED_BEFORE = [
  ['name', '이름'],
  ['connection', '연결'],
  ['state', '샌드박스'],
  ['current', '현재 수업'],
] as const;
const FIXED_AFTER = [
  ['activity', '마지막 활동'],
  ['cpu', 'CPU'],
  ['memory', '메모리'],
  ['actions', '작업'],
] as const;

function buildTableHead(lessons: readonly string[]): void {
  const head = $('[data-learners-head]');
  head.replaceChildren(
    ...[...FIXED_BEFORE.map(([, label]) => label), ...lessons.map((l) => titles.get(l) ?? l), ...FIXED_AFTER.map(([, label]) => label)].map((label) =>
      h('th', { scope: 'col' }, label),
    ),
  );
  rows.clear();
  $('[data-learners-body]').replaceChildren();
}

function setText(cell: HTMLElement, text: string): void {
  if (cell.textContent !== text) cell.textContent = text;
}

function newRow(row: LearnerRow): RowCells {
  const tr = h('tr', { 'data-learner': row.id });
  const cells = new Map<string, HTMLTableCellElement>();
  const add = (key: string) => {
    const td = key === 'name' ? (h('th', { scope: 'row', 'data-col': key }) as HTMLTableCellElement) : h('td', { 'data-col': key });
    cells.set(key, td);
    tr.append(td);
    return td;
  };
  for (const [key] of FIXED_BEFORE) add(key);
  const lessonCells = row.lessons.map(() => {
    const td = h('td', { 'data-col': 'lesson' });
    tr.append(td);
    return td;
  });
  for (const [key] of FIXED_AFTER) add(key);
  const actions = h('div', { class: 'console__actions' });
  const button = (action: string, label: string, title: string) => {
    const b = h('button', { type: 'button', 'data-learner-action': action, 'data-label': title, 'aria-label': `${row.name}: ${title}` }, label);
    b.addEventListener('click', () => void learnerAction(row.id, action));
    actions.append(b);
  };
  button('mirror', '보기', '터미널 미러 보기');
  button('reset', '초기화', '샌드박스 새로 만들기');
  button('extend', '+10분', '시간 10분 늘리기');
  button('end', '끝내기', '세션 끝내기');
  cells.get('actions')!.append(actions);
  return { tr, cells, lessonCells };
}

function renderRows(list: LearnerRow[]): void {
  const body = $('[data-learners-body]');
  const keep = new Set(list.map((r) => r.id));
  for (const [id, r] of rows) {
    if (!keep.has(id)) {
      r.tr.remove();
      rows.delete(id);
    }
  }
  list.forEach((row, index) => {
    let r = rows.get(row.id);
    if (!r) {
      r = newRow(row);
      rows.set(row.id, r);
    }
    if (body.children[index] !== r.tr) body.insertBefore(r.tr, body.children[index] ?? null);
    const c = r.cells;
    setText(c.get('name')!, row.name);
    setText(c.get('connection')!, row.connection);
    c.get('connection')!.toggleAttribute('data-on', row.connected);
    setText(c.get('state')!, row.state);
    setText(c.get('current')!, row.currentLesson);
    row.lessons.forEach((cell, i) => {
      const td = r.lessonCells[i];
      if (!td) return;
      setText(td, cell.text);
      td.setAttribute('aria-label', cell.label);
      td.toggleAttribute('data-failed', cell.failed);
    });
    setText(c.get('activity')!, row.lastActivity);
    setText(c.get('cpu')!, row.cpu);
    setText(c.get('memory')!, row.memory);
    r.tr.toggleAttribute('data-help', row.help > 0);
    for (const b of r.tr.querySelectorAll<HTMLButtonElement>('button[data-learner-action]'))
      b.setAttribute('aria-label', `${row.name}: ${b.dataset.label}`);
  });
}

// --- help requests

function renderHelp(next: ClassSnapshotType): void {
  const items = openHelp(next);
  const fresh = arrivedHelp(items, seenHelp, firstSnapshot);
  firstSnapshot = false;
  const list = $('[data-help-list]');
  list.replaceChildren(
    ...items.map((item) => {
      const li = h('li', { 'data-help-id': item.id });
      li.append(h('strong', {}, item.name), h('span', {}, item.text), h('span', { class: 'console__hint' }, item.ago));
      const clear = h('button', { type: 'button', 'data-help-clear': item.id, 'aria-label': `${item.name}: 해결로 표시` }, '해결');
      clear.addEventListener('click', () => void clearHelp(item.id));
      li.append(clear);
      return li;
    }),
  );
  const badge = $('[data-help-badge]');
  badge.hidden = items.length === 0;
  badge.textContent = String(items.length);
  badge.setAttribute('aria-label', t.helpCount(items.length));
  $('[data-help-none]').textContent = items.length === 0 ? t.helpNone : '';
  if (fresh.length > 0) {
    say(fresh.map((f) => t.helpArrived(f.name)).join(', '));
    const section = $('.console__help');
    section.removeAttribute('data-alert');
    void section.offsetWidth; // restart the flash
    section.setAttribute('data-alert', '');
    chime();
  }
}

let audio: AudioContext | null = null;
/** A short two-tone chime (no sound file): WebAudio, after the login click has allowed audio. */
function chime(): void {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.15);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.15 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.15 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.15);
      osc.stop(now + i * 0.15 + 0.3);
    }
  } catch {
    // no audio: the badge and the announcement remain
  }
}

async function clearHelp(id: string): Promise<void> {
  const result = await call(`${CLASS_API.help}/${encodeURIComponent(id)}/clear`, { body: {} });
  if (!result.ok) return failed(result);
  say(t.done.clear);
  $(`[data-help-list] [data-help-id="${CSS.escape(id)}"]`)?.remove();
}

// --- actions

async function learnerAction(id: string, action: string): Promise<void> {
  const learner = snapshot?.learners.find((l) => l.id === id);
  const name = learner?.name ?? '';
  if (action === 'mirror') return void openMirrorFor(id, name);
  if (action === 'reset' && !window.confirm(t.confirmReset(name))) return;
  if (action === 'end' && !window.confirm(t.confirmEndLearner(name))) return;
  const url = `${CLASS_API.learners}/${encodeURIComponent(id)}/${action}`;
  const result = await call(url, { body: action === 'extend' ? { minutes: EXTEND_MINUTES } : {} });
  if (!result.ok) return failed(result);
  say(action === 'reset' ? t.done.reset(name) : action === 'end' ? t.done.endLearner(name) : t.done.extendLearner(name));
}

for (const button of classSection.querySelectorAll<HTMLButtonElement>('[data-class-action]')) {
  button.addEventListener('click', async () => {
    if (!openId) return;
    const action = button.dataset.classAction as 'start' | 'end' | 'extend';
    const cls = classes.find((c) => c.id === openId);
    if (action === 'end' && !window.confirm(t.confirmEndClass(cls?.name ?? ''))) return;
    const result = await call(classUrl(openId, `/${action}`), { body: action === 'extend' ? { minutes: EXTEND_MINUTES } : {} });
    if (!result.ok) return failed(result);
    say(t.done[action]);
    if (action === 'end') await loadClasses();
  });
}

$<HTMLFormElement>('[data-message-form]').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('#class-message');
  if (!openId || input.value.trim() === '') return input.focus();
  const result = await call(classUrl(openId, '/message'), { body: { text: input.value.trim() } });
  if (!result.ok) return failed(result);
  input.value = '';
  say(t.done.message);
});

$('[data-copy]').addEventListener('click', async () => {
  const input = $<HTMLInputElement>('[data-join-link]');
  try {
    await navigator.clipboard.writeText(input.value);
    say(t.copied);
  } catch {
    input.select();
    say(t.copyFailed);
  }
});

// --- mirror

async function openMirrorFor(id: string, name: string): Promise<void> {
  closeMirror();
  const section = $('[data-mirror]');
  const mirrorStatus = $('[data-mirror-status]');
  $('[data-mirror-title]').textContent = t.mirrorTitle(name);
  section.hidden = false;
  section.scrollIntoView({ block: 'nearest' });
  const { openMirror } = await import('./mirror.ts');
  mirror = await openMirror($('[data-mirror-terminal]'), id, (text) => (mirrorStatus.textContent = text));
  $<HTMLButtonElement>('[data-mirror-close]').focus();
}

function closeMirror(): void {
  mirror?.close();
  mirror = null;
  $('[data-mirror]').hidden = true;
}
$('[data-mirror-close]').addEventListener('click', closeMirror);

// ---------------------------------------------------------------------------
// Start: already logged in (the cookie is HttpOnly: only the API can tell)

void (async () => {
  const result = await call(CLASS_API.classes, { schema: ClassList });
  if (result.ok) await showApp(result.data.classes);
  else if (result.code === 'not-logged-in') showLogin();
  else failed(result);
})();
