import { describe, expect, it } from 'vitest';
import { addDuration, mergeDataMaps, parseDuration } from './datamap.js';

describe('ISO 8601 durations', () => {
  it('parses the shapes retention rules use', () => {
    expect(parseDuration('P3Y')).toMatchObject({ years: 3, months: 0, days: 0 });
    expect(parseDuration('P90D')).toMatchObject({ days: 90 });
    expect(parseDuration('P2W')).toMatchObject({ days: 14 });
    expect(parseDuration('PT12H30M')).toMatchObject({ hours: 12, minutes: 30 });
    expect(parseDuration('P1M2DT3S')).toMatchObject({ months: 1, days: 2, seconds: 3 });
  });

  it.each(['', 'P', 'PT', '3Y', 'P1.5Y', 'P-1D', 'PT1D'])('refuses %j', (bad) => {
    expect(() => parseDuration(bad)).toThrow(/Not an ISO 8601 duration/);
  });

  it('adds calendar months, clamping to the end of shorter months', () => {
    const jan31 = new Date('2027-01-31T10:00:00.000Z');
    expect(addDuration(jan31, 'P1M').toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(addDuration(new Date('2028-01-31T00:00:00Z'), 'P1M').toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    );
    expect(addDuration(new Date('2024-02-29T00:00:00Z'), 'P1Y').toISOString()).toBe(
      '2025-02-28T00:00:00.000Z',
    );
  });

  it('subtracts as well as adds', () => {
    const time = new Date('2026-11-29T12:00:00.000Z');
    expect(addDuration(time, 'P3Y', -1).toISOString()).toBe('2023-11-29T12:00:00.000Z');
    expect(addDuration(time, 'P30D', -1).toISOString()).toBe('2026-10-30T12:00:00.000Z');
    expect(addDuration(time, 'PT1H').toISOString()).toBe('2026-11-29T13:00:00.000Z');
  });
});

describe('merging data maps', () => {
  it('refuses a table declared by two owners', () => {
    const table = { personal: false as const, columns: { id: 'system.id' as const } };
    expect(() =>
      mergeDataMaps([
        { owner: 'forum', tables: { shared: table } },
        { owner: 'reviews', tables: { shared: table } },
      ]),
    ).toThrow('Table shared is declared by both forum and reviews');
  });
});
