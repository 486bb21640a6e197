import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, totpCode, verifyTotp } from './totp.js';

// RFC 6238 Appendix B: the SHA-1 test secret is the ASCII string "12345678901234567890".
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'));

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC 4226 Appendix D HOTP values', () => {
    const secret = Buffer.from('12345678901234567890');
    expect([0, 1, 2, 9].map((counter) => hotp(secret, counter))).toEqual([
      '755224',
      '287082',
      '359152',
      '520489',
    ]);
  });

  it.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ])('matches the RFC 6238 test vector at T=%i', (seconds, code) => {
    expect(totpCode(RFC_SECRET, new Date(seconds * 1000))).toBe(code);
  });

  it('accepts one step of drift either side, not two', () => {
    const at = new Date(1234567890 * 1000);
    const code = totpCode(RFC_SECRET, at);
    expect(verifyTotp(RFC_SECRET, code, new Date(at.getTime() + 30_000))).not.toBeNull();
    expect(verifyTotp(RFC_SECRET, code, new Date(at.getTime() - 30_000))).not.toBeNull();
    expect(verifyTotp(RFC_SECRET, code, new Date(at.getTime() + 61_000))).toBeNull();
    expect(verifyTotp(RFC_SECRET, '12345', at)).toBeNull();
    expect(verifyTotp(RFC_SECRET, 'abcdef', at)).toBeNull();
  });

  it('round-trips base32', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    expect(() => base32Decode('not base32!')).toThrow();
  });
});
