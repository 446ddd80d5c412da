import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EnvSchema } from './config.ts';
import { CLOSE_CODES } from './protocol.ts';
import { README, generate } from './readme-tables.ts';

const readme = readFileSync(README, 'utf8');

test('the README tables are what the schema and the close-code table say (else: npm run docs:lab)', () => {
  assert.equal(readme, generate(readme));
});

test('every variable of the schema has a row in the README, and every row a variable', () => {
  const block = /<!-- begin config [^]*?<!-- end config -->/.exec(readme)?.[0] ?? '';
  const rows = [...block.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(rows, Object.keys(EnvSchema.shape));
});

test('every close code has a row', () => {
  const block = /<!-- begin close-codes [^]*?<!-- end close-codes -->/.exec(readme)?.[0] ?? '';
  for (const e of Object.values(CLOSE_CODES)) assert.match(block, new RegExp(`^\\| ${e.code} \\|`, 'm'));
});
