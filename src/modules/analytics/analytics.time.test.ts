import { describe, expect, it } from 'vitest';
import { addDays, dayIn, daysEndingWith, monthsEndingWith } from './analytics.time.js';

describe('calendar days in TIMEZONE', () => {
  it('P29 puts 23:30 and 00:30 London time on different days, in winter (GMT)', () => {
    expect(dayIn(new Date('2026-11-28T23:30:00Z'), 'Europe/London')).toBe('2026-11-28');
    expect(dayIn(new Date('2026-11-29T00:30:00Z'), 'Europe/London')).toBe('2026-11-29');
  });

  it('P29 puts 23:30 and 00:30 London time on different days in summer (BST), unlike UTC', () => {
    // 22:30 and 23:30 UTC on 1 July are 23:30 on 1 July and 00:30 on 2 July in London.
    expect(dayIn(new Date('2026-07-01T22:30:00Z'), 'Europe/London')).toBe('2026-07-01');
    expect(dayIn(new Date('2026-07-01T23:30:00Z'), 'Europe/London')).toBe('2026-07-02');
    expect(dayIn(new Date('2026-07-01T23:30:00Z'), 'UTC')).toBe('2026-07-01');
  });

  it('counts days and months back across month and year ends', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysEndingWith('2027-01-02', 3)).toEqual(['2026-12-31', '2027-01-01', '2027-01-02']);
    expect(monthsEndingWith('2027-02-15', 3)).toEqual(['2026-12', '2027-01', '2027-02']);
  });
});
