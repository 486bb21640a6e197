/**
 * When a rights request is due (DESIGN.md §5.5, UK GDPR Art. 12(3)): one calendar month after
 * receipt, counted in the controller's calendar, moved to the next working day when it falls on
 * a weekend or a bank holiday; an extension adds up to two further months.
 *
 * - "One calendar month" is the same day number in the next month (the ICO's reading); a month
 *   without that day (31 January → February) ends on its last day.
 * - The day of receipt is the calendar date in the configured time zone: a request received at
 *   23:30 UTC on 31 March is received on 1 April in London (British Summer Time).
 * - Bank holidays are those of England and Wales, shipped as data (data/README.md).
 */
import fs from 'node:fs';

/** The controller's jurisdiction and calendar unless configured otherwise. */
export const DEFAULT_RIGHTS_TIMEZONE = 'Europe/London';

/** Extensions allowed beyond the first month (Art. 12(3)): one or two further months. */
export type ExtensionMonths = 1 | 2;

export const BANK_HOLIDAYS_FILE = new URL('./data/uk-bank-holidays.json', import.meta.url);

interface BankHolidayFile {
  division: string;
  years: number[];
  dates: string[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function loadBankHolidays(): { years: ReadonlySet<number>; dates: ReadonlySet<string> } {
  const parsed = JSON.parse(fs.readFileSync(BANK_HOLIDAYS_FILE, 'utf8')) as BankHolidayFile;
  for (const date of parsed.dates) {
    if (!DATE.test(date)) throw new Error(`uk-bank-holidays.json: ${date} is not YYYY-MM-DD`);
  }
  return { years: new Set(parsed.years), dates: new Set(parsed.dates) };
}

export const BANK_HOLIDAYS = loadBankHolidays();

/** A calendar date, with no time and no zone. */
export interface CalendarDate {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
}

export function parseCalendarDate(text: string): CalendarDate {
  const match = DATE.exec(text);
  if (!match) throw new Error(`Not a YYYY-MM-DD date: ${text}`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

export function formatCalendarDate(date: CalendarDate): string {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

/** The calendar date of `instant` in `timeZone`. */
export function calendarDateIn(instant: Date, timeZone: string): CalendarDate {
  // en-CA formats as YYYY-MM-DD.
  const text = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
  return parseCalendarDate(text);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The same day number `months` later, clamped to the last day of a shorter month. */
export function addCalendarMonths(date: CalendarDate, months: number): CalendarDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return { year, month, day: Math.min(date.day, daysInMonth(year, month)) };
}

function addDays(date: CalendarDate, days: number): CalendarDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

export function isWeekend(date: CalendarDate): boolean {
  const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return weekday === 0 || weekday === 6;
}

export function isBankHoliday(date: CalendarDate): boolean {
  return BANK_HOLIDAYS.dates.has(formatCalendarDate(date));
}

/** The date itself when it is a working day, else the next working day. */
export function nextWorkingDay(date: CalendarDate): CalendarDate {
  let current = date;
  while (isWeekend(current) || isBankHoliday(current)) current = addDays(current, 1);
  return current;
}

/** The due date (YYYY-MM-DD) of a request received at `receivedAt`. */
export function dueDateFor(receivedAt: Date, timeZone: string = DEFAULT_RIGHTS_TIMEZONE): string {
  return formatCalendarDate(
    nextWorkingDay(addCalendarMonths(calendarDateIn(receivedAt, timeZone), 1)),
  );
}

/**
 * The due date after an extension of `months` further months. Counted from the day of receipt
 * (one month plus the extension), so that the extension runs from the original, unmoved due
 * date rather than from a date already pushed past a holiday.
 */
export function extendedDueDateFor(
  receivedAt: Date,
  months: ExtensionMonths,
  timeZone: string = DEFAULT_RIGHTS_TIMEZONE,
): string {
  return formatCalendarDate(
    nextWorkingDay(addCalendarMonths(calendarDateIn(receivedAt, timeZone), 1 + months)),
  );
}

/** True when the due date `dueDate` has passed on `now`'s calendar date in `timeZone`. */
export function isOverdue(
  dueDate: string,
  now: Date = new Date(),
  timeZone: string = DEFAULT_RIGHTS_TIMEZONE,
): boolean {
  return formatCalendarDate(calendarDateIn(now, timeZone)) > dueDate;
}
