/**
 * CSV as RFC 4180 says: fields separated by commas, records by CRLF, a field quoted when it
 * holds a comma, a double quote, CR or LF, with its quotes doubled.
 *
 * Spreadsheet programs run a cell that starts with `=`, `+`, `-`, `@`, a tab or CR as a
 * formula. An export holds text that other people wrote (a message received), so such text
 * gets a leading apostrophe (OWASP's advice on CSV injection); numbers are left alone.
 */

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One value as a CSV field. */
export function csvField(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') {
    text = String(value);
  } else if (typeof value === 'boolean') {
    text = value ? 'true' : 'false';
  } else if (typeof value === 'string') {
    text = FORMULA_START.test(value) ? `'${value}` : value;
  } else if (value instanceof Date) {
    text = value.toISOString();
  } else if (Buffer.isBuffer(value)) {
    text = value.toString('base64');
  } else {
    text = JSON.stringify(value);
    if (FORMULA_START.test(text)) text = `'${text}`;
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, ending with CRLF. */
export function csvRecord(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
