import { describe, expect, it } from 'vitest';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  checkPassword,
  loadCommonPasswords,
} from './common-passwords.js';

const alex = { email: 'alex.morgan@example.test', firstName: 'Alex', surname: 'Morgan' };

describe('checkPassword (NIST SP 800-63B)', () => {
  it('accepts long passphrases and mixed passwords without composition rules', () => {
    expect(checkPassword('correct horse battery staple', alex)).toBeNull();
    expect(checkPassword('tulip kettle marathon', alex)).toBeNull();
    // No digit, no capital, no symbol: still fine, length is what counts.
    expect(checkPassword('bluewhalecinema', alex)).toBeNull();
    expect(checkPassword('Xq7#mP2v', alex)).toBeNull();
  });

  it('needs at least 8 and at most 256 characters, counted as characters not bytes', () => {
    expect(checkPassword('gh7#kq2', alex)).toMatch(/at least 8 characters/);
    expect(checkPassword('gh7#kq2z', alex)).toBeNull();
    // Eight characters of four bytes each are eight characters.
    expect(checkPassword('🌲🦊🌙⛵🍵🎻🐝🍄', alex)).toBeNull();
    expect(checkPassword('x'.repeat(MAX_PASSWORD_LENGTH + 1), alex)).toMatch(/at most 256/);
    const longest = Array.from({ length: MAX_PASSWORD_LENGTH }, (_, i) =>
      String.fromCharCode(97 + ((i * 7) % 26)),
    ).join('');
    expect(checkPassword(longest, alex)).toBeNull();
    expect(MIN_PASSWORD_LENGTH).toBe(8);
  });

  it('refuses common and breached passwords, in any case and with a little decoration', () => {
    for (const password of [
      'password',
      'PASSWORD1',
      'Passw0rd',
      'iloveyou',
      'sunshine123!',
      'football',
      'Liverpool1',
      '1monkey12',
      'trustno1',
      'qwerty123',
    ]) {
      expect(checkPassword(password, alex), password).toMatch(/too common/);
    }
  });

  it('refuses the member’s own name, email and the site’s name', () => {
    expect(checkPassword('alex.morgan@example.test', alex)).toMatch(/name or email/);
    expect(checkPassword('AlexMorgan', alex)).toMatch(/name or email/);
    expect(checkPassword('morgan1987', alex)).toMatch(/name or email/);
    expect(checkPassword('alex.morgan', alex)).toMatch(/name or email/);
    expect(checkPassword('Hearth2026!', alex)).toMatch(/name of this site/);
    expect(checkPassword('hearthhearth', alex)).toMatch(/name of this site/);
    // A name inside a longer passphrase is fine.
    expect(checkPassword('alex climbs snowy hills', alex)).toBeNull();
  });

  it('refuses repetitions, sequences and keyboard rows', () => {
    for (const password of [
      'aaaaaaaa',
      'abcabcabc',
      '12121212',
      '12345678',
      '87654321',
      'abcdefghij',
      'qwertyui',
      'asdfghjkl',
      'zyxwvuts',
    ]) {
      expect(checkPassword(password, alex), password).toMatch(/repeated characters/);
    }
  });
});

describe('the shipped common-password list', () => {
  it('holds over a thousand lower-case entries, without the comments', () => {
    const list = loadCommonPasswords();
    expect(list.size).toBeGreaterThan(1000);
    for (const entry of list) {
      expect(entry).toBe(entry.toLowerCase());
      expect(entry.startsWith('#')).toBe(false);
    }
    expect(list.has('123456')).toBe(true);
  });
});
