import { describe, expect, it } from 'vitest';
import { generateTotpSecret } from './totp.js';
import { decryptTotpSecret, encryptTotpSecret, TotpSecretUnreadableError } from './totp-secret.js';

const KEY = 'test-secret-key-that-is-long-enough-0123456789';
const OTHER_KEY = 'another-secret-key-that-is-long-enough-987654321';

describe('TOTP secrets at rest', () => {
  it('round-trips a secret, and never stores it in the clear', () => {
    const secret = generateTotpSecret();
    const stored = encryptTotpSecret(KEY, secret);
    expect(stored).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(stored).not.toContain(secret);
    expect(decryptTotpSecret(KEY, stored)).toBe(secret);
  });

  it('seals the same secret differently each time (a fresh IV)', () => {
    const secret = generateTotpSecret();
    expect(encryptTotpSecret(KEY, secret)).not.toBe(encryptTotpSecret(KEY, secret));
  });

  it('refuses a value sealed under another key', () => {
    const stored = encryptTotpSecret(OTHER_KEY, generateTotpSecret());
    expect(() => decryptTotpSecret(KEY, stored)).toThrow(TotpSecretUnreadableError);
  });

  it('refuses a tampered ciphertext or tag', () => {
    const stored = encryptTotpSecret(KEY, generateTotpSecret());
    const parts = stored.split('.');
    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64url');
    };
    const badCiphertext = [parts[0], parts[1], flip(parts[2] ?? ''), parts[3]].join('.');
    const badTag = [parts[0], parts[1], parts[2], flip(parts[3] ?? '')].join('.');
    expect(() => decryptTotpSecret(KEY, badCiphertext)).toThrow(TotpSecretUnreadableError);
    expect(() => decryptTotpSecret(KEY, badTag)).toThrow(TotpSecretUnreadableError);
  });

  it('refuses a plain secret or an unknown format instead of guessing', () => {
    expect(() => decryptTotpSecret(KEY, 'JBSWY3DPEHPK3PXP')).toThrow(/unknown format/);
    expect(() => decryptTotpSecret(KEY, 'v2.a.b.c')).toThrow(/unknown format/);
    expect(() => decryptTotpSecret(KEY, 'v1.a.b.c')).toThrow(/malformed/);
  });
});
