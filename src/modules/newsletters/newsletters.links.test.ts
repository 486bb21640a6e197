import { describe, expect, it } from 'vitest';
import {
  isSameSitePath,
  listUnsubscribeHeaders,
  signNewsletterToken,
  signedNewsletterLink,
  verifyNewsletterToken,
} from './newsletters.links.js';

const SECRET = 'links-test-secret-key-long-enough-for-hearth';

describe('signed newsletter links', () => {
  it('round-trips claims through a url-safe, versioned token', () => {
    const token = signNewsletterToken(SECRET, {
      purpose: 'unsubscribe',
      userId: 'user-1',
      listKey: 'baby-monthly',
      babyId: 'baby-9',
    });
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyNewsletterToken(SECRET, token)).toEqual({
      purpose: 'unsubscribe',
      userId: 'user-1',
      listKey: 'baby-monthly',
      babyId: 'baby-9',
    });
  });

  it('refuses tokens with a changed payload, another key, another version or junk', () => {
    const token = signNewsletterToken(SECRET, { purpose: 'link', userId: 'a', listKey: 'general' });
    const [version, , signature] = token.split('.');
    const forged = `${version}.${Buffer.from('{"p":"link","u":"b","l":"general"}').toString('base64url')}.${signature}`;
    expect(verifyNewsletterToken(SECRET, forged)).toBeNull();
    expect(verifyNewsletterToken(`${SECRET}!`, token)).toBeNull();
    expect(verifyNewsletterToken(SECRET, token.replace(/^v1/, 'v2'))).toBeNull();
    for (const junk of ['', 'a.b.c', 'x'.repeat(600), 42, null, undefined]) {
      expect(verifyNewsletterToken(SECRET, junk)).toBeNull();
    }
  });

  it('builds RFC 8058 headers under PUBLIC_URL', () => {
    const headers = listUnsubscribeHeaders('https://hearth.example', SECRET, {
      userId: 'u',
      listKey: 'general',
    });
    expect(headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/hearth\.example\/newsletters\/unsubscribe\?token=v1\.[^>]+>$/,
    );
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('links only to paths on this site', () => {
    expect(isSameSitePath('/guides/sleep?x=1')).toBe(true);
    for (const target of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example',
      'x',
      '/a\nb',
    ]) {
      expect(isSameSitePath(target)).toBe(false);
    }
    expect(() =>
      signedNewsletterLink('https://hearth.example', SECRET, {
        userId: 'u',
        listKey: 'general',
        target: 'https://evil.example',
      }),
    ).toThrow();
  });
});
