import { describe, expect, it } from 'vitest';
import {
  CHOICE_LIFETIME_SECONDS,
  decodeChoice,
  deriveChoiceKey,
  encodeChoice,
  isChoiceExpired,
  newVisitorId,
  type StoredChoice,
} from './cookies.choice-cookie.js';

const key = deriveChoiceKey('a-secret-key-long-enough-for-the-tests-0123456789');
const choice: StoredChoice = {
  visitorId: newVisitorId(),
  catalogueVersion: '0123456789abcdef',
  purposes: ['analytics'],
  partners: ['web-analytics'],
  at: new Date('2026-11-29T10:00:00.000Z'),
  gpc: '',
};

describe('the choice cookie', () => {
  it('reads back what it stored', () => {
    expect(decodeChoice(key, encodeChoice(key, choice))).toEqual(choice);
  });

  it('P28 refuses a value altered, signed with another key, or malformed', () => {
    const value = encodeChoice(key, choice);
    const [body = '', signature = ''] = value.split('.');
    const widened = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(body, 'base64url').toString()),
        p: ['advertising'],
      }),
    ).toString('base64url');
    expect(decodeChoice(key, `${widened}.${signature}`)).toBeNull();
    expect(
      decodeChoice(deriveChoiceKey('another-secret-key-entirely-0123456789'), value),
    ).toBeNull();
    for (const bad of ['', 'x', `${value}.extra`, `${body}.`, '.sig', 'a'.repeat(5000)]) {
      expect(decodeChoice(key, bad)).toBeNull();
    }
    // Well signed but not the shape: refused too.
    const odd = Buffer.from(
      JSON.stringify({ id: 'short', v: 'x', p: [], s: [], at: 'x', g: '' }),
    ).toString('base64url');
    const signed = encodeChoice(key, choice).split('.')[1];
    expect(decodeChoice(key, `${odd}.${signed}`)).toBeNull();
  });

  it('P40 lasts 13 months: a choice is in force until then, and not after', () => {
    const lifetime = CHOICE_LIFETIME_SECONDS * 1000;
    const at = choice.at.getTime();
    expect(isChoiceExpired(choice, new Date(at + lifetime - 1000))).toBe(false);
    expect(isChoiceExpired(choice, new Date(at + lifetime))).toBe(true);
    // 13 months: between 395 and 396 days.
    expect(lifetime / 86_400_000).toBeGreaterThan(395);
    expect(lifetime / 86_400_000).toBeLessThan(396);
  });

  it('makes visitor ids of 128 random bits, never the same twice', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newVisitorId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
