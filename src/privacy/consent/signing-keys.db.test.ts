import { compactVerify, createLocalJWKSet } from 'jose';
import { expect, it } from 'vitest';
import { tablesOf } from '../../platform/db/database.js';
import { describeEachDialect, postgresOnly } from '../../../test/helpers/dialects.js';
import { TEST_SECRET, makeIssuer, makeSubjectId } from '../../../test/privacy/consent-factories.js';
import { recordConsent } from './consent.service.js';
import type { ConsentTables } from './consent.tables.js';
import {
  SigningKeyUnavailableError,
  decryptPrivateKey,
  ensureSigningKey,
  listVerificationKeys,
  rotateSigningKey,
} from './signing-keys.js';

describeEachDialect('receipt signing keys', (current, dialect) => {
  const itOnPostgres = postgresOnly(dialect);
  const keyRows = () =>
    tablesOf<ConsentTables>(current().db)
      .selectFrom('privacy_signing_keys')
      .selectAll()
      .orderBy('created_at')
      .execute();

  it('creates one current key even when several processes ask at once', async () => {
    const others = [current().openAnother(), current().openAnother()];
    const keys = await Promise.all([
      ensureSigningKey(current().db, TEST_SECRET),
      ...others.map((other) => ensureSigningKey(other.db, TEST_SECRET)),
      ensureSigningKey(current().db, TEST_SECRET),
    ]);
    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
    const rows = await keyRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ algorithm: 'EdDSA', retired_at: null });
  });

  it('seals the private half at rest: unreadable without the secret, bound to its kid', async () => {
    const key = await ensureSigningKey(current().db, TEST_SECRET);
    const [row] = await keyRows();
    const sealed = row?.private_key_encrypted ?? '';
    expect(sealed).toMatch(/^v1\./);
    const plainDer = key.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url');
    expect(sealed).not.toContain(plainDer.slice(-43));
    expect(decryptPrivateKey(sealed, key.kid, TEST_SECRET)).not.toBeNull();
    expect(decryptPrivateKey(sealed, key.kid, `${TEST_SECRET}-other`)).toBeNull();
    expect(decryptPrivateKey(sealed, 'another-kid', TEST_SECRET)).toBeNull();
    // The published half never carries private material.
    for (const jwk of await listVerificationKeys(current().db)) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    }
  });

  it('refuses to sign under a different secret rather than retiring keys behind the operator’s back', async () => {
    await ensureSigningKey(current().db, TEST_SECRET);
    await expect(ensureSigningKey(current().db, `${TEST_SECRET}-rotated`)).rejects.toBeInstanceOf(
      SigningKeyUnavailableError,
    );
    expect((await keyRows()).filter((row) => row.retired_at === null)).toHaveLength(1);
  });

  it('rotates: the new key signs, the old one is retired, wiped and still published', async () => {
    const issuer = makeIssuer();
    const subject = makeSubjectId();
    const before = await recordConsent(
      current().db,
      {
        subjectId: subject,
        subjectKind: 'member',
        purpose: 'analytics',
        granted: true,
        method: 'cmp',
        noticeVersion: 1,
      },
      issuer,
    );
    const rotated = await rotateSigningKey(current().db, TEST_SECRET);
    expect(rotated.kid).not.toBe(before.receipt.kid);
    const after = await recordConsent(
      current().db,
      {
        subjectId: subject,
        subjectKind: 'member',
        purpose: 'analytics',
        granted: false,
        method: 'cmp',
        noticeVersion: 1,
      },
      issuer,
    );
    expect(after.receipt.kid).toBe(rotated.kid);

    const rows = await keyRows();
    const old = rows.find((row) => row.kid === before.receipt.kid);
    expect(old?.retired_at).not.toBeNull();
    expect(old?.private_key_encrypted).toBeNull();
    expect(rows.filter((row) => row.retired_at === null).map((row) => row.kid)).toEqual([
      rotated.kid,
    ]);

    const published = createLocalJWKSet({ keys: await listVerificationKeys(current().db) });
    for (const receipt of [before.receipt, after.receipt]) {
      const { protectedHeader } = await compactVerify(receipt.jws, published);
      expect(protectedHeader.kid).toBe(receipt.kid);
    }
  });

  itOnPostgres('never leaves two current keys when two processes rotate at once', async () => {
    // Two SQLite connections in one test process would block each other's synchronous driver;
    // concurrent writers are PostgreSQL's case (SQLite serialises processes on the file lock).
    const before = await ensureSigningKey(current().db, TEST_SECRET);
    const keysBefore = (await keyRows()).length;
    const other = current().openAnother();
    const results = await Promise.all([
      rotateSigningKey(current().db, TEST_SECRET),
      rotateSigningKey(other.db, TEST_SECRET),
    ]);
    const rows = await keyRows();
    const active = rows.filter((row) => row.retired_at === null);
    expect(active).toHaveLength(1);
    expect(active[0]?.kid).not.toBe(before.kid);
    expect(results.map((key) => key.kid)).toContain(active[0]?.kid);
    // Overlapping rotations collapse into one new key; back-to-back ones make one each.
    expect(rows.length - keysBefore).toBeGreaterThanOrEqual(1);
    expect(rows.length - keysBefore).toBeLessThanOrEqual(2);
    // Every retired key has lost its private half.
    expect(
      rows
        .filter((row) => row.retired_at !== null)
        .every((row) => row.private_key_encrypted === null),
    ).toBe(true);
  });
});
