/**
 * Signed links in newsletters: the one-click unsubscribe of RFC 8058 (P07), the footer's
 * unsubscribe link and help contact (P08), and links that count as engagement (issue 8, point 6).
 *
 * A token is `v1.<base64url payload>.<base64url HMAC>`; the payload names the member, the list
 * and, for Baby Monthly, one baby. It has no expiry on purpose: an unsubscribe link in a letter
 * from years ago must still work. The version lets a later format, or a rotated derivation, be
 * told apart from this one. The key is derived from the secret key, so no other use of the
 * secret key (sessions, CSRF) yields the same MACs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const TOKEN_VERSION = 'v1';
/** An upper bound well above any real token, so a pasted essay is refused before hashing. */
const MAX_TOKEN_LENGTH = 512;

/** Who and which list a token speaks for. */
export interface NewsletterLinkSubject {
  userId: string;
  listKey: string;
  /** Baby Monthly: the baby a letter is about, so "stop mail about this baby" is one click. */
  babyId?: string;
}

export interface NewsletterTokenClaims extends NewsletterLinkSubject {
  /** What the link does: unsubscribe, or an engagement-counted link. */
  purpose: 'unsubscribe' | 'link';
}

/** The last secret's derived key: an edition signs two links per letter with the same one. */
let cachedKey: { secretKey: string; key: Buffer } | undefined;

function derivedKey(secretKey: string): Buffer {
  if (cachedKey?.secretKey !== secretKey) {
    const key = createHmac('sha256', secretKey).update('hearth newsletter link v1').digest();
    cachedKey = { secretKey, key };
  }
  return cachedKey.key;
}

function mac(secretKey: string, signedPart: string): string {
  return createHmac('sha256', derivedKey(secretKey)).update(signedPart).digest('base64url');
}

/** A url-safe signed token for `claims`. */
export function signNewsletterToken(secretKey: string, claims: NewsletterTokenClaims): string {
  const payload = Buffer.from(
    JSON.stringify({
      p: claims.purpose,
      u: claims.userId,
      l: claims.listKey,
      ...(claims.babyId !== undefined ? { b: claims.babyId } : {}),
    }),
  ).toString('base64url');
  const signedPart = `${TOKEN_VERSION}.${payload}`;
  return `${signedPart}.${mac(secretKey, signedPart)}`;
}

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 100;
}

/** The claims of a token this server signed, or null for anything else (never throws). */
export function verifyNewsletterToken(
  secretKey: string,
  token: unknown,
): NewsletterTokenClaims | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== TOKEN_VERSION) return null;
  const [version, payload, signature] = parts as [string, string, string];
  const expected = Buffer.from(mac(secretKey, `${version}.${payload}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (decoded === null || typeof decoded !== 'object') return null;
  const fields = decoded as Record<string, unknown>;
  if (fields.p !== 'unsubscribe' && fields.p !== 'link') return null;
  if (!isShortString(fields.u) || !isShortString(fields.l)) return null;
  if (fields.b !== undefined && !isShortString(fields.b)) return null;
  return {
    purpose: fields.p,
    userId: fields.u,
    listKey: fields.l,
    ...(typeof fields.b === 'string' ? { babyId: fields.b } : {}),
  };
}

/** The unsubscribe URL under PUBLIC_URL for one member's list (or one baby's letters). */
export function unsubscribeUrl(
  publicUrl: string,
  secretKey: string,
  input: NewsletterLinkSubject,
): string {
  const url = new URL('/newsletters/unsubscribe', publicUrl);
  url.searchParams.set(
    'token',
    signNewsletterToken(secretKey, { ...input, purpose: 'unsubscribe' }),
  );
  return url.toString();
}

/** The RFC 2369 and RFC 8058 headers every newsletter carries. */
export function listUnsubscribeHeaders(
  publicUrl: string,
  secretKey: string,
  input: NewsletterLinkSubject,
): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(publicUrl, secretKey, input)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** The footer of every newsletter: how to unsubscribe in one click, and whom to ask (P08). */
export function unsubscribeFooter(
  publicUrl: string,
  secretKey: string,
  input: NewsletterLinkSubject,
  helpContact: string,
): { text: string; html: string } {
  const url = unsubscribeUrl(publicUrl, secretKey, input);
  const what = input.babyId !== undefined ? 'these letters about your baby' : 'this newsletter';
  return {
    text: [
      `To stop ${what}, open this link: ${url}`,
      `Questions about your data or this letter: ${helpContact}`,
    ].join('\n'),
    html: [
      `<p>To stop ${what}, <a href="${escapeHtml(url)}">unsubscribe here</a>.</p>`,
      `<p>Questions about your data or this letter: ${escapeHtml(helpContact)}</p>`,
    ].join('\n'),
  };
}

/**
 * Whether `target` is a path on this site: starts with one `/`, no scheme, no `//` or `/\`
 * (which browsers read as another host). Signed links redirect only to such paths.
 */
export function isSameSitePath(target: unknown): target is string {
  return (
    typeof target === 'string' &&
    target.length <= 2000 &&
    target.startsWith('/') &&
    !target.startsWith('//') &&
    !target.startsWith('/\\') &&
    ![...target].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)
  );
}

/**
 * A link in a newsletter to `target` (a path on this site) that records engagement when
 * followed: `GET /newsletters/l?token=…&to=…`.
 */
export function signedNewsletterLink(
  publicUrl: string,
  secretKey: string,
  input: { userId: string; listKey: string; target: string },
): string {
  if (!isSameSitePath(input.target)) {
    throw new Error('a newsletter link must point to a path on this site');
  }
  const url = new URL('/newsletters/l', publicUrl);
  url.searchParams.set(
    'token',
    signNewsletterToken(secretKey, {
      userId: input.userId,
      listKey: input.listKey,
      purpose: 'link',
    }),
  );
  url.searchParams.set('to', input.target);
  return url.toString();
}
