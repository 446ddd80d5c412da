/**
 * Expressive Code plugin that turns each runnable shell block into a lab
 * snippet (docs/architecture.md, "DOM contract"):
 *
 *   <div class="expressive-code lab-snippet" data-lab-snippet="<id>"
 *        data-lab-exit="nonzero|N" data-lab-timeout="N" data-lab-input="…"
 *        data-lab-solution="<challenge id>"   (each only when the meta says so)
 *        data-lab-ports="8080 8443">   (host ports its docker run/create -p publish, ports.ts)
 *     <figure class="frame is-terminal …">
 *       … code, Expressive Code's copy button …
 *       <div class="lab-run">
 *         <button type="button" data-lab-run data-code="…" aria-label="실행: …">실행</button>
 *         <span data-lab-status aria-live="polite"></span>
 *       </div>
 *     </figure>
 *     <details class="lab-recording"><summary>예상 출력</summary><pre>…</pre>
 *       <p class="lab-recording__note lab-recording__stand-in">…<a href="/#실습용-대체-이미지">…</a>…</p>   (if the code names a lesson image)
 *     </details>   (if recorded)
 *   </div>
 *
 * Shell blocks marked norun get a short Korean note with the author's reason
 * instead of a button. Other languages are left alone.
 *
 * Placement: the run controls follow Expressive Code's copy button in the DOM
 * (so Tab goes copy → 실행), but sit in a bar under the code instead of
 * floating over it like the copy button: an always-visible button in the
 * code's top corner would cover the end of the first command, worst at 375 px,
 * and the copy button's show-on-hover trick does not suit the main action.
 *
 * The button works without any framework: src/scripts/run-buttons.ts (the
 * one tiny script on every page) listens for clicks and imports the lab
 * client only then. Meta is read with THE parser (meta.ts) and ids come from
 * id.ts, so the page, the extractor and the runner always agree.
 */
import type { ExpressiveCodePlugin } from '@expressive-code/core';
import type { Element, ElementContent } from '@expressive-code/core/hast';
import { isRunnable, isShellLang, parseMeta } from './meta.ts';
import { snippetId } from './id.ts';
import { lessonSlug } from './extract.ts';
import { RECORDINGS_DIR, findRecording, shownOutput } from './recordings.ts';
import { STAND_IN_TABLE_HREF, loadStandInTags, standInImages } from './stand-ins.ts';
import { publishedPorts } from './ports.ts';
import { ko } from '../lab-client/messages.ko.ts';

export interface LabSnippetsOptions {
  /** Folder of the lessons (to turn a file path into a lesson slug). Default: content/. */
  contentDir?: string;
  /** Folder of the recordings. Default: content/recordings/. */
  recordingsDir?: string;
  /** Lesson image tags (stand-ins). Default: read from lab-server/images/lessons/. */
  standInTags?: readonly string[];
}

const text = (value: string): ElementContent => ({ type: 'text', value });
const el = (tagName: string, properties: Element['properties'], children: ElementContent[] = []): Element => ({
  type: 'element',
  tagName,
  properties,
  children,
});

/** First line worth naming in the button's accessible name (skips comments and blank lines). */
export function commandSummary(code: string, max = 48): string {
  const line =
    code
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#')) ?? code.trim();
  const flat = line.replace(/\s*\\$/, ' …');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function runControls(code: string): Element {
  return el('div', { className: ['lab-run'] }, [
    el(
      'button',
      {
        type: 'button',
        className: ['lab-run__button'],
        dataLabRun: '',
        dataCode: code,
        ariaLabel: `실행: ${commandSummary(code)} (실습 터미널에서 실행)`,
      },
      [el('span', { className: ['lab-run__icon'], ariaHidden: 'true' }, [text('▶')]), text('실행')],
    ),
    el('span', { className: ['lab-run__status'], dataLabStatus: '', ariaLive: 'polite' }),
  ]);
}

function norunNote(reason: string): Element {
  return el('p', { className: ['lab-norun'] }, [
    el('span', { className: ['lab-norun__label'] }, [text('실습 터미널에서 실행하지 않는 예시')]),
    text(' '),
    text(reason),
  ]);
}

/** Says the output was recorded with a stand-in image, pointing to the start page's table. */
function standInNote(images: string[]): Element {
  return el('p', { className: ['lab-recording__note', 'lab-recording__stand-in'], dataLabStandIns: images.join(' ') }, [
    text(ko.recording.standIn.before),
    el('a', { href: STAND_IN_TABLE_HREF }, [text(ko.recording.standIn.link)]),
    text(ko.recording.standIn.after),
  ]);
}

function recordingDetails(output: string, exit: number, interrupted: boolean | undefined, standIns: string[]): Element {
  const { text: shown, cutLines } = shownOutput(output);
  const notes: string[] = [];
  if (interrupted) notes.push(ko.recording.interrupted);
  else if (exit !== 0) notes.push(ko.recording.exit(exit));
  if (cutLines > 0) notes.push(ko.recording.cutLines(cutLines));
  return el('details', { className: ['lab-recording'] }, [
    el('summary', {}, [text(ko.recording.summary)]),
    el('pre', { className: ['lab-recording__output'], tabIndex: 0 }, [text(shown === '' ? ko.recording.empty : shown)]),
    ...(notes.length > 0 ? [el('p', { className: ['lab-recording__note'] }, [text(notes.join(' · '))])] : []),
    ...(standIns.length > 0 ? [standInNote(standIns)] : []),
  ]);
}

export function labSnippets(options: LabSnippetsOptions = {}): ExpressiveCodePlugin {
  const recordingsDir = options.recordingsDir ?? RECORDINGS_DIR;
  let standInTags = options.standInTags;
  return {
    name: 'lab-snippets',
    hooks: {
      postprocessRenderedBlock({ codeBlock, renderData }) {
        const meta = parseMeta(codeBlock.meta);
        if (!isRunnable(codeBlock.language, meta)) return;
        renderData.blockAst.children.push(runControls(codeBlock.code));
      },
      postprocessRenderedBlockGroup({ renderedGroupContents, renderData }) {
        // Markdown code blocks are rendered one per group; with several
        // blocks in a group (only possible through custom components) each
        // figure is marked on its own instead of the shared wrapper.
        const single = renderedGroupContents.length === 1;
        for (const { codeBlock, renderedBlockAst } of renderedGroupContents) {
          if (!isShellLang(codeBlock.language)) continue;
          const meta = parseMeta(codeBlock.meta);
          const target = single ? renderData.groupAst : renderedBlockAst;
          const extra: Element[] = [];
          if (isRunnable(codeBlock.language, meta)) {
            const id = snippetId(codeBlock.code);
            target.properties.dataLabSnippet = id;
            // What the lesson expects of this run, for the page's honest result (src/lab-client/outcome.ts).
            if (meta.exit !== 0) target.properties.dataLabExit = String(meta.exit);
            if (meta.timeout !== undefined) target.properties.dataLabTimeout = String(meta.timeout);
            if (meta.input !== undefined) target.properties.dataLabInput = meta.input;
            // A challenge's solution: runs like any snippet, but n/m counts the challenge instead (progress.ts).
            if (meta.challenge !== undefined) target.properties.dataLabSolution = meta.challenge;
            // What it publishes: the page offers 미리보기 :PORT once it has run (src/lab-client/preview-panel.ts).
            const ports = publishedPorts(codeBlock.code);
            if (ports.length > 0) target.properties.dataLabPorts = ports.join(' ');
            target.properties.className = [...classList(target), 'lab-snippet'];
            const file = codeBlock.parentDocument?.sourceFilePath;
            const lesson = file ? lessonSlug(file, options.contentDir) : undefined;
            const recording = lesson ? findRecording(lesson, id, recordingsDir) : undefined;
            // A recording whose exit status contradicts the lesson (a run in a
            // broken sandbox) is not shown as what the reader should expect.
            if (recording && (recording.interrupted || exitMatches(meta.exit, recording.exit))) {
              standInTags ??= loadStandInTags();
              const standIns = standInImages(codeBlock.code, standInTags);
              extra.push(recordingDetails(recording.output, recording.exit, recording.interrupted, standIns));
            }
          } else if (meta.norun !== undefined) {
            target.properties.dataLabNorun = '';
            extra.push(norunNote(meta.norun));
          }
          if (single) renderData.groupAst.children.push(...extra);
          else renderedBlockAst.children.push(...extra);
        }
      },
    },
  };
}

/** Does a recorded exit status agree with the snippet's exit= expectation? */
export function exitMatches(expected: number | 'nonzero', actual: number): boolean {
  return expected === 'nonzero' ? actual !== 0 : actual === expected;
}

function classList(node: Element): string[] {
  const value: unknown = node.properties.className;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  return [];
}
