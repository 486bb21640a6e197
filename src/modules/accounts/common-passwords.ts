/**
 * The password rule, after NIST SP 800-63B §5.1.1.2: length is what counts (at least 8
 * characters, at most 256), there are no composition rules ("one digit, one symbol"), and a
 * password is refused when it is on a list of commonly used or breached passwords, or is only
 * the member's own name, email address, the site's name, a repetition or a sequence: the first
 * things an attacker tries. Messages say what to do in plain words.
 */
import fs from 'node:fs';

export const MIN_PASSWORD_LENGTH = 8;
/** Generous enough for any passphrase or manager; bounds the hashing work a request can ask for. */
export const MAX_PASSWORD_LENGTH = 256;

export const COMMON_PASSWORDS_FILE = new URL('./data/common-passwords.txt', import.meta.url);

export interface PasswordContext {
  email: string;
  firstName: string;
  surname: string;
}

/** Digits and symbols around a name that still leave it "only the name" (a year, "!!"). */
const MAX_DECORATION = 6;

/** Words a password may not merely be, whoever the member: the site's own name. */
const SITE_WORDS = ['hearth'];

/** Keyboard rows and the alphabet, read forwards and backwards, for "is it a sequence?". */
const SEQUENCES = [
  'abcdefghijklmnopqrstuvwxyz',
  '01234567890',
  'qwertyuiop',
  'asdfghjkl',
  'zxcvbnm',
  'qwertzuiop',
  'azertyuiop',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p',
  'qazwsxedcrfvtgbyhnujmikolp',
];

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * The shipped list, one password a line, lower-cased; `#` lines are comments. Read once: the
 * file is about 10 kB and every registration and password change consults it.
 */
export function loadCommonPasswords(file: URL | string = COMMON_PASSWORDS_FILE): Set<string> {
  const entries = new Set<string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const entry = line.trim().toLowerCase();
    if (entry !== '' && !entry.startsWith('#')) entries.add(entry);
  }
  return entries;
}

function commonPasswordSet(): ReadonlySet<string> {
  commonPasswords ??= loadCommonPasswords();
  return commonPasswords;
}

/** Lower case, compatibility-normalised (NIST: NFKC), so "Ｐａｓｓｗｏｒｄ" is "password". */
function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** Only letters: "J.Smith-1990!" → "jsmith". Names and emails are compared this way. */
function lettersOf(text: string): string {
  return fold(text).replace(/[^\p{L}]/gu, '');
}

/**
 * The password with the decorations people add to a weak word stripped from its end and start:
 * trailing digits and symbols ("monkey123!"), leading ones ("1monkey"). At most four on each
 * side, so a word plus a long number is not stripped down to the word.
 */
function undecorated(password: string): string {
  return password.replace(/^[\d\W_]{1,4}(?=\p{L})/u, '').replace(/(?<=\p{L})[\d\W_]{1,4}$/u, '');
}

/** True for one short unit said again and again: "aaaaaaaa", "abcabcabc", "12121212". */
function isRepetition(password: string): boolean {
  const characters = [...password];
  for (let unit = 1; unit <= Math.floor(characters.length / 2); unit += 1) {
    if (characters.length % unit !== 0 || unit > 4) continue;
    const first = characters.slice(0, unit).join('');
    if (first.repeat(characters.length / unit) === password) return true;
  }
  return false;
}

/** True for a run along the alphabet, the digits or a keyboard row, either way: "87654321". */
function isSequence(password: string): boolean {
  if (password.length < 3) return false;
  return SEQUENCES.some((sequence) => {
    const reversed = [...sequence].reverse().join('');
    return sequence.includes(password) || reversed.includes(password);
  });
}

/**
 * Why `password` may not be used, in plain words, or null when it is fine. Length counts
 * characters (code points), not bytes, so a passphrase in any script is measured fairly.
 */
export function checkPassword(password: string, context: PasswordContext): string | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong one that is easy to remember.`;
  }
  if (length > MAX_PASSWORD_LENGTH) {
    return `Choose a password of at most ${MAX_PASSWORD_LENGTH} characters.`;
  }

  const folded = fold(password);
  const compact = folded.replace(/\s+/g, '');
  const letters = lettersOf(password);
  const emailLocalPart = context.email.split('@')[0] ?? '';
  const personal = [
    lettersOf(context.email),
    lettersOf(emailLocalPart),
    lettersOf(context.firstName),
    lettersOf(context.surname),
    lettersOf(`${context.firstName}${context.surname}`),
    lettersOf(`${context.surname}${context.firstName}`),
  ].filter((word) => word.length >= 2);
  // "Only the name" allows a little decoration: "Alex1987!" is still only "alex".
  const isLittleDecorated = [...compact].length - [...letters].length <= MAX_DECORATION;
  const isOnly = (word: string) =>
    letters !== '' && isLittleDecorated && letters.replaceAll(word, '') === '';
  const isOnlyPersonal = fold(context.email.trim()) === folded || personal.some(isOnly);
  if (isOnlyPersonal) {
    return 'Do not use your name or email address as your password: they are the first things someone would try.';
  }
  if (SITE_WORDS.some(isOnly)) {
    return 'Do not use the name of this site as your password: it is the first thing someone would try.';
  }
  if (isRepetition(compact) || isSequence(compact)) {
    return 'Avoid repeated characters and simple sequences such as "aaaaaaaa", "12345678" or "qwertyui". A few unrelated words make a strong password.';
  }
  const common = commonPasswordSet();
  if (common.has(folded) || common.has(compact) || common.has(undecorated(compact))) {
    return 'This password is too common: it is on lists of the passwords people use most, which attackers try first. Choose something harder to guess, such as a few unrelated words.';
  }
  return null;
}
