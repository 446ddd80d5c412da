/**
 * The README's configuration and close-code tables, generated from their one
 * home (config.ts EnvSchema, protocol.ts CLOSE_CODES): `npm run docs:lab`
 * rewrites them between their markers; readme-tables.test.ts fails when the
 * README differs from what this would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { EnvSchema } from './config.ts';
import { CLOSE_CODES } from './protocol.ts';

export const README = new URL('README.md', import.meta.url);

const PAGE = {
  'new-session': 'asks for a new session at once (stops after three in a row: cookies blocked)',
  retry: 'retries by itself',
  wait: 'stops until the reader acts',
  drop: 'as a dropped connection: the last `error` message decides, else retries',
};

type Def = { type: string; defaultValue?: unknown; in?: Node; innerType?: Node; entries?: object };
type Node = { _zod: { def: Def } };

/** The definitions of a schema and of those it wraps (default, optional, pipe). */
function layers(schema: Node): Def[] {
  const out: Def[] = [];
  for (let s: Node | undefined = schema; s; s = s._zod.def.in ?? s._zod.def.innerType) out.push(s._zod.def);
  return out;
}

export function configTable(): string {
  const rows = Object.entries(EnvSchema.shape).map(([name, schema]) => {
    const meta = (z.globalRegistry.get(schema) ?? {}) as { description?: string; unit?: string; shown?: string };
    if (!meta.description) throw new Error(`${name}: no description in EnvSchema`);
    const defs = layers(schema as Node);
    const fallback = defs.find((d) => d.type === 'default' && d.defaultValue !== '')?.defaultValue;
    const shown = meta.shown ?? (fallback === undefined ? '—' : `\`${String(fallback)}\``);
    const entries = defs.find((d) => d.entries)?.entries;
    return `| \`${name}\` | ${shown} | ${meta.unit ?? (entries ? Object.keys(entries).join(', ') : 'text')} | ${meta.description} |`;
  });
  return ['| variable | default | value | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function closeCodeTable(): string {
  const rows = Object.entries(CLOSE_CODES).map(
    ([name, e]) => `| ${e.code} | \`${name}\` | ${e.meaning} | ${PAGE[e.page]}${'reason' in e ? ` (\`${e.reason}\`)` : ''} |`,
  );
  return ['| close | name | when | the page |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** `text` with each generated block (between `<!-- begin NAME -->` and `<!-- end NAME -->`) rewritten. */
export function generate(text: string): string {
  const blocks: Record<string, string> = { config: configTable(), 'close-codes': closeCodeTable() };
  for (const [name, table] of Object.entries(blocks)) {
    const re = new RegExp(`(<!-- begin ${name} [^>]*-->\\n)[^]*?(<!-- end ${name} -->)`);
    if (!re.test(text)) throw new Error(`README: no generated block ${name}`);
    text = text.replace(re, (_m, begin: string, end: string) => `${begin}${table}\n${end}`);
  }
  return text;
}

if (import.meta.main) writeFileSync(README, generate(readFileSync(README, 'utf8')));
