import { describe, expect, it } from 'vitest';
import { timeFormatter } from './forum.views.js';

describe('post times', () => {
  it('reads as Intl does in the site time zone, across the clock changes', () => {
    for (const timeZone of ['Europe/London', 'America/New_York', 'Asia/Kolkata', 'UTC']) {
      const intl = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
      const format = timeFormatter(timeZone);
      for (const iso of [
        '2026-03-29T00:59:59.000Z',
        '2026-03-29T01:00:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-11-29T17:43:00.000Z',
        '2027-01-01T00:05:00.000Z',
        '2026-07-04T23:59:00.000Z',
      ]) {
        expect(format(iso), `${timeZone} ${iso}`).toBe(intl.format(new Date(iso)));
      }
    }
  });
});
