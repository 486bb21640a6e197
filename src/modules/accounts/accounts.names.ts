/**
 * The two public names of a member (CONTEXT.md):
 *
 * - the **username**, made from the registration data (P03): the first name, the surname's
 *   initial and a number ("SarahK482"), so other members recognise a friend without seeing
 *   the whole surname;
 * - the **anonymous name** (P37), a pseudonym of an adjective, a noun and a number
 *   ("QuietHeron418"), drawn at random and never from the real name, so nobody can link it to
 *   the member's username.
 *
 * Both are unique (the columns are). Candidates carry random numbers, so a clash is rare; the
 * caller checks each candidate and, since a concurrent registration can still take it between
 * the check and the insert, retries on a unique violation.
 */
import { randomInt } from 'node:crypto';

/** Letters and digits of a name, accents dropped, at most `max` characters. */
function asciiLetters(text: string, max: number): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, max);
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
}

/**
 * A username candidate from the registration data: `SarahK` plus a number of 2 to 4 digits,
 * the number growing with `attempt` so repeated clashes find a free name quickly. A name with
 * no Latin letters at all (written in another script) becomes "Member".
 */
export function usernameCandidate(firstName: string, surname: string, attempt: number): string {
  const first = capitalise(asciiLetters(firstName, 20)) || 'Member';
  const initial = asciiLetters(surname, 1).toUpperCase();
  const digits = Math.min(2 + Math.floor(attempt / 3), 6);
  const number = randomInt(10 ** (digits - 1), 10 ** digits);
  return `${first}${initial}${number}`;
}

/** Gentle, neutral words: a pseudonym should say nothing about the person. */
const ADJECTIVES = [
  'Amber',
  'Autumn',
  'Bright',
  'Calm',
  'Clever',
  'Cosy',
  'Curious',
  'Daring',
  'Gentle',
  'Golden',
  'Happy',
  'Hazel',
  'Honest',
  'Jolly',
  'Kind',
  'Lively',
  'Lucky',
  'Mellow',
  'Merry',
  'Misty',
  'Patient',
  'Peaceful',
  'Plucky',
  'Quiet',
  'Rosy',
  'Silver',
  'Snowy',
  'Sunny',
  'Swift',
  'Tidy',
  'Velvet',
  'Warm',
  'Willow',
  'Wise',
  'Witty',
  'Breezy',
  'Cheerful',
  'Dappled',
  'Frosty',
  'Mossy',
] as const;

const NOUNS = [
  'Acorn',
  'Badger',
  'Bramble',
  'Brook',
  'Bumblebee',
  'Clover',
  'Comet',
  'Daisy',
  'Dove',
  'Fern',
  'Finch',
  'Fox',
  'Hare',
  'Hedgehog',
  'Heron',
  'Kestrel',
  'Lark',
  'Maple',
  'Meadow',
  'Moth',
  'Otter',
  'Owl',
  'Pebble',
  'Puffin',
  'Rabbit',
  'Raven',
  'Robin',
  'Rowan',
  'Sparrow',
  'Squirrel',
  'Swallow',
  'Thistle',
  'Wren',
  'Willow',
  'Harbour',
  'Lantern',
  'Marigold',
  'Poppy',
  'Teasel',
  'Vole',
] as const;

function pick<T>(list: readonly T[]): T {
  const item = list[randomInt(list.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** An anonymous-name candidate: adjective, noun and a number of 3 to 6 digits. */
export function pseudonymCandidate(attempt: number): string {
  const digits = Math.min(3 + Math.floor(attempt / 3), 6);
  return `${pick(ADJECTIVES)}${pick(NOUNS)}${randomInt(10 ** (digits - 1), 10 ** digits)}`;
}

/** Tries candidates until `isTaken` says one is free; throws after `maxAttempts`. */
export async function findFreeName(
  candidate: (attempt: number) => string,
  isTaken: (name: string) => Promise<boolean>,
  maxAttempts = 12,
): Promise<string> {
  for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
    const name = candidate(attempt);
    if (!(await isTaken(name))) return name;
  }
  throw new Error(`No free name after ${maxAttempts} attempts`);
}
