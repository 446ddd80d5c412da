/**
 * Which sandbox ports a snippet publishes, read from its code at build time,
 * so the page can offer "미리보기 :8080" under it once it has run (issue 11;
 * the build writes `data-lab-ports="8080 8081"` on the snippet wrapper,
 * expressive-code.ts).
 *
 * Only `docker run` / `docker create` (and `docker container run|create`)
 * with an explicit host port count: `-p 8080:80`, `-p 127.0.0.1:8080:80`,
 * `--publish 8080:80`, `--publish=8080:80`, `-p 8080:80/tcp`, `-dp 8080:80`,
 * `-p8080:80`, and short ranges (`-p 8080-8082:80-82`). Not `-P` or `-p 80`:
 * the engine picks the host port then, and the page cannot know it before
 * the run; the dock's port list (GET /lab/preview, what the inner engine
 * reports) is the way to those. UDP is not HTTP: left out.
 *
 * The scan stops at the image name (the first word that is not an option),
 * so `docker run busybox nc -l -p 8080` publishes nothing: that `-p` is the
 * container's program's. This needs to know which options take a value:
 * every long option does except the boolean ones listed here, every short
 * one does except -d -i -t -P -q. Comments are skipped; quotes are removed;
 * `;`, `&&`, `||`, `|`, `$(` and newlines start a new command. This is a
 * reader's view of plain lesson snippets, not a shell: a port behind a
 * variable (`-p $PORT:80`) is not known here either (the dock lists it).
 */

/** docker run/create options without a value (`--rm`, `--init`, …). */
const BOOLEAN_LONG = new Set([
  'detach',
  'interactive',
  'tty',
  'rm',
  'publish-all',
  'privileged',
  'read-only',
  'init',
  'no-healthcheck',
  'oom-kill-disable',
  'sig-proxy',
  'disable-content-trust',
  'quiet',
  'help',
  'use-api-socket',
]);
const BOOLEAN_SHORT = new Set(['d', 'i', 't', 'P', 'q']);

/** At most this many ports from one range (`-p 8000-9000:…` is not something to offer buttons for). */
export const MAX_RANGE_PORTS = 10;

/** Host ports one `-p` value publishes (TCP, explicit host port), else []. */
export function hostPortsOf(spec: string): number[] {
  const [mapping = '', proto = 'tcp'] = spec.split('/');
  if (proto !== 'tcp') return [];
  // [ip:]host:container; an IPv6 address is bracketed: [::1]:8080:80
  const parts = mapping.replace(/^\[[^\]]*\]:/, 'ip:').split(':');
  if (parts.length < 2 || parts.length > 3) return [];
  const host = parts[parts.length - 2]!;
  const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(host);
  if (!range || !/^\d{1,5}(?:-\d{1,5})?$/.test(parts[parts.length - 1]!)) return [];
  const first = Number(range[1]);
  const last = range[2] === undefined ? first : Number(range[2]);
  if (first < 1 || last > 65535 || last < first || last - first >= MAX_RANGE_PORTS) return [];
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Index just past the `)` closing the `$(` whose content starts at `from` (or the end). */
function closingParen(code: string, from: number): number {
  let depth = 1;
  let quote: string | null = null;
  for (let i = from; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return code.length;
}

/**
 * Words of the snippet, quotes removed, with null where one command ends and
 * the next begins. A command substitution (`$(docker create …)`) stands in
 * its word as `$()` and its own words follow the snippet's, as a command of
 * their own.
 */
export function shellWords(code: string): (string | null)[] {
  const out: (string | null)[] = [];
  const nested: (string | null)[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  const end = () => {
    if (inWord) out.push(word);
    word = '';
    inWord = false;
  };
  const substitution = (from: number, to: number) => {
    nested.push(null, ...shellWords(code.slice(from, to)));
    word += '$()';
    inWord = true;
  };
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === '$' && code[i + 1] === '(' && quote !== "'") {
      const close = closingParen(code, i + 2);
      substitution(i + 2, close - 1);
      i = close - 1;
      continue;
    }
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < code.length) word += code[++i];
      else word += c;
      continue;
    }
    if (c === '\\' && code[i + 1] === '\n') {
      i++; // line continuation
    } else if (c === '\\' && i + 1 < code.length) {
      word += code[++i];
      inWord = true;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '#' && !inWord) {
      while (i + 1 < code.length && code[i + 1] !== '\n') i++;
    } else if (c === '\n' || c === ';' || c === '|' || c === '&' || c === '(' || c === ')' || c === '`') {
      end();
      out.push(null);
    } else if (c === ' ' || c === '\t') {
      end();
    } else {
      word += c;
      inWord = true;
    }
  }
  end();
  return [...out, ...nested];
}

/** The value-taking short option of `-p…` clusters (`-dp`, `-p8080:80`), and whether the value is attached. */
function shortOption(word: string): { takesValue: string | null; attached: string } {
  for (let j = 1; j < word.length; j++) {
    const flag = word[j]!;
    if (!BOOLEAN_SHORT.has(flag)) return { takesValue: flag, attached: word.slice(j + 1) };
  }
  return { takesValue: null, attached: '' };
}

/** Host ports the snippet's `docker run`/`docker create` commands publish, in order, each once. */
export function publishedPorts(code: string): number[] {
  const words = shellWords(code);
  const ports: number[] = [];
  const add = (spec: string) => {
    for (const p of hostPortsOf(spec)) if (!ports.includes(p)) ports.push(p);
  };
  for (let i = 0; i < words.length; i++) {
    if (words[i] !== 'docker') continue;
    let k = i + 1;
    if (words[k] === 'container') k++;
    if (words[k] !== 'run' && words[k] !== 'create') continue;
    for (k++; k < words.length; k++) {
      const word = words[k];
      if (word === null || word === undefined || word === '--' || !word.startsWith('-') || word === '-') break; // the image: options end
      let option: string | null;
      let value: string | null | undefined;
      if (word.startsWith('--')) {
        const [name = '', inline] = word.slice(2).split(/=(.*)/s);
        option = inline !== undefined || !BOOLEAN_LONG.has(name) ? name : null;
        value = inline;
      } else {
        const short = shortOption(word);
        option = short.takesValue === 'p' ? 'publish' : short.takesValue;
        value = short.attached !== '' ? short.attached : undefined;
      }
      if (option === null) continue;
      if (value === undefined) {
        value = words[k + 1];
        if (typeof value !== 'string') break; // the command ends without the value
        k++;
      }
      if (option === 'publish') add(value!);
    }
    i = k;
  }
  return ports;
}
