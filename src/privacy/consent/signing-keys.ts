/**
 * The Ed25519 keys that sign consent receipts. They live in the database so that every process
 * on every machine signs with the same current key and publishes the same set of public keys
 * (DESIGN.md §2, scale-out). The private half is encrypted at rest with a key derived from the
 * application secret, so a copy of the database alone cannot forge receipts.
 *
 * Lifecycle: one key per algorithm is current (a partial unique index enforces it, which also
 * makes creating the first key race-safe across processes). Rotation retires the current key
 * and wipes its private half: it can never sign again, but its public half stays published so
 * every receipt it signed still verifies.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { tablesOf, type AnyTables, type DbExecutor } from '../../platform/db/database.js';
import { nowTime } from '../../platform/db/portable.js';
import type { ConsentTables, SigningKeysTable } from './consent.tables.js';
import { inTransaction } from './in-transaction.js';

export const RECEIPT_ALGORITHM = 'EdDSA';

/** A key ready to sign. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublishedJwk;
}

/** A public key as published in `/.well-known/jwks.json`. */
export interface PublishedJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: typeof RECEIPT_ALGORITHM;
  use: 'sig';
}

const ENCRYPTION_FORMAT = 'v1';

/**
 * The key-encryption key, derived rather than the secret itself so that the secret's other uses
 * (CSRF, link signing) and this one can never be confused.
 */
function deriveEncryptionKey(secret: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', secret, 'hearth/consent-receipts', 'signing-key-encryption/v1', 32),
  );
}

/** AES-256-GCM with the kid as associated data, so a ciphertext cannot be moved to another row. */
export function encryptPrivateKey(privateKey: KeyObject, kid: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveEncryptionKey(secret), iv);
  cipher.setAAD(Buffer.from(kid));
  const plain = privateKey.export({ format: 'der', type: 'pkcs8' });
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return [
    ENCRYPTION_FORMAT,
    iv.toString('base64url'),
    sealed.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

/** The private key, or null when it was sealed under another secret (or tampered with). */
export function decryptPrivateKey(sealed: string, kid: string, secret: string): KeyObject | null {
  const [format, iv, body, tag] = sealed.split('.');
  if (format !== ENCRYPTION_FORMAT || !iv || !body || !tag) return null;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      deriveEncryptionKey(secret),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]);
    return createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
  } catch {
    return null;
  }
}

function toPublishedJwk(row: Pick<SigningKeysTable, 'kid' | 'public_jwk'>): PublishedJwk {
  const jwk = JSON.parse(row.public_jwk) as { x: string };
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: row.kid, alg: RECEIPT_ALGORITHM, use: 'sig' };
}

async function generateKeyRow(secret: string): Promise<SigningKeysTable> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  // The RFC 7638 thumbprint: a kid any verifier can recompute from the public key itself.
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '' });
  return {
    kid,
    algorithm: RECEIPT_ALGORITHM,
    public_jwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }),
    private_key_encrypted: encryptPrivateKey(privateKey, kid, secret),
    created_at: nowTime(),
    retired_at: null,
  };
}

async function selectCurrentKey(db: Kysely<ConsentTables>): Promise<SigningKeysTable | undefined> {
  return db
    .selectFrom('privacy_signing_keys')
    .selectAll()
    .where('algorithm', '=', RECEIPT_ALGORITHM)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
}

/** Inserts a new current key unless another process got there first (the partial index decides). */
async function insertKeyUnlessOneIsCurrent(
  db: Kysely<ConsentTables>,
  row: SigningKeysTable,
): Promise<void> {
  await db
    .insertInto('privacy_signing_keys')
    .values(row)
    .onConflict((conflict) =>
      conflict.column('algorithm').where('retired_at', 'is', null).doNothing(),
    )
    .execute();
}

async function retireCurrentKey(db: Kysely<ConsentTables>): Promise<void> {
  await db
    .updateTable('privacy_signing_keys')
    .set({ retired_at: nowTime(), private_key_encrypted: null })
    .where('algorithm', '=', RECEIPT_ALGORITHM)
    .where('retired_at', 'is', null)
    .execute();
}

/**
 * The current key cannot be unsealed with this process's secret: SECRET_KEY changed, or
 * processes run with different secrets. Retiring the key automatically would let two such
 * processes retire each other's keys without end, so an operator decides: fix the secret, or
 * rotate (which needs no old secret) to start signing with a new key.
 */
export class SigningKeyUnavailableError extends Error {
  constructor(readonly kid: string) {
    super(
      `The consent-receipt signing key ${kid} was sealed under a different SECRET_KEY: ` +
        'restore the previous secret, or rotate the receipt signing key',
    );
    this.name = 'SigningKeyUnavailableError';
  }
}

/**
 * The current signing key, created on first use. Safe when several processes call it at once:
 * exactly one key becomes current and all of them sign with it.
 */
export async function ensureSigningKey(
  executor: DbExecutor<AnyTables>,
  secret: string,
): Promise<SigningKey> {
  const db = tablesOf<ConsentTables>(executor);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const current = await selectCurrentKey(db);
    if (current) {
      const privateKey =
        current.private_key_encrypted === null
          ? null
          : decryptPrivateKey(current.private_key_encrypted, current.kid, secret);
      if (!privateKey) throw new SigningKeyUnavailableError(current.kid);
      return { kid: current.kid, privateKey, publicJwk: toPublishedJwk(current) };
    }
    // Absent: create one; if another process wins the race, the next read returns its key.
    await insertKeyUnlessOneIsCurrent(db, await generateKeyRow(secret));
  }
  throw new Error('Could not establish a consent-receipt signing key');
}

/**
 * Retires the current key and makes a new one current. Receipts signed before keep verifying
 * with the retired key, which stays published. Two rotations at the same instant yield one new
 * key (the second finds the first's key already current and keeps it).
 */
export async function rotateSigningKey(
  executor: DbExecutor<AnyTables>,
  secret: string,
): Promise<SigningKey> {
  await inTransaction(executor, async (trx) => {
    const db = tablesOf<ConsentTables>(trx);
    await retireCurrentKey(db);
    await insertKeyUnlessOneIsCurrent(db, await generateKeyRow(secret));
  });
  return ensureSigningKey(executor, secret);
}

/**
 * Every public key still needed to verify a kept receipt: all keys in the table, current and
 * retired, newest first. A key leaves this list only when its row is deleted, which nothing
 * does while receipts it signed are kept.
 */
export async function listVerificationKeys(
  executor: DbExecutor<AnyTables>,
): Promise<PublishedJwk[]> {
  const rows = await tablesOf<ConsentTables>(executor)
    .selectFrom('privacy_signing_keys')
    .select(['kid', 'public_jwk'])
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .execute();
  return rows.map(toPublishedJwk);
}
