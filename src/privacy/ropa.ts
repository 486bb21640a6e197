/**
 * The record of processing activities (UK GDPR Art. 30), generated from the data map, the
 * purpose catalogue and the partner registry, so that it always says what the code does.
 * One activity per owner and purpose: "Newsletters: Newsletters", "The forum…: Safeguarding".
 * `hearth privacy ropa [--format csv|json]` prints it.
 */
import {
  columnCategory,
  isPersonalTable,
  isSecretColumn,
  isSpecialColumn,
  type PersonalTable,
} from '../platform/datamap.js';
import { LEGAL_BASES } from './purposes.js';
import { countryName, isRestrictedTransfer, listPartners, type Partner } from './partners.js';
import { loadNoticeProse, type NoticeFacts } from './notice/notice.prose.js';
import { purposeFacts } from './notice/notice.snapshot.js';
import { columnWords, isListedCategory, retentionWords } from './notice/notice.words.js';
import type { PrivacyRegistry } from './registry.js';

export interface RopaActivity {
  /** "<feature>: <purpose>". */
  activity: string;
  owner: string;
  tables: string[];
  purpose: string;
  purposeTitle: string;
  description: string;
  /** e.g. "Art. 6(1)(b) Contract". */
  legalBasis: string;
  specialCategoryCondition: string | null;
  dataSubjects: string[];
  dataCategories: string[];
  recipients: string[];
  transfers: string[];
  retention: string[];
  sources: string[];
  securityMeasures: string;
}

export interface Ropa {
  generatedAt: string;
  controller: NoticeFacts['controller'];
  dataProtectionOfficer: NoticeFacts['dataProtectionOfficer'];
  activities: RopaActivity[];
}

/** What Hearth itself does for every table; activity-specific measures are added to it. */
const BASE_SECURITY_MEASURES =
  'Staff access by role with two-factor sign-in; access to private data recorded in a hash-chained audit log; retention rules applied daily by an automated job; legal and safeguarding holds; erasure on request through one engine.';

function basisLabel(basis: string): string {
  const known = (LEGAL_BASES as Record<string, { article: string; title: string } | undefined>)[
    basis
  ];
  return known ? `${known.article} ${known.title}` : 'Not in the purpose catalogue';
}

function rolesOf(registry: PrivacyRegistry, table: PersonalTable, depth = 0): string[] {
  const roles = table.subjects.map((subject) => subject.role);
  if (table.via && depth < 8) {
    const parent = registry.tables.get(table.via.table)?.table;
    if (parent && isPersonalTable(parent)) roles.push(...rolesOf(registry, parent, depth + 1));
  }
  return roles;
}

function addUnique(list: string[], ...values: string[]): void {
  for (const value of values) if (!list.includes(value)) list.push(value);
}

function featureTitle(owner: string, facts: NoticeFacts): string {
  return facts.features[owner]?.title ?? owner;
}

export function buildRopa(
  registry: PrivacyRegistry,
  options: { facts?: NoticeFacts; partners?: readonly Partner[]; now?: Date } = {},
): Ropa {
  const facts = options.facts ?? loadNoticeProse().facts;
  const partners = options.partners ?? listPartners();
  const activities = new Map<string, RopaActivity & { special: boolean; secret: boolean }>();

  for (const [tableName, { owner, table }] of registry.tables) {
    if (!isPersonalTable(table)) continue;
    const key = `${owner}\u0000${table.purpose}`;
    let activity = activities.get(key);
    if (!activity) {
      const purpose = purposeFacts(table.purpose, partners);
      const recipients = partners.filter((partner) => purpose.recipients.includes(partner.id));
      activity = {
        activity: `${featureTitle(owner, facts)}: ${purpose.title}`,
        owner,
        tables: [],
        purpose: table.purpose,
        purposeTitle: purpose.title,
        description: purpose.description,
        legalBasis: basisLabel(purpose.basis),
        specialCategoryCondition: purpose.specialCondition,
        dataSubjects: [],
        dataCategories: [],
        recipients: recipients.map(
          (partner) =>
            `${partner.name} (${partner.role === 'processor' ? 'processor' : 'independent controller'})`,
        ),
        transfers: recipients
          .filter((partner) => isRestrictedTransfer(partner.country))
          .map(
            (partner) =>
              `${partner.name}, ${countryName(partner.country)}: ${partner.safeguard ?? 'no safeguard'}`,
          ),
        retention: [],
        sources: [],
        securityMeasures: BASE_SECURITY_MEASURES,
        special: false,
        secret: false,
      };
      activities.set(key, activity);
    }
    activity.tables.push(tableName);
    addUnique(activity.dataSubjects, ...rolesOf(registry, table));
    for (const column of Object.values(table.columns)) {
      if (!isListedCategory(columnCategory(column))) continue;
      addUnique(
        activity.dataCategories,
        isSpecialColumn(column) ? `${columnWords(column)} (special category)` : columnWords(column),
      );
      if (isSpecialColumn(column)) activity.special = true;
      if (isSecretColumn(column)) activity.secret = true;
    }
    for (const rule of table.retention)
      addUnique(activity.retention, retentionWords(rule, table.columns));
    addUnique(activity.sources, table.source ?? 'member');
  }

  return {
    generatedAt: (options.now ?? new Date()).toISOString(),
    controller: facts.controller,
    dataProtectionOfficer: facts.dataProtectionOfficer,
    activities: [...activities.values()].map(({ special, secret, ...activity }) => ({
      ...activity,
      securityMeasures: [
        activity.securityMeasures,
        ...(special ? ['Special-category data is shown only to the roles that need it.'] : []),
        ...(secret
          ? ['Passwords and secrets are stored only as one-way hashes and never exported.']
          : []),
      ].join(' '),
    })),
  };
}

const CSV_COLUMNS: readonly { header: string; value: (activity: RopaActivity) => string }[] = [
  { header: 'Processing activity', value: (a) => a.activity },
  { header: 'Owner', value: (a) => a.owner },
  { header: 'Tables', value: (a) => a.tables.join('; ') },
  { header: 'Purpose', value: (a) => a.purpose },
  { header: 'Purpose title', value: (a) => a.purposeTitle },
  { header: 'Description', value: (a) => a.description },
  { header: 'Legal basis', value: (a) => a.legalBasis },
  { header: 'Art. 9 condition', value: (a) => a.specialCategoryCondition ?? '' },
  { header: 'Data subjects', value: (a) => a.dataSubjects.join('; ') },
  { header: 'Data categories', value: (a) => a.dataCategories.join('; ') },
  { header: 'Recipients', value: (a) => a.recipients.join('; ') },
  { header: 'Transfers and safeguards', value: (a) => a.transfers.join('; ') },
  { header: 'Retention', value: (a) => a.retention.join(' ') },
  { header: 'Sources', value: (a) => a.sources.join('; ') },
  { header: 'Security measures', value: (a) => a.securityMeasures },
];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled.
 * A field that a spreadsheet would run as a formula gets a leading apostrophe, since this file
 * is made to be opened in one.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The record as CSV: a header line, then one line per activity, CRLF line ends (RFC 4180). */
export function ropaToCsv(ropa: Ropa): string {
  const lines = [
    CSV_COLUMNS.map((column) => csvField(column.header)).join(','),
    ...ropa.activities.map((activity) =>
      CSV_COLUMNS.map((column) => csvField(column.value(activity))).join(','),
    ),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

export function ropaToJson(ropa: Ropa): string {
  return `${JSON.stringify(ropa, null, 2)}\n`;
}
