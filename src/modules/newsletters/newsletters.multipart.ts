/**
 * A small reader of `multipart/form-data` (RFC 7578) for one route: the one-click unsubscribe
 * POST. RFC 8058 lets a mail client send `List-Unsubscribe=One-Click` either urlencoded or as
 * multipart/form-data, and some do the latter. That body is one short text field, so this reads
 * text fields only, within tight bounds, and refuses anything else with a 400 that says why; it
 * is no general upload parser (files are refused) and no dependency is needed for it.
 */
import { AppError } from '../../platform/http/errors.js';

/** Bytes accepted for the whole body: the one field needs a few dozen. */
export const MULTIPART_BODY_LIMIT = 8 * 1024;
/** Parts accepted in one body. */
const MAX_PARTS = 10;
/** RFC 2046 §5.1.1: 1 to 70 characters from this set, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

function malformed(detail: string): AppError {
  return new AppError('bad_request', `The form could not be read: ${detail}.`);
}

/** The boundary parameter of a `multipart/form-data` content type (quoted or not), or null. */
export function boundaryOf(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary !== undefined && BOUNDARY.test(boundary) ? boundary : null;
}

/** The `name` of a part's `Content-Disposition: form-data; name="…"` header; files are refused. */
function fieldNameOf(headerBlock: string): string {
  let disposition: string | undefined;
  for (const line of headerBlock.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a part has a header line without a name');
    if (line.slice(0, colon).trim().toLowerCase() === 'content-disposition') {
      disposition = line.slice(colon + 1).trim();
    }
  }
  if (disposition === undefined || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw malformed('a part is not form-data');
  }
  if (/;\s*filename\*?\s*=/i.test(disposition)) {
    throw malformed('files are not accepted here');
  }
  const name = /;\s*name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(disposition);
  const value = name?.[1]?.replace(/\\(.)/g, '$1') ?? name?.[2];
  if (value === undefined || value === '') throw malformed('a part has no field name');
  return value;
}

/**
 * The text fields of a multipart/form-data body, by name (the first of a repeated name wins).
 * Throws a 400 AppError for a body that does not follow RFC 7578: no boundary line, no closing
 * boundary, a part without a form-data name, a file, or too many parts.
 */
export function parseMultipartForm(body: Buffer, boundary: string): Record<string, string> {
  const text = body.toString('utf8');
  // Every delimiter but a first one at the very start follows a line break (RFC 2046 §5.1.1).
  const delimiter = `--${boundary}`;
  const segments = `\r\n${text}`.split(new RegExp(`\\r?\\n${escapeRegExp(delimiter)}`));
  if (segments.length < 2) throw malformed('the boundary line is missing');
  const fields: Record<string, string> = {};
  let parts = 0;
  // segments[0] is the preamble, which RFC 2046 says to ignore.
  for (const segment of segments.slice(1)) {
    if (segment.startsWith('--')) return fields;
    parts += 1;
    if (parts > MAX_PARTS) throw malformed(`more than ${MAX_PARTS} parts`);
    const afterPadding = segment.replace(/^[ \t]*\r?\n/, '');
    if (afterPadding === segment)
      throw malformed('a boundary line is not followed by a line break');
    const headerEnd = /\r?\n\r?\n/.exec(afterPadding);
    if (headerEnd === null) throw malformed('a part has no blank line after its headers');
    const name = fieldNameOf(afterPadding.slice(0, headerEnd.index));
    const value = afterPadding.slice(headerEnd.index + headerEnd[0].length);
    if (!Object.hasOwn(fields, name)) fields[name] = value;
  }
  throw malformed('the closing boundary is missing');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
