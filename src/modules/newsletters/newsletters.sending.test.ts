import { describe, expect, it } from 'vitest';
import { babyMonth, pregnancyWeek } from './newsletters.sending.js';

describe('the stage a subscriber is at', () => {
  it('counts pregnancy weeks back from the due date: 40 less whole weeks to go', () => {
    expect(pregnancyWeek('2027-03-01', '2027-03-01')).toBe(40);
    expect(pregnancyWeek('2027-03-01', '2027-02-23')).toBe(40);
    expect(pregnancyWeek('2027-03-01', '2027-02-22')).toBe(39);
    expect(pregnancyWeek('2027-03-01', '2026-12-21')).toBe(30);
  });

  it('stays at week 1 early on and ends after week 42', () => {
    expect(pregnancyWeek('2027-03-01', '2026-05-01')).toBe(1);
    expect(pregnancyWeek('2027-03-01', '2027-03-02')).toBe(41);
    expect(pregnancyWeek('2027-03-01', '2027-03-15')).toBe(42);
    expect(pregnancyWeek('2027-03-01', '2027-03-16')).toBeNull();
  });

  it('counts whole calendar months since birth, month 0 in the first weeks', () => {
    expect(babyMonth('2026-01-31', '2026-01-31')).toBe(0);
    expect(babyMonth('2026-01-31', '2026-02-28')).toBe(0);
    expect(babyMonth('2026-01-31', '2026-03-01')).toBe(1);
    expect(babyMonth('2026-01-15', '2027-01-15')).toBe(12);
    expect(babyMonth('2026-01-15', '2027-01-14')).toBe(11);
    expect(babyMonth('2026-01-15', '2026-01-14')).toBeNull();
  });
});
