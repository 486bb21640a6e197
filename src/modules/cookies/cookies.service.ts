/**
 * Recording a cookie choice (DESIGN.md §5.9). One choice becomes, in one transaction:
 *
 * - a row in `cookies_choices`: the choice as made, whole;
 * - consent-ledger events for every cookie purpose (`analytics`, `advertising-cookies`,
 *   `personalised-advertising`: each rests on consent), purpose-wide, and, for a purpose
 *   allowed, one per partner offering it (`vendor:<partner>`), under the visitor's pseudonymous
 *   id and, when logged in, the member's id too. A refused purpose needs no per-partner events:
 *   a purpose-wide withdrawal covers every scope.
 *
 * A refusal that Global Privacy Control made is recorded with the method `gpc`.
 */
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { recordConsent, type ReceiptIssuer } from '../../privacy/consent/index.js';
import { currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import { cookiePurposesOf, GPC_PURPOSE_KEYS, type CookieCatalogue } from './cookies.catalogue.js';
import type { StoredChoice } from './cookies.choice-cookie.js';
import type { CookiesTables, GpcState } from './cookies.tables.js';

export interface CookieChoiceInput {
  visitorId: string;
  /** The logged-in member, whose own ledger records the choice too. */
  memberId: string | null;
  purposes: readonly string[];
  partners: readonly string[];
  /** `honoured`: GPC refused the advertising purposes; `opt-in`: allowed despite GPC. */
  gpc: GpcState;
  /** `gpc` when the browser's signal made this choice by itself, `cmp` when the person did. */
  method: 'cmp' | 'gpc';
  at?: Date;
}

/** Refuses purposes and partners the settings do not offer, naming them. */
export function checkChoice(
  catalogue: CookieCatalogue,
  purposes: readonly string[],
  partners: readonly string[],
): { purposes: string[]; partners: string[] } {
  const offeredPurposes = new Set<string>(catalogue.purposes.map((purpose) => purpose.key));
  const offeredPartners = new Set(catalogue.partners.map((partner) => partner.id));
  const fields: Record<string, string> = {};
  const unknownPurposes = purposes.filter((key) => !offeredPurposes.has(key));
  const unknownPartners = partners.filter((id) => !offeredPartners.has(id));
  if (unknownPurposes.length > 0) {
    fields.purposes = `Not a cookie purpose: ${unknownPurposes.join(', ')}. Offered: ${[...offeredPurposes].join(', ')}`;
  }
  if (unknownPartners.length > 0) {
    fields.partners = `Not a partner in the cookie settings: ${unknownPartners.join(', ')}. Offered: ${[...offeredPartners].join(', ')}`;
  }
  if (Object.keys(fields).length > 0) {
    throw new AppError('validation_failed', Object.values(fields).join(' '), { fields });
  }
  // Catalogue order, without repeats, so equal choices look equal.
  return {
    purposes: catalogue.purposes
      .map((purpose) => purpose.key)
      .filter((key) => purposes.includes(key)),
    partners: catalogue.partners.map((partner) => partner.id).filter((id) => partners.includes(id)),
  };
}

/** Records one choice (see the file comment) and returns what the choice cookie must carry. */
export async function recordCookieChoice(
  db: DbExecutor,
  issuer: ReceiptIssuer,
  catalogue: CookieCatalogue,
  input: CookieChoiceInput,
): Promise<StoredChoice> {
  const { purposes, partners } = checkChoice(catalogue, input.purposes, input.partners);
  const at = input.at ?? new Date();
  const choice: StoredChoice = {
    visitorId: input.visitorId,
    catalogueVersion: catalogue.version,
    purposes,
    partners,
    at,
    gpc: input.gpc,
  };
  await db.transaction().execute(async (trx) => {
    const noticeVersion = await currentNoticeVersion(trx);
    if (noticeVersion === null && purposes.length > 0) {
      // Consent given before any notice was published would not be informed consent.
      throw new AppError(
        'conflict',
        'No privacy notice is published yet, so optional cookies cannot be allowed.',
      );
    }
    await tablesOf<CookiesTables>(trx)
      .insertInto('cookies_choices')
      .values({
        id: newId(),
        visitor_id: input.visitorId,
        member_id: input.memberId,
        purposes: JSON.stringify(purposes),
        partners: JSON.stringify(partners),
        catalogue_version: catalogue.version,
        method: input.method,
        gpc: input.gpc,
        at: toDbTime(at),
      })
      .execute();
    // With no notice published nothing is allowed (checked above), and a refusal of consent
    // never given changes nothing the ledger must prove.
    if (noticeVersion === null) return;
    const subjects = [
      { subjectId: input.visitorId, subjectKind: 'visitor' as const },
      ...(input.memberId ? [{ subjectId: input.memberId, subjectKind: 'member' as const }] : []),
    ];
    for (const subject of subjects) {
      for (const purpose of catalogue.purposes) {
        if (!purpose.isConsentBased) continue;
        const granted = purposes.includes(purpose.key);
        const refusedByGpc =
          !granted && input.gpc === 'honoured' && GPC_PURPOSE_KEYS.includes(purpose.key);
        const common = { ...subject, purpose: purpose.key, noticeVersion, at };
        await recordConsent(
          trx,
          { ...common, scope: '', granted, method: refusedByGpc ? 'gpc' : 'cmp' },
          issuer,
        );
        if (!granted) continue;
        for (const partner of catalogue.partners) {
          if (!cookiePurposesOf(partner).includes(purpose.key)) continue;
          await recordConsent(
            trx,
            {
              ...common,
              scope: `vendor:${partner.id}`,
              granted: partners.includes(partner.id),
              method: 'cmp',
            },
            issuer,
          );
        }
      }
    }
  });
  return choice;
}

/** Every purpose and partner on offer: the "Accept all" choice. */
export function everything(catalogue: CookieCatalogue): { purposes: string[]; partners: string[] } {
  return {
    purposes: catalogue.purposes.map((purpose) => purpose.key),
    partners: catalogue.partners.map((partner) => partner.id),
  };
}
