import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAsScreen } from './screen.ts';

test('docker pull style progress collapses to its final lines', async () => {
  const raw = 'a1: Pulling fs layer\r\nb2: Pulling fs layer\r\n\x1b[2A\x1b[2Ka1: Pull complete\r\n\x1b[1BDigest: sha256:abc\r\n';
  assert.equal(await renderAsScreen(raw), 'a1: Pull complete\nb2: Pulling fs layer\nDigest: sha256:abc');
});

test('colours vanish, Hangul and carriage-return overwrites render as shown', async () => {
  assert.equal(await renderAsScreen('\x1b[1;32m한글\x1b[0m ok\r\n10%\r100%\r\n'), '한글 ok\n100%');
});

test('a line longer than the terminal is joined back into one line', async () => {
  const long = 'x'.repeat(50);
  assert.equal(await renderAsScreen(`${long}\r\n`, 20), long);
});

test('output with more lines than the screen keeps the scrolled-off part', async () => {
  const raw = Array.from({ length: 120 }, (_, i) => `line ${i}`).join('\r\n');
  const shown = (await renderAsScreen(raw)).split('\n');
  assert.equal(shown.length, 120);
  assert.equal(shown[0], 'line 0');
  assert.equal(shown[119], 'line 119');
});
