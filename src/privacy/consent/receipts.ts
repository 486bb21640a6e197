/**
 * Consent receipts: each ledger event is signed into a compact JWS (`alg: EdDSA`, header `kid`)
 * whose payload follows the Kantara Initiative Consent Receipt Specification v1.1 (the fields
 * `version` … `spiCat`), plus Hearth's own claims under `hearth` (event id, granted or
 * withdrawn, scope, notice version). Anyone holding a receipt can check it with the public
 * keys at `/.well-known/jwks.json` alone.
 */
import { CompactSign } from 'jose';
import type { Config } from '../../config/config.js';
import {
  columnCategory,
  isPersonalTable,
  isSecretColumn,
  type DataCategory,
} from '../../platform/datamap.js';
import type { Purpose } from '../purposes.js';
import type { PrivacyRegistry } from '../registry.js';
import type { ConsentMethod, SubjectKind } from './consent.tables.js';
import { RECEIPT_ALGORITHM, type SigningKey } from './signing-keys.js';

export const KANTARA_RECEIPT_VERSION = 'KI-CR-v1.1.0';

/** Who issues receipts and where the notice lives: the fixed parts of every receipt. */
export interface ReceiptIssuer {
  /** The application secret; it unseals the signing key. */
  secret: string;
  /** The JWT `iss`: the site's public URL. */
  issuer: string;
  controller: { name: string; url: string; contact: string; email?: string };
  policyUrl: string;
  /** ISO 3166 code of the jurisdiction whose law governs the consent. */
  jurisdiction: string;
  /** BCP 47 language tag of the notice the person saw. */
  language: string;
  /** The data categories a purpose uses, for `piiCategory`; from the data map. */
  piiCategoriesFor(purpose: string): readonly string[];
}

/** The categories every personal table declares for a purpose, secrets excluded. */
export function piiCategoriesFromRegistry(
  registry: PrivacyRegistry,
): (purpose: string) => readonly string[] {
  const byPurpose = new Map<string, Set<DataCategory>>();
  for (const { table } of registry.tables.values()) {
    if (!isPersonalTable(table)) continue;
    const categories = byPurpose.get(table.purpose) ?? new Set<DataCategory>();
    for (const column of Object.values(table.columns)) {
      const category = columnCategory(column);
      if (category.startsWith('user.') && !isSecretColumn(column)) categories.add(category);
    }
    byPurpose.set(table.purpose, categories);
  }
  return (purpose) => [...(byPurpose.get(purpose) ?? [])].sort();
}

/**
 * The issuer for a running application. The controller is named by the site's host until the
 * operator's identity has configuration of its own; the notice at `policyUrl` names the DPO.
 */
export function receiptIssuerFor(app: {
  config: Pick<Config, 'publicUrl'>;
  secretKey: string;
  privacyRegistry: PrivacyRegistry;
}): ReceiptIssuer {
  const publicUrl = app.config.publicUrl;
  return {
    secret: app.secretKey,
    issuer: publicUrl,
    controller: {
      name: new URL(publicUrl).hostname,
      url: publicUrl,
      contact: `${publicUrl}/privacy`,
    },
    policyUrl: `${publicUrl}/privacy`,
    jurisdiction: 'GB',
    language: 'en-GB',
    piiCategoriesFor: piiCategoriesFromRegistry(app.privacyRegistry),
  };
}

/** What the receipt records about one ledger event. */
export interface ReceiptEvent {
  eventId: string;
  receiptId: string;
  subjectId: string;
  subjectKind: SubjectKind;
  purpose: Purpose;
  scope: string;
  granted: boolean;
  method: ConsentMethod;
  noticeVersion: number;
  at: Date;
}

const COLLECTION_METHODS: Readonly<Record<ConsentMethod, string>> = {
  form: 'Web form on the site',
  cmp: 'Cookie consent banner or preferences page',
  gpc: 'Global Privacy Control signal sent by the browser',
  'email-link': 'Link in an email',
  api: 'Hearth app through the API',
  import: 'Imported from an earlier record',
};

export interface ReceiptPayload {
  iss: string;
  iat: number;
  jti: string;
  version: string;
  jurisdiction: string;
  consentTimestamp: number;
  collectionMethod: string;
  consentReceiptID: string;
  language: string;
  piiPrincipalId: string;
  piiControllers: {
    piiController: string;
    contact: string;
    email?: string;
    piiControllerUrl: string;
  }[];
  policyUrl: string;
  services: {
    service: string;
    purposes: {
      purpose: string;
      purposeCategory: string[];
      consentType: 'EXPLICIT';
      piiCategory: string[];
      primaryPurpose: boolean;
      termination: string;
      thirdPartyDisclosure: boolean;
      thirdPartyName?: string;
    }[];
  }[];
  sensitive: boolean;
  spiCat: string[];
  hearth: {
    eventId: string;
    subjectKind: SubjectKind;
    purpose: string;
    scope: string;
    granted: boolean;
    withdrawn: boolean;
    method: ConsentMethod;
    noticeVersion: number;
  };
}

/** The recipient a scope names (`recipient:acme-toys…`), when the consent is to share data. */
export function recipientOfScope(scope: string): string | undefined {
  if (!scope.startsWith('recipient:')) return undefined;
  return scope.slice('recipient:'.length).split(':')[0];
}

export function buildReceiptPayload(issuer: ReceiptIssuer, event: ReceiptEvent): ReceiptPayload {
  const seconds = Math.floor(event.at.getTime() / 1000);
  const recipient = recipientOfScope(event.scope);
  const { purpose } = event;
  return {
    iss: issuer.issuer,
    iat: seconds,
    jti: event.receiptId,
    version: KANTARA_RECEIPT_VERSION,
    jurisdiction: issuer.jurisdiction,
    consentTimestamp: seconds,
    collectionMethod: COLLECTION_METHODS[event.method],
    consentReceiptID: event.receiptId,
    language: issuer.language,
    piiPrincipalId: event.subjectId,
    piiControllers: [
      {
        piiController: issuer.controller.name,
        contact: issuer.controller.contact,
        ...(issuer.controller.email ? { email: issuer.controller.email } : {}),
        piiControllerUrl: issuer.controller.url,
      },
    ],
    policyUrl: issuer.policyUrl,
    services: [
      {
        service: purpose.title,
        purposes: [
          {
            purpose:
              event.scope === '' ? purpose.description : `${purpose.description} (${event.scope})`,
            purposeCategory: [purpose.receiptCategory],
            consentType: 'EXPLICIT',
            piiCategory: [...issuer.piiCategoriesFor(purpose.key)],
            primaryPurpose: purpose.basis === 'contract',
            termination: purpose.withdrawal ?? 'Withdraw at any time in your privacy settings.',
            thirdPartyDisclosure: recipient !== undefined,
            ...(recipient !== undefined ? { thirdPartyName: recipient } : {}),
          },
        ],
      },
    ],
    sensitive: purpose.special !== undefined,
    spiCat: [...(purpose.special?.categories ?? [])],
    hearth: {
      eventId: event.eventId,
      subjectKind: event.subjectKind,
      purpose: purpose.key,
      scope: event.scope,
      granted: event.granted,
      withdrawn: !event.granted,
      method: event.method,
      noticeVersion: event.noticeVersion,
    },
  };
}

/** Signs a payload into a compact JWS with the current key. */
export async function signReceipt(key: SigningKey, payload: ReceiptPayload): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: RECEIPT_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}
