import { describe, expect, it } from 'vitest';
import { randomString } from './random-pool.js';

describe('pooled random values', () => {
  it('are never handed out twice, across pool refills', () => {
    const values = Array.from({ length: 2000 }, () => randomString(32, 'base64url'));
    for (const value of values) expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(values).size).toBe(values.length);
  });

  it('have the requested length in either alphabet (a CSP nonce is 16 bytes of base64)', () => {
    expect(randomString(16, 'base64')).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(randomString(5000, 'base64url')).toHaveLength(Math.ceil((5000 * 4) / 3));
  });
});
