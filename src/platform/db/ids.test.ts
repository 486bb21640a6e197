import { describe, expect, it } from 'vitest';
import { newId, newToken } from './ids.js';

describe('ids', () => {
  it('are 26 Crockford base32 characters that sort by creation time', () => {
    const ids = Array.from({ length: 2000 }, () => newId());
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('encode the creation time first', () => {
    expect(newId(Date.UTC(2030, 0, 1)) > newId(Date.UTC(2029, 0, 1))).toBe(true);
  });

  it('make unguessable tokens', () => {
    const token = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(token);
  });
});
