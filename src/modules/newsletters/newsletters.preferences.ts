/**
 * Newsletter preferences: the `newsletters` shape of DESIGN.md §6 that registration, the account
 * page and `PUT /api/v1/me/newsletters` all take, its checks, and the conversion to and from the
 * HTML form. Pure: no database. A due date is asked and kept only with Pregnancy Weekly, birth
 * dates only with Baby Monthly (P06), so the checks refuse a date sent with any other list.
 */
import { addDuration } from '../../platform/datamap.js';
import { isList, type FieldErrors, type FormValues } from '../../platform/views/form-input.js';
import type { NewsletterKind } from './newsletters.tables.js';

/** One list of the catalogue, as forms and the API show it. */
export interface NewsletterList {
  key: string;
  title: string;
  description: string;
  kind: NewsletterKind;
  /** False for a retired list: nobody may subscribe to it any more. */
  active: boolean;
}

export interface NewsletterPreference {
  list: string;
  /** YYYY-MM-DD; Pregnancy Weekly only. */
  dueDate?: string;
  /** Pregnancy Weekly never; Baby Monthly always (1 to 6). */
  babies?: { birthDate: string }[];
}

/** The member's subscriptions: `[{"list":"general"}, {"list":"pregnancy-weekly","dueDate":…}]`. */
export type NewsletterPreferences = NewsletterPreference[];

export type ParseResult =
  { ok: true; value: NewsletterPreferences } | { ok: false; fields: Record<string, string> };

export interface ParseOptions {
  /**
   * The catalogue to check list keys against (from `listNewsletterCatalogue`). Without it, the
   * shipped lists are known by their kinds and any other well-formed key is taken for a general
   * list; `applyNewsletterPreferences` checks again against the database either way.
   */
  catalogue?: readonly NewsletterList[];
  /** Today, YYYY-MM-DD, for the date ranges; today in `timeZone` by default. */
  today?: string;
  /** Default `Europe/London`: a baby born just after midnight in the UK was born "today". */
  timeZone?: string;
}

/** The lists Hearth ships (migration 20261129_0022), known by kind without asking the database. */
export const SHIPPED_LIST_KINDS: Readonly<Record<string, NewsletterKind>> = {
  general: 'general',
  'pregnancy-weekly': 'pregnancy-weekly',
  'baby-monthly': 'baby-monthly',
};

/** At most this far ahead: a pregnancy lasts about 40 weeks from the last period. */
export const DUE_DATE_MAX_AHEAD = 'P10M';
/** At most this far back: babies often come late, and the letter may still be wanted. */
export const DUE_DATE_MAX_PAST = 'P4W';
/** Baby Monthly follows the first years; older birth dates are a typing slip. */
export const BIRTH_DATE_MAX_AGE = 'P5Y';
/** Twins, triplets, or several young children: one letter follows them all. */
export const MAX_BABIES = 6;

const LIST_KEY = /^[a-z0-9][a-z0-9-]{0,39}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ITEM_PROPERTIES = new Set(['list', 'dueDate', 'babies']);

const MESSAGES = {
  notList:
    'Newsletter choices must be a list such as [{"list":"general"}], or an empty list for none.',
  tooMany: 'Choose each newsletter at most once.',
  notObject: 'Each newsletter choice must be an object with a "list".',
  unexpected: 'This field is not part of a newsletter choice.',
  listMissing: 'Say which newsletter this is.',
  listUnknown: 'There is no newsletter with this name.',
  listRetired: 'This newsletter is no longer available.',
  listTwice: 'You chose this newsletter twice.',
  dueDateMissing: 'Enter your due date to get Pregnancy Weekly.',
  dueDateInvalid: 'Enter your due date as a real date, for example 2027-03-01.',
  dueDateRange:
    'Enter a due date within the next 10 months, or the last 4 weeks if your baby is due already.',
  dueDateNotHere: 'A due date is only asked for Pregnancy Weekly.',
  babiesMissing: 'Enter your baby’s date of birth to get Baby Monthly.',
  babiesCount: `Enter between 1 and ${MAX_BABIES} babies’ dates of birth.`,
  babiesNotHere: 'A baby’s date of birth is only asked for Baby Monthly.',
  babyNotObject: 'Each baby must be an object with a "birthDate".',
  birthDateMissing: 'Enter the baby’s date of birth.',
  birthDateInvalid: 'Enter the date of birth as a real date, for example 2026-05-01.',
  birthDateFuture: 'A date of birth cannot be in the future.',
  birthDateTooOld: 'Baby Monthly is for children under 5: check the date of birth.',
} as const;

/** Today as YYYY-MM-DD in a time zone (`en-CA` formats dates as ISO does). */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** The date at UTC midnight, or undefined for anything that is not a real YYYY-MM-DD date. */
export function parseIsoDate(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // 2027-02-30 rolls over to 2 March: not a real date.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1) return undefined;
  if (date.getUTCDate() !== day || year < 1900) return undefined;
  return date;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(
  key: string,
  catalogue: readonly NewsletterList[] | undefined,
): NewsletterKind | 'unknown' | 'retired' {
  if (catalogue) {
    const list = catalogue.find((each) => each.key === key);
    if (!list) return 'unknown';
    return list.active ? list.kind : 'retired';
  }
  return SHIPPED_LIST_KINDS[key] ?? (LIST_KEY.test(key) ? 'general' : 'unknown');
}

/**
 * Checks the `newsletters` shape: known, active lists, each at most once; a due date with and
 * only with Pregnancy Weekly, in a plausible range; 1 to 6 birth dates with and only with Baby
 * Monthly, in the past few years. Field keys follow the input: `newsletters.1.dueDate`,
 * `newsletters.2.babies.0.birthDate`. A missing value (`undefined`) means no newsletters.
 */
export function parseNewsletterPreferences(
  input: unknown,
  options: ParseOptions = {},
): ParseResult {
  if (input === undefined) return { ok: true, value: [] };
  if (!Array.isArray(input)) return { ok: false, fields: { newsletters: MESSAGES.notList } };
  const catalogueSize = options.catalogue?.length ?? Object.keys(SHIPPED_LIST_KINDS).length;
  // Each list at most once: a longer list can only hold repeats (and bounds the work).
  if (input.length > Math.max(catalogueSize, 50)) {
    return { ok: false, fields: { newsletters: MESSAGES.tooMany } };
  }

  const today = parseIsoDate(options.today ?? todayIn(options.timeZone ?? 'Europe/London'));
  if (!today) throw new Error(`parseNewsletterPreferences: today is not a date: ${options.today}`);
  const earliestDueDate = addDuration(today, DUE_DATE_MAX_PAST, -1);
  const latestDueDate = addDuration(today, DUE_DATE_MAX_AHEAD);
  const earliestBirthDate = addDuration(today, BIRTH_DATE_MAX_AGE, -1);

  const fields: Record<string, string> = {};
  const value: NewsletterPreferences = [];
  const seen = new Set<string>();
  for (const [index, item] of input.entries()) {
    const at = `newsletters.${index}`;
    if (!isRecord(item)) {
      fields[at] = MESSAGES.notObject;
      continue;
    }
    for (const property of Object.keys(item)) {
      if (!ITEM_PROPERTIES.has(property)) fields[`${at}.${property}`] = MESSAGES.unexpected;
    }
    const key = item.list;
    if (typeof key !== 'string' || key === '') {
      fields[`${at}.list`] = MESSAGES.listMissing;
      continue;
    }
    const kind = kindOf(key, options.catalogue);
    if (kind === 'unknown' || kind === 'retired') {
      fields[`${at}.list`] = kind === 'unknown' ? MESSAGES.listUnknown : MESSAGES.listRetired;
      continue;
    }
    if (seen.has(key)) {
      fields[`${at}.list`] = MESSAGES.listTwice;
      continue;
    }
    seen.add(key);
    const preference: NewsletterPreference = { list: key };

    if (kind === 'pregnancy-weekly') {
      const dueDate = parseIsoDate(item.dueDate);
      if (item.dueDate === undefined || item.dueDate === null || item.dueDate === '') {
        fields[`${at}.dueDate`] = MESSAGES.dueDateMissing;
      } else if (!dueDate) {
        fields[`${at}.dueDate`] = MESSAGES.dueDateInvalid;
      } else if (dueDate < earliestDueDate || dueDate > latestDueDate) {
        fields[`${at}.dueDate`] = MESSAGES.dueDateRange;
      } else {
        preference.dueDate = item.dueDate as string;
      }
    } else if (item.dueDate !== undefined) {
      fields[`${at}.dueDate`] = MESSAGES.dueDateNotHere;
    }

    if (kind === 'baby-monthly') {
      const babies = item.babies;
      if (babies === undefined || babies === null) {
        fields[`${at}.babies`] = MESSAGES.babiesMissing;
      } else if (!Array.isArray(babies) || babies.length < 1 || babies.length > MAX_BABIES) {
        fields[`${at}.babies`] = MESSAGES.babiesCount;
      } else {
        const checked: { birthDate: string }[] = [];
        for (const [babyIndex, baby] of babies.entries()) {
          const babyAt = `${at}.babies.${babyIndex}`;
          if (!isRecord(baby)) {
            fields[babyAt] = MESSAGES.babyNotObject;
            continue;
          }
          for (const property of Object.keys(baby)) {
            if (property !== 'birthDate') fields[`${babyAt}.${property}`] = MESSAGES.unexpected;
          }
          const birthDate = parseIsoDate(baby.birthDate);
          if (baby.birthDate === undefined || baby.birthDate === '') {
            fields[`${babyAt}.birthDate`] = MESSAGES.birthDateMissing;
          } else if (!birthDate) {
            fields[`${babyAt}.birthDate`] = MESSAGES.birthDateInvalid;
          } else if (birthDate > today) {
            fields[`${babyAt}.birthDate`] = MESSAGES.birthDateFuture;
          } else if (birthDate < earliestBirthDate) {
            fields[`${babyAt}.birthDate`] = MESSAGES.birthDateTooOld;
          } else {
            checked.push({ birthDate: baby.birthDate as string });
          }
        }
        preference.babies = checked;
      }
    } else if (item.babies !== undefined) {
      fields[`${at}.babies`] = MESSAGES.babiesNotHere;
    }
    value.push(preference);
  }
  return Object.keys(fields).length > 0 ? { ok: false, fields } : { ok: true, value };
}

// ---------------------------------------------------------------------------------------------
// The HTML form

/** The checkbox group: one box per list, valued with the list's key. */
export const NEWSLETTERS_FIELD = 'newsletters';

/** The due-date control of a Pregnancy Weekly list. */
export function dueDateFieldName(listKey: string): string {
  return `newsletter.${listKey}.dueDate`;
}

/** The n-th (0-based) birth-date control of a Baby Monthly list. */
export function birthDateFieldName(listKey: string, index: number): string {
  return `newsletter.${listKey}.babies.${index}.birthDate`;
}

function firstValue(values: FormValues, name: string): string {
  const value = values[name];
  if (value === undefined) return '';
  return (isList(value) ? (value[0] ?? '') : value).trim();
}

/** The ticked list keys, in the order posted (the form's order), each once. */
function tickedLists(values: FormValues): string[] {
  const raw = values[NEWSLETTERS_FIELD];
  const keys = raw === undefined ? [] : isList(raw) ? raw : [raw];
  return [...new Set(keys.filter((key) => key !== ''))];
}

/** The birth-date controls of a list that hold an answer, by form index. */
function answeredBirthDates(values: FormValues, listKey: string): number[] {
  const answered: number[] = [];
  for (let index = 0; index < MAX_BABIES; index += 1) {
    if (firstValue(values, birthDateFieldName(listKey, index)) !== '') answered.push(index);
  }
  return answered;
}

/**
 * Turns a posted form into the `newsletters` shape. The date controls are always on the page
 * (the form works without JavaScript), but a list's dates are read only when its box is
 * ticked: a due date typed and then un-ticked is never sent, let alone kept (P06).
 */
export function readNewsletterForm(values: FormValues): unknown {
  return tickedLists(values).map((listKey) => {
    const preference: Record<string, unknown> = { list: listKey };
    const dueDate = firstValue(values, dueDateFieldName(listKey));
    if (dueDate !== '') preference.dueDate = dueDate;
    const birthDates = answeredBirthDates(values, listKey);
    if (birthDates.length > 0) {
      preference.babies = birthDates.map((index) => ({
        birthDate: firstValue(values, birthDateFieldName(listKey, index)),
      }));
    }
    return preference;
  });
}

/**
 * Maps the checks' field keys (`newsletters.1.dueDate`, which follow the JSON shape) onto the
 * form's controls (`newsletter.pregnancy-weekly.dueDate`), so each message sits beside its
 * control and the error summary links to it. Anything else goes to the checkbox group.
 */
export function newsletterFormErrors(
  fields: Readonly<Record<string, string>>,
  values: FormValues,
): FieldErrors {
  const ticked = tickedLists(values);
  const errors: Record<string, string> = {};
  const put = (name: string, message: string) => {
    errors[name] ??= message;
  };
  for (const [key, message] of Object.entries(fields)) {
    const parts = key.split('.');
    const listKey = parts[0] === 'newsletters' ? ticked[Number(parts[1])] : undefined;
    if (listKey === undefined || parts[2] === 'list' || parts.length === 2) {
      put(NEWSLETTERS_FIELD, message);
    } else if (parts[2] === 'dueDate') {
      put(dueDateFieldName(listKey), message);
    } else if (parts[2] === 'babies') {
      // Birth dates were sent compacted (empty controls skipped): find the control it came from.
      const formIndex =
        parts[3] === undefined ? 0 : (answeredBirthDates(values, listKey)[Number(parts[3])] ?? 0);
      put(birthDateFieldName(listKey, formIndex), message);
    } else {
      put(NEWSLETTERS_FIELD, message);
    }
  }
  return errors;
}

/** Reads and checks the form in one step: clean preferences, or messages keyed by control. */
export function parseNewsletterForm(
  values: FormValues,
  options: ParseOptions = {},
): { ok: true; value: NewsletterPreferences } | { ok: false; errors: FieldErrors } {
  const parsed = parseNewsletterPreferences(readNewsletterForm(values), options);
  return parsed.ok ? parsed : { ok: false, errors: newsletterFormErrors(parsed.fields, values) };
}

/** The form's values for saved preferences (the account page shows them ticked and filled). */
export function newsletterFormValues(preferences: NewsletterPreferences): FormValues {
  const values: Record<string, string | readonly string[]> = {
    [NEWSLETTERS_FIELD]: preferences.map((preference) => preference.list),
  };
  for (const preference of preferences) {
    if (preference.dueDate) values[dueDateFieldName(preference.list)] = preference.dueDate;
    for (const [index, baby] of (preference.babies ?? []).entries()) {
      values[birthDateFieldName(preference.list, index)] = baby.birthDate;
    }
  }
  return values;
}
