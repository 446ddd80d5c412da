import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ExpressiveCodeEngine } from '@expressive-code/core';
import { toHtml } from '@expressive-code/core/hast';
import { commandSummary, exitMatches, labSnippets } from './expressive-code.ts';
import { snippetId } from './id.ts';
import { readRecordings, shownOutput, MAX_SHOWN_LINES } from './recordings.ts';

// A real Expressive Code engine with our plugin; recordings come from a small fixture.
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const contentDir = '/site/content';
const ec = new ExpressiveCodeEngine({
  plugins: [labSnippets({ contentDir, recordingsDir: `${fixtures}recordings` })],
});

async function render(code: string, language: string, meta = '', file = `${contentDir}/lessons/demo.mdx`) {
  const { renderedGroupAst } = await ec.render({ code, language, meta, parentDocument: { sourceFilePath: file } });
  return toHtml(renderedGroupAst);
}

test('runnable block: wrapper carries the id, button carries the code, status is live', async () => {
  const code = 'docker run -d --name web nginx:latest\ndocker ps';
  const html = await render(code, 'bash');
  assert.match(html, new RegExp(`^<div class="expressive-code lab-snippet" data-lab-snippet="${snippetId(code)}">`));
  assert.match(
    html,
    /<button type="button" class="lab-run__button" data-lab-run="" data-code="docker run -d --name web nginx:latest\ndocker ps" aria-label="실행: docker run -d --name web nginx:latest \(실습 터미널에서 실행\)">/,
  );
  assert.match(html, /<span class="lab-run__status" data-lab-status="" aria-live="polite"><\/span>/);
  assert.doesNotMatch(html, /lab-norun|예상 출력/);
});

test('a snippet that publishes ports says which (the page offers 미리보기 for them after a run)', async () => {
  const html = await render('docker run -d --name web -p 8080:80 -p 127.0.0.1:8443:443 nginx', 'bash');
  assert.match(html, /^<div class="expressive-code lab-snippet" data-lab-snippet="[0-9a-f]{12}" data-lab-ports="8080 8443">/);
  assert.doesNotMatch(await render('docker run -d -p 80 nginx', 'bash'), /data-lab-ports/);
  assert.doesNotMatch(await render('docker run -d -p 8080:80 nginx', 'bash', 'norun="예시"'), /data-lab-ports/);
});

test('norun block: no button, the reason is shown in Korean', async () => {
  const html = await render('MSYS_NO_PATHCONV=1 docker run ...', 'bash', 'norun="Windows Git Bash 전용 팁입니다"');
  assert.doesNotMatch(html, /data-lab-run|data-lab-snippet/);
  assert.match(html, /data-lab-norun/);
  assert.match(
    html,
    /<p class="lab-norun"><span class="lab-norun__label">실습 터미널에서 실행하지 않는 예시<\/span> Windows Git Bash 전용 팁입니다<\/p>/,
  );
});

test('other languages are left alone', async () => {
  for (const [code, lang] of [
    ['FROM alpine', 'dockerfile'],
    ['winget install jqlang.jq', 'powershell'],
    ['+---+', 'text'],
  ] as const) {
    const html = await render(code, lang);
    assert.doesNotMatch(html, /lab-|data-lab/, lang);
  }
});

test('a recorded snippet shows its output collapsed under the block, escaped', async () => {
  const html = await render('docker run --rm busybox ps', 'bash');
  assert.match(
    html,
    /<details class="lab-recording"><summary>예상 출력<\/summary><pre class="lab-recording__output" tabindex="0">PID   USER     TIME  COMMAND\n    1 root      0:00 ps &#x3C;x><\/pre><p class="lab-recording__note lab-recording__stand-in"[^>]*>.*<\/p><\/details><\/div>$/,
  );
});

test('a recording of a snippet that names a lesson image says it comes from a stand-in, linking the start page table', async () => {
  const html = await render('docker run --rm busybox ps', 'bash');
  assert.match(
    html,
    /<\/pre><p class="lab-recording__note lab-recording__stand-in" data-lab-stand-ins="busybox:latest">실습용 대체 이미지에서 기록한 출력입니다 \(<a href="\/#실습용-대체-이미지">시작 페이지의 표<\/a> 참고\)<\/p><\/details>/,
  );
  assert.doesNotMatch(await render('docker network rm appnet', 'bash', 'exit=nonzero'), /lab-recording__stand-in/);
});

test('a recorded failure notes its exit status', async () => {
  const html = await render('docker network rm appnet', 'bash', 'exit=nonzero');
  assert.match(html, /active endpoints<\/pre><p class="lab-recording__note">종료 코드 1<\/p><\/details>/);
});

test('no recording for other lessons or unrecorded snippets', async () => {
  assert.doesNotMatch(await render('docker run --rm busybox ps', 'bash', '', `${contentDir}/lessons/other.mdx`), /예상 출력/);
  assert.doesNotMatch(await render('docker ps -a', 'bash'), /예상 출력/);
});

test('recordings files are validated', () => {
  const data = readRecordings('lessons/demo', `${fixtures}recordings`);
  assert.equal(data?.lesson, 'lessons/demo');
  assert.equal(readRecordings('lessons/missing', `${fixtures}recordings`), undefined);
});

test('long output is cut on the page', () => {
  const long = Array.from({ length: MAX_SHOWN_LINES + 5 }, (_, i) => `line ${i}`).join('\n');
  assert.deepEqual(shownOutput(long).cutLines, 5);
  assert.equal(shownOutput('a\n\n').text, 'a');
});

test('the button is named after the first command, not a comment', () => {
  assert.equal(commandSummary('# 주석\n\ndocker ps -a'), 'docker ps -a');
  assert.equal(commandSummary('docker run -d --name wp2 \\\n  --read-only'), 'docker run -d --name wp2 …');
  assert.ok(commandSummary('x'.repeat(100)).length <= 48);
});

test('a recording that contradicts exit= is not shown', async () => {
  // The fixture recorded `docker network rm appnet` with exit 1: fine for exit=nonzero, wrong for the default 0.
  assert.match(await render('docker network rm appnet', 'bash', 'exit=nonzero'), /예상 출력/);
  assert.doesNotMatch(await render('docker network rm appnet', 'bash'), /예상 출력/);
  assert.equal(exitMatches(0, 0), true);
  assert.equal(exitMatches('nonzero', 125), true);
  assert.equal(exitMatches('nonzero', 0), false);
  assert.equal(exitMatches(1, 125), false);
});
