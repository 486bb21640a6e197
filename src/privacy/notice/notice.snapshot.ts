/**
 * A published notice is a snapshot: the operator's prose, and what the data map, the purpose
 * catalogue and the partner registry said at the moment of publishing. Old versions therefore
 * render exactly as they were published, whatever the code says today (P57).
 *
 * The snapshot's shape is a TypeBox schema because the same object is the JSON of
 * `GET /api/v1/privacy/notice` and appears in the OpenAPI document.
 */
import { Type, type Static } from 'typebox';
import {
  columnCategory,
  isPersonalTable,
  type DataCategory,
  type PersonalTable,
} from '../../platform/datamap.js';
import {
  countryName,
  isRestrictedTransfer,
  listPartners,
  recipientsForPurpose,
  type Partner,
} from '../partners.js';
import { PURPOSES } from '../purposes.js';
import type { PrivacyRegistry } from '../registry.js';
import type { NoticeProse } from './notice.prose.js';
import {
  basisWords,
  categoryWords,
  columnWords,
  isListedCategory,
  isSpecial,
  retentionWords,
} from './notice.words.js';

const Str = Type.String();
const StrList = Type.Array(Type.String());

export const CollectedItemSchema = Type.Object({
  category: Str,
  text: Str,
  /** Art. 9 special-category data. */
  special: Type.Boolean(),
});

export const PurposeFactsSchema = Type.Object({
  key: Str,
  title: Str,
  description: Str,
  /** The Art. 6 basis key (`consent`, `contract`, …), or `unknown` for a purpose missing from the catalogue. */
  basis: Str,
  basisText: Str,
  /** The Art. 9 condition, where the purpose processes special-category data. */
  specialCondition: Type.Union([Str, Type.Null()]),
  /** Partner ids. */
  recipients: StrList,
});

export const FeaturePurposeSchema = Type.Object({
  purpose: PurposeFactsSchema,
  /** What the feature's tables hold for this purpose, in words. */
  records: StrList,
  collects: Type.Array(CollectedItemSchema),
  retention: StrList,
});

export const FeatureSchema = Type.Object({
  owner: Str,
  title: Str,
  description: Str,
  purposes: Type.Array(FeaturePurposeSchema),
});

export const PartnerFactsSchema = Type.Object({
  id: Str,
  name: Str,
  role: Type.Union([Type.Literal('processor'), Type.Literal('independent')]),
  description: Str,
  /** Purpose keys. */
  purposes: StrList,
  categories: Type.Array(Type.Object({ category: Str, text: Str })),
  country: Str,
  countryName: Str,
  /** True when data goes outside the UK and the EEA. */
  isTransfer: Type.Boolean(),
  safeguard: Type.Union([Str, Type.Null()]),
});

export const NoticeContentSchema = Type.Object({
  /** Bumped if the snapshot's shape ever changes, so old versions can still be read. */
  format: Type.Literal(1),
  controller: Type.Object({ name: Str, email: Str, address: Str }),
  dataProtectionOfficer: Type.Object({ name: Str, email: Str, address: Str }),
  supervisoryAuthority: Type.Object({ name: Str, website: Str, complaintsUrl: Str, phone: Str }),
  helpEmail: Str,
  sections: Type.Array(Type.Object({ key: Str, title: Str, markdown: Str })),
  /** Every purpose the notice mentions (by features, partners or cookies), in catalogue order. */
  purposes: Type.Array(PurposeFactsSchema),
  features: Type.Array(FeatureSchema),
  partners: Type.Array(PartnerFactsSchema),
  transfers: Type.Array(
    Type.Object({
      partnerId: Str,
      partnerName: Str,
      country: Str,
      countryName: Str,
      safeguard: Str,
    }),
  ),
  cookies: Type.Object({
    essential: Type.Array(Type.Object({ name: Str, purpose: Str, lasts: Str })),
    optional: Type.Array(PurposeFactsSchema),
    choicesLast: Str,
  }),
});

export type NoticeContent = Static<typeof NoticeContentSchema>;
export type PurposeFacts = Static<typeof PurposeFactsSchema>;
export type Feature = Static<typeof FeatureSchema>;

type CatalogueEntry = (typeof PURPOSES)[keyof typeof PURPOSES];

function findPurpose(key: string): CatalogueEntry | undefined {
  return Object.hasOwn(PURPOSES, key)
    ? (PURPOSES as Record<string, CatalogueEntry>)[key]
    : undefined;
}

/** A purpose as the notice states it, with the partners that receive data for it. */
export function purposeFacts(key: string, partners: readonly Partner[]): PurposeFacts {
  const recipients = recipientsForPurpose(key, partners).map((partner) => partner.id);
  const entry = findPurpose(key);
  if (!entry) {
    // The data-map integrity test rejects unknown purposes; a fixture or a half-built module
    // still gets an honest line rather than a crash at boot.
    return {
      key,
      title: key,
      description: 'This purpose is not yet described in the purpose catalogue.',
      basis: 'unknown',
      basisText: 'Not yet stated',
      specialCondition: null,
      recipients,
    };
  }
  return {
    key,
    title: entry.title,
    description: entry.description,
    basis: entry.basis,
    basisText: basisWords(entry.basis),
    specialCondition: entry.special?.condition ?? null,
    recipients,
  };
}

function uniquePush<T>(list: T[], value: T, same: (a: T, b: T) => boolean = (a, b) => a === b) {
  if (!list.some((existing) => same(existing, value))) list.push(value);
}

function ownerTitle(owner: string, prose: NoticeProse): { title: string; description: string } {
  const configured = prose.facts.features[owner];
  if (configured) return configured;
  const words = owner.replace(/[-_]/g, ' ');
  return { title: `${words.charAt(0).toUpperCase()}${words.slice(1)}`, description: '' };
}

/** Per owner, per purpose: what is collected, why, on what basis, for how long, for whom. */
function buildFeatures(
  registry: PrivacyRegistry,
  prose: NoticeProse,
  partners: readonly Partner[],
): Feature[] {
  const features: Feature[] = [];
  for (const { owner } of registry.owners) {
    const tables: PersonalTable[] = [];
    for (const { owner: tableOwner, table } of registry.tables.values()) {
      if (tableOwner === owner && isPersonalTable(table)) tables.push(table);
    }
    if (tables.length === 0) continue;
    const byPurpose = new Map<string, Feature['purposes'][number]>();
    for (const table of tables) {
      let entry = byPurpose.get(table.purpose);
      if (!entry) {
        entry = {
          purpose: purposeFacts(table.purpose, partners),
          records: [],
          collects: [],
          retention: [],
        };
        byPurpose.set(table.purpose, entry);
      }
      if (table.description) uniquePush(entry.records, table.description);
      for (const column of Object.values(table.columns)) {
        const category: DataCategory = columnCategory(column);
        // Every personal table links to an account; saying so on every line adds nothing.
        if (!isListedCategory(category) || category === 'user.id') continue;
        uniquePush(
          entry.collects,
          { category, text: columnWords(column), special: isSpecial(column) },
          (a, b) => a.text === b.text,
        );
      }
      for (const rule of table.retention)
        uniquePush(entry.retention, retentionWords(rule, table.columns));
    }
    const { title, description } = ownerTitle(owner, prose);
    features.push({ owner, title, description, purposes: [...byPurpose.values()] });
  }
  return features;
}

function partnerFacts(partner: Partner) {
  return {
    id: partner.id,
    name: partner.name,
    role: partner.role,
    description: partner.description,
    purposes: [...partner.purposes],
    categories: partner.categories.map((category) => ({ category, text: categoryWords(category) })),
    country: partner.country,
    countryName: countryName(partner.country),
    isTransfer: isRestrictedTransfer(partner.country),
    safeguard: partner.safeguard,
  };
}

/** Gathers everything a version of the notice states. Pure: reads no database. */
export function buildNoticeSnapshot(
  registry: PrivacyRegistry,
  prose: NoticeProse,
  partners: readonly Partner[] = listPartners(),
): NoticeContent {
  const { facts } = prose;
  const features = buildFeatures(registry, prose, partners);
  const mentioned = new Set<string>([
    ...features.flatMap((feature) => feature.purposes.map((entry) => entry.purpose.key)),
    ...partners.flatMap((partner) => partner.purposes),
    ...facts.cookies.optionalPurposes.filter((key) => findPurpose(key) !== undefined),
  ]);
  const catalogueOrder = Object.keys(PURPOSES);
  const purposeKeys = [...mentioned].sort((a, b) => {
    const rank = (key: string) => {
      const index = catalogueOrder.indexOf(key);
      return index === -1 ? catalogueOrder.length : index;
    };
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  return {
    format: 1,
    controller: { ...facts.controller },
    dataProtectionOfficer: { ...facts.dataProtectionOfficer },
    supervisoryAuthority: { ...facts.supervisoryAuthority },
    helpEmail: facts.helpEmail,
    sections: prose.sections.map((section) => ({ ...section })),
    purposes: purposeKeys.map((key) => purposeFacts(key, partners)),
    features,
    partners: partners.map(partnerFacts),
    transfers: partners
      .filter((partner) => isRestrictedTransfer(partner.country))
      .map((partner) => ({
        partnerId: partner.id,
        partnerName: partner.name,
        country: partner.country,
        countryName: countryName(partner.country),
        // partners.ts refuses a restricted transfer without a safeguard.
        safeguard: partner.safeguard ?? '',
      })),
    cookies: {
      essential: facts.cookies.essential.map((cookie) => ({ ...cookie })),
      optional: facts.cookies.optionalPurposes
        .filter((key) => findPurpose(key) !== undefined)
        .map((key) => purposeFacts(key, partners)),
      choicesLast: facts.cookies.choicesLast,
    },
  };
}
