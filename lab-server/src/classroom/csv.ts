/**
 * CSV for the instructor's progress export (GET …/progress.csv), made for
 * Excel as much as for scripts:
 *
 * - UTF-8 with a byte order mark: without it Excel reads the file as the
 *   system code page and Korean names come out as mojibake.
 * - RFC 4180 quoting: a cell with `,` `"` CR or LF is quoted, `"` doubled;
 *   rows end with CRLF.
 * - Formula injection (CWE-1236): a learner can name themselves
 *   `=HYPERLINK(...)`; a cell starting with `=` `+` `-` `@` (or tab / CR,
 *   which Excel skips before them) gets a leading `'`, so spreadsheet
 *   programs show it as text instead of evaluating it.
 */
export const BOM = '\uFEFF';

/** One cell: neutralised against formulas, then quoted if it needs it. */
export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole file: BOM, then each row's cells joined by commas, CRLF after every row. */
export function toCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return BOM + rows.map((row) => row.map(csvCell).join(',') + '\r\n').join('');
}
