/**
 * A real SMTP server on loopback (smtp-server, port 0) that keeps what it receives, plus the
 * small parts of RFC 5322 / MIME / DKIM (RFC 6376) a test needs to read a message: headers,
 * decoded text and HTML parts, and an independent DKIM signature check.
 */
import { createHash, verify, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMessage {
  envelope: { from: string; to: string[] };
  raw: string;
}

export interface SmtpCapture {
  url: string;
  messages: CapturedMessage[];
  /** Replies to RCPT TO for these addresses with the given code (550 refused, 451 try later). */
  refuse: Map<string, number>;
  close(): Promise<void>;
}

export interface SmtpCaptureOptions {
  /** Runs once a message has arrived and before the server answers it (to hold a send in flight). */
  beforeDataReply?: () => Promise<void>;
}

export async function startSmtpCapture(options: SmtpCaptureOptions = {}): Promise<SmtpCapture> {
  const messages: CapturedMessage[] = [];
  const refuse = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    // A reverse DNS lookup of 127.0.0.1 per connection only slows the tests down.
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = refuse.get(address.address);
      if (code === undefined) {
        callback();
        return;
      }
      callback(
        Object.assign(new Error(`Mailbox ${address.address} unavailable`), { responseCode: code }),
      );
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        messages.push({
          envelope: {
            from: from === false ? '' : from.address,
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          },
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        const reply = options.beforeDataReply ?? (() => Promise.resolve());
        reply().then(
          () => callback(),
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuse,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface RawHeader {
  name: string;
  /** The header line(s) exactly as received, without the final CRLF. */
  raw: string;
  /** Unfolded value. */
  value: string;
}

function splitMessage(raw: string): { headerBlock: string; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return { headerBlock: raw, body: '' };
  return { headerBlock: raw.slice(0, end), body: raw.slice(end + 4) };
}

function parseHeaderBlock(block: string): RawHeader[] {
  const headers: RawHeader[] = [];
  for (const line of block.split('\r\n')) {
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && last) {
      last.raw += `\r\n${line}`;
      last.value += line.replace(/^[ \t]+/, ' ');
      continue;
    }
    const colon = line.indexOf(':');
    headers.push({
      name: line.slice(0, colon),
      raw: line,
      value: line.slice(colon + 1).trim(),
    });
  }
  return headers;
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const unwrapped = text.replace(/=\r\n/g, '');
  for (let index = 0; index < unwrapped.length; index += 1) {
    const char = unwrapped[index] ?? '';
    const hex = unwrapped.slice(index + 1, index + 3);
    if (char === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

export interface ParsedMessage {
  /** First value of a header, by lower-case name. */
  header(name: string): string | undefined;
  headers: RawHeader[];
  /** Decoded bodies by content type (`text/plain`, `text/html`). */
  parts: Map<string, string>;
}

function collectParts(headers: RawHeader[], body: string, parts: Map<string, string>): void {
  const find = (name: string) =>
    headers.find((header) => header.name.toLowerCase() === name)?.value;
  const contentType = find('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (contentType.toLowerCase().startsWith('multipart/') && boundary) {
    const sections = body.split(`--${boundary}`).slice(1);
    for (const section of sections) {
      if (section.startsWith('--')) break;
      const { headerBlock, body: partBody } = splitMessage(section.replace(/^\r\n/, ''));
      collectParts(parseHeaderBlock(headerBlock), partBody.replace(/\r\n$/, ''), parts);
    }
    return;
  }
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  parts.set(type, decodeBody(body, find('content-transfer-encoding')).replace(/\r\n/g, '\n'));
}

export function parseMessage(raw: string): ParsedMessage {
  const { headerBlock, body } = splitMessage(raw);
  const headers = parseHeaderBlock(headerBlock);
  const parts = new Map<string, string>();
  collectParts(headers, body, parts);
  return {
    headers,
    parts,
    header: (name) => headers.find((header) => header.name.toLowerCase() === name)?.value,
  };
}

/** RFC 6376 §3.4.2 relaxed header canonicalization. */
function relaxedHeader(header: RawHeader): string {
  const value = header.raw
    .slice(header.raw.indexOf(':') + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${header.name.trim().toLowerCase()}:${value}`;
}

/** RFC 6376 §3.4.4 relaxed body canonicalization. */
function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
}

export interface DkimResult {
  tags: Record<string, string>;
  bodyHashMatches: boolean;
  signatureVerifies: boolean;
}

/**
 * Checks the message's DKIM-Signature (rsa-sha256, relaxed/relaxed) with the public key:
 * recomputes the body hash and the signed header hash independently of the signer.
 */
export function verifyDkim(raw: string, publicKey: KeyObject): DkimResult {
  const { headerBlock, body } = splitMessage(raw);
  const headers = parseHeaderBlock(headerBlock);
  const signature = headers.find((header) => header.name.toLowerCase() === 'dkim-signature');
  if (!signature) throw new Error('The message has no DKIM-Signature header');
  const tags: Record<string, string> = {};
  for (const part of signature.value.split(';')) {
    const equals = part.indexOf('=');
    if (equals === -1) continue;
    tags[part.slice(0, equals).trim()] = part.slice(equals + 1).replace(/\s+/g, '');
  }
  if (tags.a !== 'rsa-sha256' || tags.c !== 'relaxed/relaxed') {
    throw new Error(`Unsupported DKIM a=${tags.a} c=${tags.c}`);
  }
  const bodyHash = createHash('sha256').update(relaxedBody(body), 'utf8').digest('base64');

  const used = new Set<RawHeader>();
  let signed = '';
  for (const name of (tags.h ?? '').split(':')) {
    // Each listed name takes the next instance from the bottom (RFC 6376 §5.4.2).
    const instance = [...headers]
      .reverse()
      .find(
        (header) =>
          header !== signature &&
          !used.has(header) &&
          header.name.toLowerCase() === name.trim().toLowerCase(),
      );
    if (!instance) continue;
    used.add(instance);
    signed += `${relaxedHeader(instance)}\r\n`;
  }
  const withoutSignature: RawHeader = {
    ...signature,
    raw: signature.raw.replace(/(\bb=)[^;]*$/, '$1'),
  };
  signed += relaxedHeader(withoutSignature);
  return {
    tags,
    bodyHashMatches: bodyHash === tags.bh,
    signatureVerifies: verify(
      'RSA-SHA256',
      Buffer.from(signed, 'utf8'),
      publicKey,
      Buffer.from(tags.b ?? '', 'base64'),
    ),
  };
}
