import { describe, expect, it } from 'vitest';
import { deriveOidcCookieKey, safeNextPath, sealValue, unsealValue } from './accounts.oidc.js';
import {
  REAUTHENTICATED_AT_KEY,
  REAUTHENTICATION_WINDOW_MS,
  hasRecentSocialReauthentication,
  reauthenticationHref,
} from './reauthentication.js';

const key = deriveOidcCookieKey('test-secret-key-that-is-long-enough-0123456789');

describe('sealed social log-in cookies', () => {
  it('open with the same key and purpose, before they expire', () => {
    const sealed = sealValue(key, 'flow', { state: 'abc', nonce: 'def' }, 60_000);
    expect(unsealValue(key, 'flow', sealed)).toEqual({ state: 'abc', nonce: 'def' });
  });

  it('refuse another purpose, another key, a changed byte, an expired value and junk', () => {
    const sealed = sealValue(key, 'flow', { state: 'abc' }, 60_000);
    expect(unsealValue(key, 'pending', sealed)).toBeNull();
    expect(
      unsealValue(deriveOidcCookieKey('another secret key, also long enough!!'), 'flow', sealed),
    ).toBeNull();
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[14] = (bytes[14] ?? 0) ^ 1;
    expect(unsealValue(key, 'flow', bytes.toString('base64url'))).toBeNull();
    expect(unsealValue(key, 'flow', sealValue(key, 'flow', { state: 'abc' }, -1))).toBeNull();
    expect(unsealValue(key, 'flow', undefined)).toBeNull();
    expect(unsealValue(key, 'flow', 'not sealed at all')).toBeNull();
  });
});

describe('where a log-in goes afterwards', () => {
  it.each([
    ['/account', '/account'],
    ['/forum?page=2', '/forum?page=2'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['/line\nbreak', '/'],
    [undefined, '/'],
  ])('%s goes to %s', (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });
});

describe('social re-authentication window', () => {
  const now = new Date('2027-01-10T12:00:00.000Z');
  const at = (offsetMs: number) => ({
    [REAUTHENTICATED_AT_KEY]: new Date(now.getTime() + offsetMs).toISOString(),
  });

  it('counts a fresh one, up to the edge of the window, and nothing older or in the future', () => {
    expect(hasRecentSocialReauthentication(at(-60_000), now)).toBe(true);
    expect(hasRecentSocialReauthentication(at(-REAUTHENTICATION_WINDOW_MS), now)).toBe(true);
    expect(hasRecentSocialReauthentication(at(-REAUTHENTICATION_WINDOW_MS - 1), now)).toBe(false);
    expect(hasRecentSocialReauthentication(at(60 * 60_000), now)).toBe(false);
    expect(hasRecentSocialReauthentication({}, now)).toBe(false);
    expect(hasRecentSocialReauthentication({ [REAUTHENTICATED_AT_KEY]: 'yesterday' }, now)).toBe(
      false,
    );
  });

  it('sends the member to their provider and back to a local page only', () => {
    expect(reauthenticationHref('google', '/account/privacy')).toBe(
      '/auth/oidc/google?reauth=1&next=%2Faccount%2Fprivacy',
    );
    expect(reauthenticationHref('google', '//evil.example')).toBe(
      '/auth/oidc/google?reauth=1&next=%2F',
    );
  });
});
