/**
 * The data map in plain English, for the published notice and the record of processing. The
 * data map says `user.contact.email` and `{ after: 'P3Y', from: 'last_active_at' }`; a member
 * reads "email address" and "erased 3 years after your last activity".
 */
import {
  columnCategory,
  isSpecialColumn,
  parseDuration,
  type ColumnDeclaration,
  type DataCategory,
  type LegalBasis,
  type RetentionRule,
} from '../../platform/datamap.js';

/** How each personal category reads in the notice. System categories are not listed. */
export const CATEGORY_WORDS: Readonly<Record<DataCategory, string | null>> = {
  'system.id': null,
  'system.time': null,
  'system.state': null,
  'system.config': null,
  'system.secret': null,
  'system.hash': null,
  'system.operational': null,
  'user.id': 'a link to your account',
  'user.contact.email': 'email address',
  'user.contact.address': 'postal address',
  'user.contact.phone': 'phone number',
  'user.name': 'name',
  'user.name.display': 'the name shown to others',
  'user.location.coarse': 'your area (town or region)',
  'user.location.precise': 'your precise location',
  'user.health': 'health information, such as a pregnancy due date',
  'user.childrens': "information about your children, such as a baby's date of birth",
  'user.content.public': 'what you post publicly',
  'user.content.private': 'what you send privately',
  'user.preference': 'your choices and preferences',
  'user.behaviour': 'how you use the site',
  'user.device.ip': 'IP address',
  'user.device.agent': 'browser and device type',
  'user.device.cookie': 'cookie and device identifiers',
  'user.authentication': 'password (stored only as a one-way hash) and sign-in secrets',
};

/** Whether a category is personal data worth listing to a member. */
export function isListedCategory(category: DataCategory): boolean {
  return CATEGORY_WORDS[category] !== null;
}

export function categoryWords(category: DataCategory): string {
  return CATEGORY_WORDS[category] ?? category;
}

/** A column in words: its own description when it has one, else its category. */
export function columnWords(column: ColumnDeclaration): string {
  if (typeof column !== 'string' && column.description) return column.description;
  return categoryWords(columnCategory(column));
}

export function isSpecial(column: ColumnDeclaration): boolean {
  return isSpecialColumn(column);
}

export const BASIS_WORDS: Readonly<Record<LegalBasis, string>> = {
  consent: 'Your consent, which you can withdraw at any time',
  contract: 'Our contract with you: we need it to provide the service you signed up for',
  'legal-obligation': 'A legal obligation we must meet',
  'vital-interests': "To protect someone's life or safety (vital interests)",
  'public-task': 'A task carried out in the public interest',
  'legitimate-interests':
    'Our legitimate interests, balanced against yours; you can object at any time',
};

export function basisWords(basis: string): string {
  return (BASIS_WORDS as Record<string, string>)[basis] ?? basis;
}

/** `P3Y` → "3 years", `P1Y6M` → "1 year and 6 months", `PT12H` → "12 hours". */
export function durationWords(duration: string): string {
  const parts = parseDuration(duration);
  const words: string[] = [];
  const add = (count: number, unit: string) => {
    if (count > 0) words.push(`${count} ${unit}${count === 1 ? '' : 's'}`);
  };
  add(parts.years, 'year');
  add(parts.months, 'month');
  add(parts.days, 'day');
  add(parts.hours, 'hour');
  add(parts.minutes, 'minute');
  add(parts.seconds, 'second');
  if (words.length === 0) return 'no time';
  if (words.length === 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}`;
}

/** The moment a rule counts from, in words. */
const FROM_WORDS: Readonly<Record<string, string>> = {
  created_at: 'it was created',
  updated_at: 'it was last changed',
  last_active_at: 'your last activity',
  last_login_at: 'your last sign-in',
  last_engaged_at: 'you last opened or clicked one of our emails',
  closed_at: 'it was closed',
  resolved_at: 'it was resolved',
  sent_at: 'it was sent',
  ends_at: 'it ended',
  ended_at: 'it ended',
  expires_at: 'it expired',
  expired_at: 'it expired',
  completed_at: 'it was completed',
  withdrawn_at: 'it was withdrawn',
  revoked_at: 'it was revoked',
  occurred_at: 'it happened',
  received_at: 'it was received',
  started_at: 'it started',
  finished_at: 'it finished',
  lifted_at: 'it was lifted',
  superseded_at: 'a later choice replaced it',
  warned_at: 'we sent the warning',
  caught_at: 'it was caught',
  read_at: 'it was read',
  at: 'it was recorded',
  until: 'it ran out',
};

export function fromWords(column: string): string {
  const known = FROM_WORDS[column];
  if (known) return known;
  return `its "${column.replace(/_at$/, '').replace(/_/g, ' ')}" date`;
}

/** A reason as a sentence: ends with a full stop unless it already ends with punctuation. */
function sentenceOf(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function whereWords(where: Record<string, string | number | null> | undefined): string {
  const entries = Object.entries(where ?? {});
  if (entries.length === 0) return '';
  const conditions = entries.map(([column, value]) =>
    value === null
      ? `${column.replace(/_/g, ' ')} is empty`
      : `${column.replace(/_/g, ' ')} is "${String(value)}"`,
  );
  return ` (when ${conditions.join(' and ')})`;
}

/**
 * One retention rule as a sentence. `columns` is the table's column declarations, so that a
 * `clear` rule names what it clears in words.
 */
export function retentionWords(
  rule: RetentionRule,
  columns: Readonly<Record<string, ColumnDeclaration>> = {},
): string {
  if ('keep' in rule) {
    const base =
      rule.keep === 'while-published'
        ? 'Kept while the page it belongs to is published'
        : 'Kept while your account is open';
    return rule.reason ? `${base}: ${sentenceOf(rule.reason)}` : `${base}.`;
  }
  const parts = parseDuration(rule.after);
  const isImmediate = Object.values(parts).every((part) => part === 0);
  const when = `${isImmediate ? 'once' : `${durationWords(rule.after)} after`} ${fromWords(rule.from)}${whereWords(rule.where)}`;
  let sentence: string;
  switch (rule.action) {
    case 'delete':
      sentence = `Deleted ${when}.`;
      break;
    case 'clear': {
      const cleared = [
        ...new Set(
          (rule.columns ?? []).map((column) => {
            const declaration = columns[column];
            return declaration ? columnWords(declaration) : column.replace(/_/g, ' ');
          }),
        ),
      ];
      const list = cleared.join(', ');
      sentence = `${list.charAt(0).toUpperCase()}${list.slice(1)} removed ${when}.`;
      break;
    }
    case 'erase-subject':
      sentence = `Your account and personal data erased ${when}${
        rule.warnBefore ? `, after a warning at least ${durationWords(rule.warnBefore)} before` : ''
      }.`;
      break;
  }
  return rule.reason ? `${sentence} ${sentenceOf(rule.reason)}` : sentence;
}
