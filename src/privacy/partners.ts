/**
 * The partner registry (DESIGN.md §5.2, §5.8): everyone outside the operator who receives
 * personal data, for which purposes, which categories, in which country and under which
 * transfer safeguard. The shipped partners.json IS the operator's configuration: the notice
 * (P47, P51) and the record of processing are built from it, so it is checked when loaded and
 * a partner for an unknown purpose, or outside the UK and EEA without a safeguard, stops the
 * program rather than being published wrongly.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { DataCategory } from '../platform/datamap.js';
import { CATEGORY_WORDS } from './notice/notice.words.js';
import { PURPOSES } from './purposes.js';

export const PARTNERS_FILE = fileURLToPath(new URL('./partners.json', import.meta.url));

const CategorySchema = Type.Union(
  (Object.keys(CATEGORY_WORDS) as DataCategory[]).map((category) => Type.Literal(category)),
);

export const PartnerSchema = Type.Object(
  {
    /** A stable key, used in consent scopes (`vendor:<id>`) and in the notice's anchors. */
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    /** `processor`: acts for the operator under contract. `independent`: its own controller. */
    role: Type.Union([Type.Literal('processor'), Type.Literal('independent')]),
    purposes: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    categories: Type.Array(CategorySchema, { minItems: 1 }),
    /** ISO 3166-1 alpha-2 country where the data is processed. */
    country: Type.String({ pattern: '^[A-Z]{2}$' }),
    /** The transfer safeguard (Art. 46 or adequacy); null inside the UK and the EEA. */
    safeguard: Type.Union([Type.String({ minLength: 1, maxLength: 300 }), Type.Null()]),
    description: Type.String({ minLength: 1, maxLength: 1000 }),
    /**
     * The partner's scripts or tags run in the visitor's browser (an ad server, an analytics
     * tag): the cookie settings list it with its own switch, and pages load its tags only with
     * consent for its purposes and for the partner (P28). Absent: server-side only.
     */
    runsInBrowser: Type.Optional(Type.Boolean()),
    /** Its vendor id in the IAB Global Vendor List, when it takes part in TCF v2.2. */
    gvlVendorId: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /**
     * First-party cookies its tags set on our site: listed in the cookie settings, and expired
     * by Hearth when the visitor withdraws consent for the partner (P27).
     */
    cookies: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
            lasts: Type.String({ minLength: 1, maxLength: 100 }),
            description: Type.String({ minLength: 1, maxLength: 300 }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

/** TypeBox cannot infer a union built from a list, so the category list is typed here. */
export type Partner = Omit<Static<typeof PartnerSchema>, 'categories'> & {
  categories: DataCategory[];
};

const PartnersFileSchema = Type.Object(
  {
    $comment: Type.Optional(Type.String()),
    partners: Type.Array(PartnerSchema),
  },
  { additionalProperties: false },
);

/** The EEA (the 27 EU states, Iceland, Liechtenstein, Norway) and the UK: no transfer safeguard needed. */
const UK_AND_EEA = new Set([
  'GB',
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
  'IS',
  'LI',
  'NO',
]);

const COUNTRY_NAMES: Readonly<Record<string, string>> = {
  GB: 'United Kingdom',
  AT: 'Austria',
  BE: 'Belgium',
  BG: 'Bulgaria',
  HR: 'Croatia',
  CY: 'Cyprus',
  CZ: 'Czechia',
  DK: 'Denmark',
  EE: 'Estonia',
  FI: 'Finland',
  FR: 'France',
  DE: 'Germany',
  GR: 'Greece',
  HU: 'Hungary',
  IE: 'Ireland',
  IT: 'Italy',
  LV: 'Latvia',
  LT: 'Lithuania',
  LU: 'Luxembourg',
  MT: 'Malta',
  NL: 'Netherlands',
  PL: 'Poland',
  PT: 'Portugal',
  RO: 'Romania',
  SK: 'Slovakia',
  SI: 'Slovenia',
  ES: 'Spain',
  SE: 'Sweden',
  IS: 'Iceland',
  LI: 'Liechtenstein',
  NO: 'Norway',
  US: 'United States',
  CA: 'Canada',
  CH: 'Switzerland',
  AU: 'Australia',
  NZ: 'New Zealand',
  JP: 'Japan',
  KR: 'South Korea',
  IL: 'Israel',
  IN: 'India',
  SG: 'Singapore',
  ZA: 'South Africa',
  BR: 'Brazil',
};

export function countryName(code: string): string {
  return COUNTRY_NAMES[code] ?? code;
}

/** True when data sent to this country leaves the UK and the EEA (a restricted transfer). */
export function isRestrictedTransfer(country: string): boolean {
  return !UK_AND_EEA.has(country);
}

export class PartnerRegistryError extends Error {
  constructor(message: string) {
    super(`Partner registry: ${message}`);
    this.name = 'PartnerRegistryError';
  }
}

/**
 * Checks a parsed partners file: its shape, known purposes, unique ids, and a safeguard for
 * every restricted transfer (P51).
 */
export function parsePartners(
  input: unknown,
  knownPurposes: ReadonlySet<string> = new Set(Object.keys(PURPOSES)),
): Partner[] {
  if (!Value.Check(PartnersFileSchema, input)) {
    const problems = [...Value.Errors(PartnersFileSchema, input)]
      .slice(0, 5)
      .map((error) => `${error.instancePath || '/'} ${error.message}`);
    throw new PartnerRegistryError(`the file is not valid: ${problems.join('; ')}`);
  }
  const ids = new Set<string>();
  for (const partner of input.partners) {
    if (ids.has(partner.id))
      throw new PartnerRegistryError(`partner id "${partner.id}" is used twice`);
    ids.add(partner.id);
    for (const purpose of partner.purposes) {
      if (!knownPurposes.has(purpose)) {
        throw new PartnerRegistryError(
          `partner "${partner.id}" names unknown purpose "${purpose}"`,
        );
      }
    }
    if (partner.cookies && partner.cookies.length > 0 && partner.runsInBrowser !== true) {
      throw new PartnerRegistryError(
        `partner "${partner.id}" lists cookies but does not run in the browser (set "runsInBrowser": true)`,
      );
    }
    if (isRestrictedTransfer(partner.country) && partner.safeguard === null) {
      throw new PartnerRegistryError(
        `partner "${partner.id}" is in ${countryName(partner.country)}, outside the UK and EEA, and names no transfer safeguard`,
      );
    }
  }
  return input.partners;
}

export function loadPartners(file: string = PARTNERS_FILE): Partner[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PartnerRegistryError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parsePartners(parsed);
}

let cached: readonly Partner[] | undefined;

/** Every partner of the shipped registry, read and checked once. */
export function listPartners(): readonly Partner[] {
  cached ??= Object.freeze(loadPartners());
  return cached;
}

/** The registry id of Hearth's built-in demonstration ad server (served by the cookies module). */
export const DEMO_ADS_PARTNER_ID = 'demo-ads';

/**
 * The partners this deployment works with: the registry, less the demo ad partner unless the
 * operator switched it on (`DEMO_ADS`). A fresh install therefore neither runs nor names it.
 */
export function partnersInUse(
  config: { demoAds: boolean },
  partners: readonly Partner[] = listPartners(),
): Partner[] {
  return partners.filter((partner) => config.demoAds || partner.id !== DEMO_ADS_PARTNER_ID);
}

/** Partners whose tags run in the visitor's browser: the cookie settings list them. */
export function browserPartners(partners: readonly Partner[] = listPartners()): Partner[] {
  return partners.filter((partner) => partner.runsInBrowser === true);
}

/** Partners that receive personal data for a purpose. */
export function recipientsForPurpose(
  purpose: string,
  partners: readonly Partner[] = listPartners(),
): Partner[] {
  return partners.filter((partner) => partner.purposes.includes(purpose));
}
