import { describe, expect, it } from 'vitest';
import { findFreeName, pseudonymCandidate, usernameCandidate } from './accounts.names.js';

describe('usernames and anonymous names', () => {
  it('P03 makes a username from the first name and the surname initial', () => {
    expect(usernameCandidate('sarah', 'khan', 0)).toMatch(/^SarahK\d{2}$/);
    expect(usernameCandidate('Zoë', "O'Brien", 0)).toMatch(/^ZoeO\d{2}$/);
    expect(usernameCandidate('Анна', 'Іванова', 0)).toMatch(/^Member\d{2}$/);
    // Repeated clashes widen the number.
    expect(usernameCandidate('Sam', 'Lee', 9)).toMatch(/^SamL\d{5}$/);
  });

  it('P37 draws a pseudonym unrelated to the real name', () => {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      expect(pseudonymCandidate(0)).toMatch(/^[A-Z][a-z]+[A-Z][a-z]+\d{3}$/);
    }
  });

  it('tries candidates until one is free, and gives up in the end', async () => {
    const taken = new Set(['a0', 'a1']);
    await expect(
      findFreeName(
        (n) => `a${n}`,
        (name) => Promise.resolve(taken.has(name)),
      ),
    ).resolves.toBe('a2');
    await expect(
      findFreeName(
        () => 'a0',
        () => Promise.resolve(true),
        3,
      ),
    ).rejects.toThrow(/3 attempts/);
  });
});
