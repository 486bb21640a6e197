import { CompactSign, compactVerify, createLocalJWKSet, decodeJwt, type JSONWebKeySet } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { makeSubjectId } from '../../../test/privacy/consent-factories.js';
import { recordConsent, type RecordConsentInput } from './consent.service.js';
import { receiptIssuerFor } from './receipts.js';
import { rotateSigningKey } from './signing-keys.js';

describeEachDialect('GET /.well-known/jwks.json', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app.close();
  });

  const record = (overrides: Partial<RecordConsentInput> = {}) =>
    recordConsent(
      app.db,
      {
        subjectId: makeSubjectId(),
        subjectKind: 'member',
        purpose: 'newsletter',
        scope: 'newsletter:general',
        granted: true,
        method: 'form',
        noticeVersion: 1,
        ...overrides,
      },
      receiptIssuerFor(app),
    );

  /** The published key set, fetched the way any outside verifier would. */
  async function fetchPublishedKeys(): Promise<JSONWebKeySet> {
    const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    return response.json<JSONWebKeySet>();
  }

  it('publishes an empty set before any receipt was signed', async () => {
    expect(await fetchPublishedKeys()).toEqual({ keys: [] });
  });

  it('a receipt verifies with the published keys alone', async () => {
    const { receipt, event } = await record();
    const published = await fetchPublishedKeys();
    expect(published.keys).toHaveLength(1);
    expect(published.keys[0]).toMatchObject({
      kid: receipt.kid,
      alg: 'EdDSA',
      use: 'sig',
      kty: 'OKP',
      crv: 'Ed25519',
    });
    expect(published.keys[0]).not.toHaveProperty('d');

    const { payload, protectedHeader } = await compactVerify(
      receipt.jws,
      createLocalJWKSet(published),
    );
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: receipt.kid });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: app.config.publicUrl,
      policyUrl: `${app.config.publicUrl}/privacy`,
      consentReceiptID: receipt.id,
      hearth: { eventId: event.id, granted: true, scope: 'newsletter:general' },
    });
    // piiCategory comes from the live data map; the newsletter tables may not exist yet.
    expect(Array.isArray(decodeJwt(receipt.jws).services)).toBe(true);
  });

  it('after a rotation, old and new receipts both verify with the published set', async () => {
    const before = await record({ purpose: 'analytics', scope: '', method: 'cmp' });
    await rotateSigningKey(app.db, app.secretKey);
    const after = await record({ purpose: 'analytics', scope: '', method: 'cmp', granted: false });
    expect(after.receipt.kid).not.toBe(before.receipt.kid);

    const published = await fetchPublishedKeys();
    expect(published.keys.map((key) => key.kid)).toEqual(
      expect.arrayContaining([before.receipt.kid, after.receipt.kid]),
    );
    const keySet = createLocalJWKSet(published);
    for (const receipt of [before.receipt, after.receipt]) {
      const { protectedHeader } = await compactVerify(receipt.jws, keySet);
      expect(protectedHeader.kid).toBe(receipt.kid);
    }
  });

  it('a tampered receipt, or one signed by a key we never published, does not verify', async () => {
    const { receipt } = await record();
    const keySet = createLocalJWKSet(await fetchPublishedKeys());

    const [header, payload, signature] = receipt.jws.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as {
      hearth: { granted: boolean };
    };
    claims.hearth.granted = false;
    const tampered = [
      header,
      Buffer.from(JSON.stringify(claims)).toString('base64url'),
      signature,
    ].join('.');
    await expect(compactVerify(tampered, keySet)).rejects.toThrow();

    const stranger = generateKeyPairSync('ed25519').privateKey;
    const forged = await new CompactSign(Buffer.from(payload ?? '', 'base64url'))
      .setProtectedHeader({ alg: 'EdDSA', kid: receipt.kid, typ: 'JWT' })
      .sign(stranger);
    await expect(compactVerify(forged, keySet)).rejects.toThrow();
  });
});
