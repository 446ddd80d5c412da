import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOM, csvCell, toCsv } from './csv.ts';

test('the file starts with a UTF-8 byte order mark and ends every row with CRLF', () => {
  const text = toCsv([
    ['이름', '레슨'],
    ['김철수', 'lessons/docker-intro'],
  ]);
  assert.ok(text.startsWith(BOM));
  assert.deepEqual(Buffer.from(text, 'utf8').subarray(0, 3), Buffer.from([0xef, 0xbb, 0xbf]));
  assert.equal(text.slice(1), '이름,레슨\r\n김철수,lessons/docker-intro\r\n');
});

test('cells with commas, quotes and line breaks are quoted, quotes doubled', () => {
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('plain 이름'), 'plain 이름');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(3), '3');
});

test('cells that a spreadsheet would run as a formula get a leading apostrophe', () => {
  for (const evil of ['=1+1', '+1', '-2', '@SUM(A1)', '\t=1', '\r=1']) assert.ok(csvCell(evil).replace(/^"/, '').startsWith(`'`), evil);
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell('a=b'), 'a=b');
  assert.equal(csvCell('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>');
});

test('a row of hostile cells stays one row with the same number of columns', () => {
  const text = toCsv([['=cmd|"/c calc"!A0', 'x,"y"\r\nz', '-1']]);
  const body = text.slice(1);
  // Split on CRLF outside quotes: exactly one record.
  let inQuotes = false;
  let records = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '"') inQuotes = !inQuotes;
    if (!inQuotes && body[i] === '\r' && body[i + 1] === '\n') records++;
  }
  assert.equal(records, 1);
});
