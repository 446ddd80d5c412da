/**
 * THE parser for snippet markup: the meta string after a code fence's
 * language, e.g.
 *
 *     ```bash title="실습용" expect="Welcome to nginx" timeout=5
 *
 * Grammar (docs/architecture.md, "Snippet markup"): whitespace-separated
 * options in Expressive Code's style, so one meta string serves both this
 * parser and Expressive Code (which reads `title`, `frame`, `mark`, … and
 * ignores our keys):
 *
 *   key=value            unquoted value, up to the next whitespace
 *   key="value"          double-quoted; may contain spaces
 *   key='value'          single-quoted; handy when the value holds `"`
 *   key={1-3}            an Expressive Code range (kept, not interpreted)
 *   "text" /regex/ {1,3} Expressive Code markers without a key (ignored here)
 *   word                 a bare flag (ignored here unless it is one of ours)
 *
 * Inside quoted values these escapes are decoded: \n \t \xHH \\ \" \'.
 * Note that Markdown itself decodes backslash escapes of ASCII punctuation
 * in the fence's info string before any parser sees it (CommonMark), so `\"`
 * written in the MDX file arrives here as a bare `"`. Prefer single quotes
 * around values that contain double quotes: expect='"Status": "running"'.
 * `\n`, `\t` and `\xHH` are not punctuation escapes, so they arrive intact.
 *
 * Lab keys:
 *   norun="이유"     not runnable in the sandbox; the reason is required (shown to readers)
 *   exit=N | exit=nonzero   expected exit status (default 0)
 *   expect="text"   output must contain text (repeatable)
 *   reject="text"   output must not contain text (repeatable)
 *   timeout=N       long-running: the runner interrupts with Ctrl-C after N seconds
 *   input="a\nb"    lines typed into an interactive program, one at a time
 *   challenge=<id>  the solution of the 도전 과제 <id> (content/challenges/<id>.sh):
 *                   shown on request, runnable, but not one of the lesson's
 *                   steps (the lesson runner skips it; the page counts the
 *                   challenge, not this snippet)
 *
 * Pure: no I/O, no Node APIs; safe to import anywhere.
 */

/** Languages whose blocks run in the reader's Linux sandbox unless marked norun. */
export const SHELL_LANGS: ReadonlySet<string> = new Set(['bash', 'sh', 'shell']);

/** A challenge id: also its check's file name (content/challenges/<id>.sh); the server's ChallengeId. */
export const CHALLENGE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Meta keys this project defines (everything else belongs to Expressive Code). */
export const LAB_KEYS = ['norun', 'exit', 'expect', 'reject', 'timeout', 'input', 'challenge'] as const;
export type LabKey = (typeof LAB_KEYS)[number];

export interface MetaOption {
  /** Lower-cased key; '' for keyless options ("text" markers, /regex/, {ranges}). */
  key: string;
  /** Decoded value; `true` for a bare flag. */
  value: string | true;
  kind: 'string' | 'range' | 'regexp' | 'flag';
}

export interface SnippetMeta {
  /** Expressive Code's frame title, if any. */
  title?: string;
  /** Why the block does not run here (present = not runnable). */
  norun?: string;
  /** Expected exit status: a number, or 'nonzero' for "must fail". */
  exit: number | 'nonzero';
  /** Text the output must contain. */
  expect: string[];
  /** Text the output must not contain. */
  reject: string[];
  /** Seconds after which a long-running snippet is interrupted (Ctrl-C). */
  timeout?: number;
  /** Decoded scripted input for interactive programs (lines separated by \n). */
  input?: string;
  /** Id of the challenge this block solves (a solution, not a lesson step). */
  challenge?: string;
  /** Every option as written, in order (for tools that need more). */
  options: MetaOption[];
  /** Problems found while parsing; empty when the meta is valid. */
  errors: string[];
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" };

/** Decodes \n \t \xHH \\ \" \' in a quoted value; other backslashes stay as written. */
export function decodeEscapes(value: string): string {
  return value.replace(/\\(x[0-9a-fA-F]{2}|[nt\\"'])/g, (_all, esc: string) =>
    esc.length === 3 ? String.fromCharCode(parseInt(esc.slice(1), 16)) : ESCAPES[esc]!,
  );
}

/** Splits a meta string into options. Never throws; problems go to `errors`. */
export function tokenizeMeta(meta: string, errors: string[] = []): MetaOption[] {
  const options: MetaOption[] = [];
  let i = 0;
  const n = meta.length;
  const readQuoted = (quote: string): string | undefined => {
    // i points at the opening quote
    let j = i + 1;
    let raw = '';
    while (j < n && meta[j] !== quote) {
      if (meta[j] === '\\' && j + 1 < n) {
        raw += meta[j]! + meta[j + 1]!;
        j += 2;
      } else {
        raw += meta[j]!;
        j += 1;
      }
    }
    if (j >= n) {
      errors.push(`unterminated ${quote} quote at column ${i + 1}`);
      i = n;
      return undefined;
    }
    i = j + 1;
    return decodeEscapes(raw);
  };
  const readUntil = (close: string): string => {
    const end = meta.indexOf(close, i + 1);
    const stop = end === -1 ? n : end + 1;
    const text = meta.slice(i + 1, end === -1 ? n : end);
    if (end === -1) errors.push(`unterminated ${meta[i]} at column ${i + 1}`);
    i = stop;
    return text;
  };

  while (i < n) {
    const c = meta[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '"' || c === "'") {
      const value = readQuoted(c);
      if (value !== undefined) options.push({ key: '', value, kind: 'string' });
      continue;
    }
    if (c === '/') {
      options.push({ key: '', value: readUntil('/'), kind: 'regexp' });
      continue;
    }
    if (c === '{') {
      options.push({ key: '', value: readUntil('}'), kind: 'range' });
      continue;
    }
    // A key (or bare flag): letters, digits, - and _.
    const keyMatch = /^[A-Za-z_][\w-]*/.exec(meta.slice(i));
    if (!keyMatch) {
      // Something we do not understand: skip to the next whitespace.
      const rest = /^\S+/.exec(meta.slice(i))![0];
      errors.push(`unexpected "${rest}" at column ${i + 1}`);
      i += rest.length;
      continue;
    }
    const key = keyMatch[0].toLowerCase();
    i += keyMatch[0].length;
    if (meta[i] !== '=') {
      options.push({ key, value: true, kind: 'flag' });
      continue;
    }
    i += 1; // '='
    const v = meta[i];
    if (v === '"' || v === "'") {
      const value = readQuoted(v);
      if (value !== undefined) options.push({ key, value, kind: 'string' });
    } else if (v === '{') {
      options.push({ key, value: readUntil('}'), kind: 'range' });
    } else if (v === '/') {
      options.push({ key, value: readUntil('/'), kind: 'regexp' });
    } else {
      const value = /^\S*/.exec(meta.slice(i))![0];
      i += value.length;
      options.push({ key, value, kind: 'string' });
    }
  }
  return options;
}

/** Parses a fence's meta string (null/undefined = no meta). */
export function parseMeta(meta: string | null | undefined): SnippetMeta {
  const errors: string[] = [];
  const options = tokenizeMeta(meta ?? '', errors);
  const result: SnippetMeta = { exit: 0, expect: [], reject: [], options, errors };
  const seen = new Set<string>();
  const once = (key: string) => {
    if (seen.has(key)) errors.push(`${key}= given more than once`);
    seen.add(key);
  };

  for (const option of options) {
    const { key, value } = option;
    if (key === 'title' && typeof value === 'string') {
      result.title = value;
      continue;
    }
    if (!(LAB_KEYS as readonly string[]).includes(key)) continue;
    if (value === true) {
      errors.push(`${key} needs a value (${key}=…)`);
      continue;
    }
    switch (key as LabKey) {
      case 'norun':
        once(key);
        if (value.trim() === '') errors.push('norun needs a reason: norun="이유"');
        result.norun = value.trim();
        break;
      case 'exit':
        once(key);
        if (value === 'nonzero') result.exit = 'nonzero';
        else if (/^\d{1,3}$/.test(value) && Number(value) <= 255) result.exit = Number(value);
        else errors.push(`exit must be 0-255 or "nonzero", got "${value}"`);
        break;
      case 'expect':
        if (value === '') errors.push('expect needs text');
        else result.expect.push(value);
        break;
      case 'reject':
        if (value === '') errors.push('reject needs text');
        else result.reject.push(value);
        break;
      case 'timeout': {
        once(key);
        const seconds = Number(value);
        if (!/^\d+(\.\d+)?$/.test(value) || !(seconds > 0) || seconds > 600) {
          errors.push(`timeout must be seconds between 0 and 600, got "${value}"`);
        } else result.timeout = seconds;
        break;
      }
      case 'input':
        once(key);
        if (value === '') errors.push('input needs at least one line');
        else result.input = value;
        break;
      case 'challenge':
        once(key);
        if (!CHALLENGE_ID.test(value)) errors.push(`challenge must be an id like "zombie-init" (a-z, 0-9, -), got "${value}"`);
        else result.challenge = value;
        break;
    }
  }
  return result;
}

/**
 * What to type for an `input=` value: each line with visible text gets Enter;
 * lines of control keys only (`\x10\x11` = Ctrl-P Ctrl-Q) are sent as they
 * are. Used by the page and the lesson runner alike.
 */
export function inputKeystrokes(input: string): string[] {
  return input
    .split('\n')
    .map((line) => (/[^\x00-\x1f\x7f]/.test(line) ? `${line}\r` : line))
    .filter((k) => k !== '');
}

/** A lesson step: runnable and not a challenge's solution (what the lesson runner runs and n/m counts). */
export function isLessonStep(lang: string | null | undefined, meta: SnippetMeta): boolean {
  return isRunnable(lang, meta) && meta.challenge === undefined;
}

/** True for languages that run in the sandbox by default (bash, sh, shell). */
export function isShellLang(lang: string | null | undefined): boolean {
  return SHELL_LANGS.has((lang ?? '').toLowerCase());
}

/** A block runs in the sandbox when it is a shell block not marked norun. */
export function isRunnable(lang: string | null | undefined, meta: SnippetMeta): boolean {
  return isShellLang(lang) && meta.norun === undefined;
}

/**
 * Problems with a block's markup as a whole (meta errors plus rules that need
 * the language): lab expectations on a block that never runs are a mistake.
 */
export function lintMeta(lang: string | null | undefined, meta: SnippetMeta): string[] {
  const problems = [...meta.errors];
  const runnable = isRunnable(lang, meta);
  if (!runnable) {
    const stray = meta.options.map((o) => o.key).filter((k) => k !== 'norun' && (LAB_KEYS as readonly string[]).includes(k));
    if (stray.length > 0) {
      problems.push(`${[...new Set(stray)].join(', ')} on a block that does not run`);
    }
  }
  if (meta.norun !== undefined && !isShellLang(lang)) {
    problems.push(`norun on a ${lang || 'plain'} block, which never runs anyway`);
  }
  return problems;
}
