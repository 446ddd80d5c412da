/**
 * What the editors add to the seeds, as a reader sees it (issue 10):
 * - one style for every editor's note: a Starlight aside titled "편집자 주",
 *   never an MDX comment a reader cannot see;
 * - each lesson opens with a visible "실습 준비" snippet that clears what
 *   other lessons left, and the start page says why (the course runs in one sandbox);
 * - the start page's table of stand-in images names every image the lessons
 *   can pull, and the sandbox greeting says they are stand-ins; a 예상 출력
 *   of a snippet that names a lesson image says so and points to that table;
 * - the explanations the issue names are visible notes;
 * - editor-written Korean uses one spelling per term (셸, 디렉터리, 브리지,
 *   수명 주기, Ctrl+C), and the sidebar labels agree with the page titles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { listLessons } from '../../src/snippets/extract.ts';
import { ROOT, classes, isElement, mainContent, parseHtml, readPage, requireBuild, textOf, walk, type HNode } from './helpers.ts';

requireBuild();
const lessons = (await listLessons()).filter((l) => l.slug.startsWith('lessons/'));
const index = (await listLessons()).find((l) => l.slug === 'index')!;
const EDITOR = '편집자 주';

const source = (file: string) => readFileSync(file, 'utf8');
/** The MDX body without its frontmatter. */
const body = (file: string) => source(file).replace(/^---\n[\s\S]*?\n---\n/, '');

/** Starlight asides on a built page: [title, text]. */
function asides(route: string): { title: string; text: string; html: HNode }[] {
  const content = mainContent(parseHtml(readPage(route)));
  return [...walk(content)]
    .filter((n) => isElement(n, 'aside') && classes(n).includes('starlight-aside'))
    .map((n) => ({ title: String(n.properties?.ariaLabel ?? ''), text: textOf(n), html: n }));
}
const editorNotes = (route: string) => asides(route).filter((a) => a.title === EDITOR);
const hrefsIn = (node: HNode) => [...walk(node)].filter((n) => isElement(n, 'a')).map((n) => decodeURI(String(n.properties?.href ?? '')));

/** Text of the `:::note[편집자 주]` asides of an MDX source (editor-written prose). */
function editorNoteSources(file: string): string[] {
  const out: string[] = [];
  const re = /^(\s*):::note\[편집자 주\]\n([\s\S]*?)^\1:::$/gm;
  for (const m of source(file).matchAll(re)) out.push(m[2]!);
  return out;
}

test('every editor-marked aside is a note titled exactly "편집자 주" (source and page)', () => {
  for (const file of [index.file, ...lessons.map((l) => l.file)]) {
    const labels = [...source(file).matchAll(/^\s*:::(\w+)(?:\[([^\]]*)\])?/gm)].filter((m) => /편집/.test(m[2] ?? ''));
    for (const m of labels) assert.equal(`${m[1]}[${m[2]}]`, `note[${EDITOR}]`, `${path.basename(file)}: ${m[0].trim()}`);
  }
  for (const lesson of lessons) {
    const all = asides(lesson.slug);
    for (const a of all) if (/편집/.test(a.title)) assert.equal(a.title, EDITOR, lesson.slug);
    assert.ok(editorNotes(lesson.slug).length >= 2, `${lesson.slug}: editor's notes are rendered as asides`);
  }
});

test('no hidden explanations: the only MDX comment of a lesson is its source header', () => {
  for (const lesson of lessons) {
    const comments = [...source(lesson.file).matchAll(/\{\/\*([\s\S]*?)\*\/\}/g)].map((m) => m[1]!.trim());
    assert.equal(comments.length, 1, `${lesson.slug}: ${comments.map((c) => c.slice(0, 60)).join(' | ')}`);
    assert.match(comments[0]!, /^Source: seed/);
  }
  assert.doesNotMatch(source(index.file), /\{\/\*/);
});

test('every lesson opens with a visible 실습 준비 snippet that clears containers, networks and volumes', () => {
  for (const lesson of lessons) {
    const first = lesson.snippets.find((s) => s.runnable)!;
    assert.match(first.metaString, /title="실습 준비/, `${lesson.slug}: first runnable snippet`);
    assert.match(first.code, /docker ps -aq \| xargs -r docker rm -f/);
    assert.match(first.code, /docker network prune -f/);
    assert.match(first.code, /docker volume prune -f/);
    // It comes before any seed text: only the explaining note precedes it.
    const note = editorNotes(lesson.slug)[0]!;
    assert.match(note.text, /실습 준비/);
    assert.match(note.text, /대체 이미지/, `${lesson.slug}: says the recorded output comes from stand-ins`);
    assert.ok(hrefsIn(note.html).includes('/#실습용-대체-이미지'), `${lesson.slug}: links the stand-in table`);
  }
  const page = textOf(mainContent(parseHtml(readPage('index'))));
  assert.match(page, /실습 준비: 수업마다 깨끗하게 시작하기/);
  assert.match(page, /같은 샌드박스/);
  assert.match(page, /두 번 실행/, 'says what to do when a snippet is run twice');
  assert.match(page, /순서와 다르게/, 'says what to do when lessons are taken out of order');
});

/** Every image name a lesson can pull (lab-server/images/lessons/<dir>/images; lab/* is internal). */
function lessonImageTags(): string[] {
  const dir = path.join(ROOT, 'lab-server/images/lessons');
  const tags: string[] = [];
  for (const d of readdirSync(dir)) {
    for (const line of source(path.join(dir, d, 'images')).split('\n')) {
      for (const word of line.replace(/#.*/, '').split(/\s+/)) if (word && !word.includes('=') && !word.startsWith('lab/')) tags.push(word);
    }
  }
  return tags;
}

test('the start page has the stand-in table: every lesson image, what it really is, what differs', () => {
  const content = mainContent(parseHtml(readPage('index')));
  const nodes = [...walk(content)];
  const heading = nodes.findIndex((n) => isElement(n, 'h2') && textOf(n).trim() === '실습용 대체 이미지');
  assert.ok(heading !== -1, 'heading 실습용 대체 이미지');
  const table = nodes.slice(heading).find((n) => isElement(n, 'table'))!;
  const rows = [...walk(table)].filter((n) => isElement(n, 'tr')).map((tr) => [...walk(tr)].filter((c) => isElement(c, 'td', 'th')).map(textOf));
  assert.deepEqual(rows[0], ['수업의 이미지 이름', '실제로 들어 있는 것', '다르게 보이는 점']);
  const named = rows
    .slice(1)
    .map((r) => r[0]!)
    .join(' ');
  for (const tag of lessonImageTags()) {
    const short = tag.replace(/:latest$/, '');
    assert.ok(named.includes(tag) || named.split(/[\s,]+/).includes(short), `stand-in table misses ${tag}`);
  }
  for (const r of rows.slice(1))
    assert.ok(
      r.every((cell) => cell.trim() !== ''),
      `empty cell in ${r[0]}`,
    );
  const text = rows.map((r) => r.join(' | ')).join('\n');
  for (const fact of ['nginx 1.22', 'MariaDB', 'PostgreSQL 15', 'Debian 12', 'BusyBox 1.35', 'bash는 없습니다', 'WordPress 자체가 아니라']) {
    assert.ok(text.includes(fact), `stand-in table says: ${fact}`);
  }
});

/** Each recorded snippet of a built page: its code (the button's data-code) and its 예상 출력. */
function recordedSnippets(route: string): { code: string; details: HNode }[] {
  const out: { code: string; details: HNode }[] = [];
  for (const wrapper of walk(mainContent(parseHtml(readPage(route))))) {
    if (wrapper.properties?.dataLabSnippet === undefined) continue;
    const details = [...walk(wrapper)].find((n) => isElement(n, 'details') && classes(n).includes('lab-recording'));
    const button = [...walk(wrapper)].find((n) => isElement(n, 'button') && n.properties?.dataLabRun !== undefined);
    if (details && button) out.push({ code: String(button.properties?.dataCode ?? ''), details });
  }
  return out;
}
const standInMarker = (details: HNode) => [...walk(details)].find((n) => classes(n).includes('lab-recording__stand-in'));

test('a 예상 출력 recorded with a stand-in image says so and points to the start page table; one that names no image does not', () => {
  const recorded = recordedSnippets('lessons/container-basics');
  const nginx = recorded.find((r) => /^docker run -d --name nginx nginx$/m.test(r.code));
  assert.ok(nginx, 'the recorded nginx snippet of container-basics');
  const marker = standInMarker(nginx.details);
  assert.ok(marker, 'nginx snippet: stand-in marker in its 예상 출력');
  assert.equal(textOf(marker).trim(), '실습용 대체 이미지에서 기록한 출력입니다 (시작 페이지의 표 참고)');
  assert.deepEqual(hrefsIn(marker), ['/#실습용-대체-이미지']);
  const ids = [...walk(mainContent(parseHtml(readPage('index'))))].map((n) => n.properties?.id);
  assert.ok(ids.includes('실습용-대체-이미지'), 'the link target is the start page table heading');

  // The 실습 준비 snippet: docker ps, rm, network/volume prune; no image.
  const plain = recorded.filter((r) => r.code.startsWith('docker ps -aq | xargs -r docker rm -f\n'));
  assert.equal(plain.length, 1, 'the recorded 실습 준비 snippet (docker ps …)');
  for (const r of plain) assert.equal(standInMarker(r.details), undefined, `no stand-in marker on: ${r.code}`);
});

test('the sandbox greeting says the images are stand-ins', () => {
  const motd = source(path.join(ROOT, 'lab-server/images/sandbox/motd'));
  assert.match(motd, /실습용 대체 이미지/);
  assert.match(motd, /MariaDB/);
});

/** The visible note that follows (or explains) the snippet whose code matches `code`. */
function noteNear(slug: string, code: RegExp, what: RegExp): string {
  const lesson = lessons.find((l) => l.slug === slug)!;
  const snippet = lesson.snippets.find((s) => code.test(s.code));
  assert.ok(snippet, `${slug}: snippet ${code}`);
  const notes = editorNotes(slug).map((n) => n.text);
  const hit = notes.find((n) => what.test(n));
  assert.ok(hit, `${slug}: no visible 편집자 주 matching ${what}`);
  return hit;
}

test("the explanations the issue names are visible editor's notes", () => {
  const lc = 'lessons/container-lifecycle';
  const stopNote = noteNear(lc, /docker stop demo/, /docker stop demo/);
  assert.match(stopNote, /10초/);
  assert.match(stopNote, /SIGTERM/);
  assert.ok(
    hrefsIn(editorNotes(lc).find((n) => n.text === stopNote)!.html).includes('/lessons/docker-intro/#도커-컨테이너에서-pid-1-문제'),
    'links back to lesson 1',
  );
  assert.match(noteNear(lc, /--read-only/, /\/var\/cache\/nginx/), /--tmpfs \/var\/cache\/nginx/);
  assert.match(noteNear(lc, /docker attach web/, /--sig-proxy=false/), /web 컨테이너가 멈춥니다/);
  assert.match(noteNear(lc, /docker exec -it web bash/, /bash가 없어/), /executable file not found/);
  assert.match(noteNear(lc, /docker logs -f --tail=50 api/, /docker logs만 멈추고/), /이어서 실행/);
  const io = 'lessons/isolation-and-operations';
  assert.match(noteNear(io, /docker logs wp/, /docker logs wp/), /잠시 뒤/);
  assert.match(noteNear(io, /docker run -d --name web nginx # ❌ 충돌/, /두 줄 모두/), /is already in use/);
  assert.match(noteNear(io, /docker attach agent/, /Ctrl\+P, Ctrl\+Q/), /Ctrl\+C/);
  const cb = 'lessons/container-basics';
  assert.match(noteNear(cb, /docker logs -f nginx/, /--since 1m --until 10s/), /거꾸로/);
  assert.match(noteNear(cb, /on-failure/, /unless-stopped/), /어긋납니다/);
  // Seeds that are wrong keep their text; the note says so.
  assert.match(
    editorNotes(io)
      .map((n) => n.text)
      .join('\n'),
    /백틱 한 개/,
  );
  assert.match(
    editorNotes(io)
      .map((n) => n.text)
      .join('\n'),
    /“4장”은/,
  );
});

test('interactive and runnable as the seeds intend: agent detached with Ctrl+P Ctrl+Q, tini Dockerfile, section 17', () => {
  const io = lessons.find((l) => l.slug === 'lessons/isolation-and-operations')!;
  const agent = io.snippets.find((s) => /docker run -it --name agent/.test(s.code));
  assert.ok(agent?.runnable, 'the agent starts interactively (docker run -it)');
  assert.ok(agent.meta.input?.endsWith('\x10\x11'), 'and is detached with Ctrl+P, Ctrl+Q');
  const attach = io.snippets.find((s) => /docker attach agent/.test(s.code))!;
  assert.ok(attach.meta.input?.endsWith('\x10\x11'), 'docker attach agent is left with Ctrl+P, Ctrl+Q, as its comment says');
  // (a challenge's solution may start it detached: it is not one of the lesson's steps)
  assert.ok(!io.snippets.some((s) => s.step && /docker run -d --name agent/.test(s.code)), 'no detached-only agent start');

  const intro = lessons.find((l) => l.slug === 'lessons/docker-intro')!;
  const tini = intro.snippets.find((s) => s.runnable && s.code.includes('ENTRYPOINT ["/usr/bin/tini", "--"]'));
  assert.ok(tini, 'the tini Dockerfile is built and run offline');

  const lc = lessons.find((l) => l.slug === 'lessons/container-lifecycle')!;
  const s17 = lc.snippets.find((s) => s.code.includes('docker logs -f --tail=50 api'))!;
  assert.ok(s17.runnable, 'section 17 runs (Ctrl+C stops only docker logs -f)');
  assert.ok(s17.meta.timeout, 'with a timeout for docker logs -f');
  for (const lesson of lessons) {
    for (const s of lesson.snippets) assert.doesNotMatch(s.meta.norun ?? '', /실행되지 않습니다/, `${lesson.slug} line ${s.line}`);
    assert.doesNotMatch(body(lesson.file), /실습 실행기/, `${lesson.slug}: notes speak to the reader, not about the test runner`);
  }
});

/**
 * Editor-written Korean: the start page, every 편집자 주, norun reasons, snippet titles and
 * descriptions. Quoted “…” words are cited spellings; sidebar labels cite the seeds' titles.
 */
function editorText(): { where: string; text: string }[] {
  const out = [{ where: 'index.mdx', text: body(index.file) }];
  for (const lesson of lessons) {
    for (const [i, t] of editorNoteSources(lesson.file).entries()) out.push({ where: `${lesson.slug} note ${i + 1}`, text: t });
    for (const s of lesson.snippets) {
      if (s.meta.norun) out.push({ where: `${lesson.slug} line ${s.line} norun`, text: s.meta.norun });
      const title = /title="([^"]*)"/.exec(s.metaString)?.[1];
      if (title) out.push({ where: `${lesson.slug} line ${s.line} title`, text: title });
    }
    out.push({ where: `${lesson.slug} description`, text: /^description: (.*)$/m.exec(source(lesson.file))?.[1] ?? '' });
  }
  return out;
}

test('editor-written text uses one spelling per term: 셸, 디렉터리, 브리지, 수명 주기, Ctrl+C', () => {
  const banned = [/쉘/, /디렉토리/, /브릿지/, /생명\s?주기/, /수명주기/, /Ctrl-[A-Z]/, /컨트롤\+/];
  const problems: string[] = [];
  for (const { where, text } of editorText()) {
    // Titles of the seeds (links in the start page's list) and quoted spellings are cited, not written.
    const own = text.replace(/“[^”]*”/g, '').replace(/\[[^\]]*\]\(\/lessons\/[^)]*\)/g, '');
    for (const re of banned) if (re.test(own)) problems.push(`${where}: ${re}`);
  }
  assert.deepEqual(problems, []);
  for (const lesson of lessons) assert.doesNotMatch(source(lesson.file), /Ctrl-[A-Z]/, `${lesson.slug}: Ctrl+C is written with +`);
});

test('sidebar labels agree with the page titles', () => {
  for (const lesson of lessons) {
    const text = source(lesson.file);
    const title = /^title:\s*(?:"(.*)"|(.*))$/m.exec(text)!;
    const label = /^sidebar:[\s\S]*?label: (.*)$/m.exec(text)![1]!.replace(/^\d+\.\s*/, '');
    assert.ok((title[1] ?? title[2])!.startsWith(label), `${lesson.slug}: label "${label}" vs title "${title[1] ?? title[2]}"`);
    const link = new RegExp(`\\[([^\\]]*)\\]\\(/${lesson.slug}/\\)`).exec(body(index.file));
    assert.ok(link && (title[1] ?? title[2])!.startsWith(link[1]!), `${lesson.slug}: the start page's link text agrees with the title`);
  }
});
