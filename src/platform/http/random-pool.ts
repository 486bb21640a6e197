/**
 * Random values for every request (the CSP nonce, the CSRF cookie) drawn from a pool that is
 * refilled from the operating system's CSPRNG 4 KiB at a time, as Node's own `randomUUID`
 * does. One `randomBytes` call per request cost a system call each (measured: ~3% of a page
 * view); the bytes are the same CSPRNG output and no byte is ever handed out twice.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/** `size` fresh random bytes, encoded. */
export function randomString(size: number, encoding: 'base64' | 'base64url'): string {
  if (size > POOL_BYTES) return randomBytes(size).toString(encoding);
  if (offset + size > pool.length) {
    // A new buffer, never a refill in place: strings already made stay as they are.
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const value = pool.toString(encoding, offset, offset + size);
  offset += size;
  return value;
}
