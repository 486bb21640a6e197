/**
 * The choice cookie: what the visitor allowed, kept in their browser for 13 months (P40) so
 * that pages can be gated without a database read. It also carries the pseudonymous visitor id
 * under which the choice is recorded, so no separate identifier cookie exists, and nothing is
 * set before a choice.
 *
 * The value is signed (HMAC-SHA256 with a key derived from the secret key): a page renders
 * partner tags on its word, so a value planted by anyone else (a sibling subdomain, a script
 * injection) must not be able to switch tags on.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GpcState } from './cookies.tables.js';

export const CHOICE_COOKIE = 'hearth_cookie_choices';

/** 13 months of 30.44 days (P40): the cookie's Max-Age and the age after which we ask again. */
export const CHOICE_LIFETIME_SECONDS = 13 * 2_629_746;

export interface StoredChoice {
  visitorId: string;
  catalogueVersion: string;
  purposes: readonly string[];
  partners: readonly string[];
  at: Date;
  gpc: GpcState;
}

interface Payload {
  id: string;
  v: string;
  p: string[];
  s: string[];
  at: string;
  g: GpcState;
}

const VISITOR_ID = /^[A-Za-z0-9_-]{22,64}$/;
const KEY_OR_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function deriveChoiceKey(secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update('hearth cookie choices v1').digest();
}

/** A new pseudonymous visitor id: 128 random bits, linked to nothing but the choices. */
export function newVisitorId(): string {
  return randomBytes(16).toString('base64url');
}

function sign(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

export function encodeChoice(key: Buffer, choice: StoredChoice): string {
  const payload: Payload = {
    id: choice.visitorId,
    v: choice.catalogueVersion,
    p: [...choice.purposes],
    s: [...choice.partners],
    at: choice.at.toISOString(),
    g: choice.gpc,
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(key, body)}`;
}

function isStringList(value: unknown): value is string[] {
  return (
    Array.isArray(value) && value.every((item) => typeof item === 'string' && KEY_OR_ID.test(item))
  );
}

/** The choice in a cookie value, or null when it is missing, altered or malformed. */
export function decodeChoice(key: Buffer, value: string | undefined): StoredChoice | null {
  if (!value || value.length > 4096) return null;
  const [body, signature, ...rest] = value.split('.');
  if (!body || !signature || rest.length > 0) return null;
  const expected = Buffer.from(sign(key, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (payload === null || typeof payload !== 'object') return null;
  const { id, v, p, s, at, g } = payload as Partial<Payload>;
  if (typeof id !== 'string' || !VISITOR_ID.test(id)) return null;
  if (typeof v !== 'string' || !isStringList(p) || !isStringList(s)) return null;
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return null;
  if (g !== '' && g !== 'honoured' && g !== 'opt-in') return null;
  return { visitorId: id, catalogueVersion: v, purposes: p, partners: s, at: new Date(at), gpc: g };
}

/** True once the choice is 13 months old: the banner asks again (P40). */
export function isChoiceExpired(choice: StoredChoice, now: Date = new Date()): boolean {
  return now.getTime() - choice.at.getTime() >= CHOICE_LIFETIME_SECONDS * 1000;
}
