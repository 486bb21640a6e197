/**
 * TOTP secrets at rest. A stolen database backup must not hand out second factors, so the
 * base32 secret in `accounts_users.totp_secret` is sealed with AES-256-GCM under a key derived
 * from the instance's `secretKey` (HKDF-SHA256 with its own label, so it never equals the CSRF
 * or receipt keys derived from the same secret). GCM's tag makes a tampered or foreign value
 * fail loudly instead of yielding a wrong secret.
 *
 * Stored form: `v1.<iv>.<ciphertext>.<tag>`, each part base64url; the version prefix lets a
 * later key or algorithm change re-seal secrets without guessing what it is reading.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const STORED_VERSION = 'v1';
const KEY_LABEL = 'hearth totp secret v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when a stored value cannot be opened: wrong key, tampering or an unknown format. */
export class TotpSecretUnreadableError extends Error {
  constructor(reason: string) {
    super(`TOTP secret cannot be read: ${reason}`);
    this.name = 'TotpSecretUnreadableError';
  }
}

function deriveTotpKey(secretKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), KEY_LABEL, 32));
}

/** Seals a base32 TOTP secret for `accounts_users.totp_secret`. */
export function encryptTotpSecret(secretKey: string, secretBase32: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveTotpKey(secretKey), iv);
  const ciphertext = Buffer.concat([cipher.update(secretBase32, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    STORED_VERSION,
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
}

/** Opens a value written by `encryptTotpSecret`, returning the base32 secret. */
export function decryptTotpSecret(secretKey: string, stored: string): string {
  const parts = stored.split('.');
  if (parts.length !== 4 || parts[0] !== STORED_VERSION) {
    throw new TotpSecretUnreadableError('unknown format');
  }
  const iv = Buffer.from(parts[1] ?? '', 'base64url');
  const ciphertext = Buffer.from(parts[2] ?? '', 'base64url');
  const tag = Buffer.from(parts[3] ?? '', 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new TotpSecretUnreadableError('malformed parts');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveTotpKey(secretKey), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new TotpSecretUnreadableError('authentication failed');
  }
}
