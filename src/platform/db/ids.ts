/**
 * Ids are strings (DESIGN.md §6). They are time-ordered (48-bit millisecond time, then 80 random
 * bits, Crockford base32, the ULID layout) so that cursor pagination by id follows creation order
 * and index inserts stay local, and they reveal nothing but the creation time.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = 0;
let lastRandom = new Uint8Array(10);

function encode(value: bigint, length: number): string {
  let out = '';
  for (let index = 0; index < length; index += 1) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A new id, monotonic within this process even for ids made in the same millisecond. With an
 * explicit `time` (back-dated rows in imports and tests) the id carries that time and does not
 * disturb the process's sequence.
 */
export function newId(time?: number): string {
  if (time !== undefined) {
    let random = 0n;
    for (const byte of randomBytes(10)) random = (random << 8n) | BigInt(byte);
    return encode(BigInt(time), 10) + encode(random, 16);
  }
  let now = Date.now();
  if (now <= lastTime) {
    now = lastTime;
    const next = Uint8Array.from(lastRandom);
    for (let index = next.length - 1; index >= 0; index -= 1) {
      const byte = next[index] ?? 0;
      if (byte < 255) {
        next[index] = byte + 1;
        break;
      }
      next[index] = 0;
    }
    lastRandom = next;
  } else {
    lastTime = now;
    lastRandom = Uint8Array.from(randomBytes(10));
  }
  let random = 0n;
  for (const byte of lastRandom) random = (random << 8n) | BigInt(byte);
  return encode(BigInt(now), 10) + encode(random, 16);
}

/** A random token for links and sessions: 32 bytes, base64url. */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
