/**
 * The Art. 15 facts of an export: for each table the member's data was found in, why it is
 * processed (purposes), on what legal basis, who receives it, how long it is kept and where it
 * came from, in words, from the same declarations that drive the published notice.
 */
import {
  columnCategory,
  isPersonalTable,
  type PersonalTable,
  type TableDeclaration,
} from '../../platform/datamap.js';
import {
  BASIS_WORDS,
  durationWords,
  columnWords,
  isListedCategory,
  retentionWords,
} from '../notice/notice.words.js';
import { countryName, recipientsForPurpose } from '../partners.js';
import { LEGAL_BASES, isPurposeKey, PURPOSES } from '../purposes.js';

export interface RecipientFact {
  name: string;
  country: string;
  /** The transfer safeguard outside the UK and EEA; null inside. */
  safeguard: string | null;
  /** `processor` acts for us under contract; `independent` is its own controller. */
  role: string;
}

export interface PurposeFact {
  key: string;
  title: string;
  description: string;
  legalBasis: string;
  legalBasisWords: string;
  /** The Art. 9 condition, where the purpose involves special-category data. */
  specialCondition: string | null;
  recipientsNote: string | null;
  recipients: RecipientFact[];
}

export interface TableFacts {
  owner: string;
  table: string;
  description: string | null;
  /** The kinds of personal data the table holds, in words (including any never exported). */
  categories: string[];
  purposes: PurposeFact[];
  retention: string[];
  erasure: string;
  source: string;
}

const SOURCE_WORDS: Readonly<Record<NonNullable<PersonalTable['source']>, string>> = {
  member: 'You gave it to us.',
  staff: 'Our staff recorded it.',
  system: 'Hearth recorded it as you used the service.',
  partner: 'A partner sent it to us.',
  derived: 'Hearth worked it out from other data about you.',
};

export function purposeFact(key: string): PurposeFact {
  if (!isPurposeKey(key)) {
    // The integrity check refuses undeclared purposes; an export still says what it knows.
    return {
      key,
      title: key,
      description: 'This purpose is not described in the catalogue.',
      legalBasis: 'unknown',
      legalBasisWords: 'Not stated.',
      specialCondition: null,
      recipientsNote: null,
      recipients: [],
    };
  }
  const purpose = PURPOSES[key];
  return {
    key,
    title: purpose.title,
    description: purpose.description,
    legalBasis: `${LEGAL_BASES[purpose.basis].title} (${LEGAL_BASES[purpose.basis].article})`,
    legalBasisWords: BASIS_WORDS[purpose.basis],
    specialCondition: purpose.special?.condition ?? null,
    recipientsNote: purpose.recipientsNote,
    recipients: recipientsForPurpose(key).map((partner) => ({
      name: partner.name,
      country: countryName(partner.country),
      safeguard: partner.safeguard,
      role: partner.role,
    })),
  };
}

export function erasureWords(table: PersonalTable): string {
  const erasure = table.erasure;
  if (erasure === 'delete') return 'Deleted when you ask us to erase your data.';
  if ('anonymise' in erasure) {
    return 'Kept without your name when you ask us to erase your data: the link to you and the details that identify you are removed.';
  }
  return `Kept when you ask us to erase your data, for ${durationWords(erasure.retain.for)}: ${erasure.retain.reason}`;
}

/** The facts for a declared personal table. */
export function tableFacts(owner: string, table: string, declaration: PersonalTable): TableFacts {
  const categories = [
    ...new Set(
      Object.values(declaration.columns)
        .filter((column) => isListedCategory(columnCategory(column)))
        .map((column) => columnWords(column)),
    ),
  ];
  return {
    owner,
    table,
    description: declaration.description ?? null,
    categories,
    purposes: [purposeFact(declaration.purpose)],
    retention: declaration.retention.map((rule) => retentionWords(rule, declaration.columns)),
    erasure: erasureWords(declaration),
    source: SOURCE_WORDS[declaration.source ?? 'member'],
  };
}

/**
 * The facts for records an owner's export hook produced outside its declared tables: the
 * owner's purposes and rules, drawn from the tables it declares.
 */
export function hookFacts(
  owner: string,
  table: string,
  ownerTables: Readonly<Record<string, TableDeclaration>>,
): TableFacts {
  const personal = Object.values(ownerTables).filter(isPersonalTable);
  const purposes = [...new Set(personal.map((declaration) => declaration.purpose))];
  return {
    owner,
    table,
    description: `Records kept by ${owner} alongside its tables.`,
    categories: [],
    purposes: purposes.map(purposeFact),
    retention: [
      ...new Set(
        personal.flatMap((declaration) =>
          declaration.retention.map((rule) => retentionWords(rule, declaration.columns)),
        ),
      ),
    ],
    erasure: 'Erased together with the tables they belong to.',
    source: SOURCE_WORDS.system,
  };
}
