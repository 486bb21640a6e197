import { describe, expect, it } from 'vitest';
import {
  addCalendarMonths,
  BANK_HOLIDAYS,
  calendarDateIn,
  dueDateFor,
  extendedDueDateFor,
  formatCalendarDate,
  isOverdue,
} from './rights.deadlines.js';

const at = (iso: string) => new Date(iso);

/** Easter Sunday by the anonymous Gregorian computus (Meeus/Jones/Butcher). */
function easterSunday(year: number): Date {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return new Date(Date.UTC(year, month - 1, day));
}

const iso = (date: Date) => date.toISOString().slice(0, 10);
const plusDays = (date: Date, days: number) => new Date(date.getTime() + days * 86_400_000);
const weekday = (date: Date) => date.getUTCDay();

/** The England and Wales list for a year, from the rules data/README.md cites. */
function expectedHolidays(year: number): string[] {
  const onWeekdayOrNext = (date: Date, taken: Set<string>): Date => {
    let current = date;
    while (weekday(current) === 0 || weekday(current) === 6 || taken.has(iso(current))) {
      current = plusDays(current, 1);
    }
    return current;
  };
  const firstMonday = (month: number) => {
    let date = new Date(Date.UTC(year, month - 1, 1));
    while (weekday(date) !== 1) date = plusDays(date, 1);
    return date;
  };
  const lastMonday = (month: number) => {
    let date = new Date(Date.UTC(year, month, 0));
    while (weekday(date) !== 1) date = plusDays(date, -1);
    return date;
  };
  const easter = easterSunday(year);
  const taken = new Set<string>();
  const add = (date: Date) => taken.add(iso(date));
  add(onWeekdayOrNext(new Date(Date.UTC(year, 0, 1)), taken));
  add(plusDays(easter, -2));
  add(plusDays(easter, 1));
  add(firstMonday(5));
  add(lastMonday(5));
  add(lastMonday(8));
  add(onWeekdayOrNext(new Date(Date.UTC(year, 11, 25)), taken));
  add(onWeekdayOrNext(new Date(Date.UTC(year, 11, 26)), taken));
  return [...taken].sort();
}

describe('UK bank holidays data', () => {
  it('matches the statutory rules for every shipped year (England and Wales, 2024–2030)', () => {
    const shipped = [...BANK_HOLIDAYS.dates].sort();
    const expected = [...BANK_HOLIDAYS.years].flatMap(expectedHolidays).sort();
    expect([...BANK_HOLIDAYS.years].sort()).toEqual([2024, 2025, 2026, 2027, 2028, 2029, 2030]);
    expect(shipped).toEqual(expected);
  });

  it('agrees with the published 2025 and 2026 lists', () => {
    for (const date of ['2025-04-18', '2025-04-21', '2025-08-25', '2026-04-06', '2026-12-28']) {
      expect(BANK_HOLIDAYS.dates.has(date)).toBe(true);
    }
  });
});

describe('rights request deadlines', () => {
  it('is due the same day number one calendar month after receipt', () => {
    expect(dueDateFor(at('2027-03-10T10:00:00Z'))).toBe('2027-04-12'); // 10 April 2027 is a Saturday
    expect(dueDateFor(at('2026-06-15T09:00:00Z'))).toBe('2026-07-15');
  });

  it('31 January is due on 28 February, or 29 in a leap year', () => {
    expect(dueDateFor(at('2030-01-31T12:00:00Z'))).toBe('2030-02-28'); // Thursday
    expect(dueDateFor(at('2028-01-31T12:00:00Z'))).toBe('2028-02-29'); // leap year, Tuesday
    expect(formatCalendarDate(addCalendarMonths({ year: 2027, month: 1, day: 31 }, 1))).toBe(
      '2027-02-28',
    );
  });

  it('a due date on Christmas Day or Boxing Day moves to the next working day', () => {
    // 25 November 2029 → 25 December 2029 (Tuesday, Christmas) → 27 December (Thursday).
    expect(dueDateFor(at('2029-11-25T10:00:00Z'))).toBe('2029-12-27');
    // 26 November 2030 → Boxing Day (Thursday) → 27 December (Friday).
    expect(dueDateFor(at('2030-11-26T10:00:00Z'))).toBe('2030-12-27');
  });

  it('a due date on Easter Monday moves to Tuesday', () => {
    // 22 March 2030 → 22 April 2030, Easter Monday → 23 April.
    expect(dueDateFor(at('2030-03-22T10:00:00Z'))).toBe('2030-04-23');
  });

  it('a due date at the weekend moves to Monday, and past a bank holiday Monday', () => {
    expect(dueDateFor(at('2026-10-03T10:00:00Z'))).toBe('2026-11-03'); // Tuesday, unchanged
    expect(dueDateFor(at('2026-10-07T10:00:00Z'))).toBe('2026-11-09'); // Saturday → Monday
    // 29 July 2026 → Saturday 29 August; Monday 31 August is the summer bank holiday → Tuesday.
    expect(dueDateFor(at('2026-07-29T10:00:00Z'))).toBe('2026-09-01');
  });

  it('counts the day of receipt in London time, not UTC', () => {
    // 23:30 UTC on 31 March 2027 is 00:30 on 1 April in London (BST): due Saturday 1 May, and
    // Monday 3 May is the early May bank holiday → Tuesday 4 May.
    expect(formatCalendarDate(calendarDateIn(at('2027-03-31T23:30:00Z'), 'Europe/London'))).toBe(
      '2027-04-01',
    );
    expect(dueDateFor(at('2027-03-31T23:30:00Z'))).toBe('2027-05-04');
    // The same instant counted in UTC would be 31 March → due 30 April (Friday).
    expect(dueDateFor(at('2027-03-31T23:30:00Z'), 'UTC')).toBe('2027-04-30');
    // In winter London is UTC: 23:30 UTC on 31 January stays 31 January.
    expect(dueDateFor(at('2030-01-31T23:30:00Z'))).toBe('2030-02-28');
  });

  it('an extension adds one or two further months and moves off non-working days', () => {
    expect(extendedDueDateFor(at('2026-06-15T09:00:00Z'), 1)).toBe('2026-08-17'); // 15 Aug is Saturday
    expect(extendedDueDateFor(at('2026-06-15T09:00:00Z'), 2)).toBe('2026-09-15');
    // From 31 January, three months from receipt is 30 April (clamped once, not month by month).
    expect(extendedDueDateFor(at('2029-01-31T12:00:00Z'), 2)).toBe('2029-04-30');
  });

  it('is overdue only after the due day ends in London', () => {
    expect(isOverdue('2026-07-15', at('2026-07-15T22:59:00Z'))).toBe(false);
    expect(isOverdue('2026-07-15', at('2026-07-15T23:00:00Z'))).toBe(true); // 00:00 BST on the 16th
  });
});
