import { describe, expect, it } from 'vitest';
import {
  countTable,
  publishWithSuppression,
  type CountTable,
  type PublishedTable,
} from '../../privacy/aggregates.js';
import { endedQuarters, monthIn, monthsOf, parsePeriod } from './messages.statistics.js';
import { SUPPORT_TOPICS } from './messages.support.js';

/**
 * An attacker's search of our own (not the library's algebra): looks for another table of
 * non-negative counts that agrees with every published figure (cells, row totals, column
 * totals, grand total) yet gives cell (row, column) a different value. It tries every change of
 * −1, 0 or +1 to each suppressed cell, checking the published sums as rows complete. Finding
 * one proves the published figures do not reveal the cell; the search is not exhaustive, so it
 * can only err towards failing the test.
 */
function canDiffer(
  published: PublishedTable,
  actual: readonly (readonly number[])[],
  row: number,
  column: number,
): boolean {
  const rows = published.rows.length;
  const columns = published.columns.length;
  const hidden: [number, number][] = [];
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < columns; c += 1) if (published.cells[r]![c] === null) hidden.push([r, c]);
  }
  // The target first, so a change to it is tried before anything else.
  hidden.sort(([r1, c1], [r2, c2]) => {
    const first = (r: number, c: number) => (r === row && c === column ? 0 : 1);
    return first(r1, c1) - first(r2, c2) || r1 - r2 || c1 - c2;
  });
  const delta = actual.map((line) => line.map(() => 0));
  const rowDelta = (r: number) => delta[r]!.reduce((sum, value) => sum + value, 0);
  const columnDelta = (c: number) => delta.reduce((sum, line) => sum + line[c]!, 0);
  const agrees = (): boolean => {
    let grand = 0;
    for (let r = 0; r < rows; r += 1) {
      const change = rowDelta(r);
      if (published.rowTotals[r] !== null && change !== 0) return false;
      grand += change;
    }
    for (let c = 0; c < columns; c += 1) {
      if (published.columnTotals[c] !== null && columnDelta(c) !== 0) return false;
    }
    return published.total === null || grand === 0;
  };
  const search = (index: number): boolean => {
    if (index === hidden.length) return delta[row]![column] !== 0 && agrees();
    const [r, c] = hidden[index]!;
    for (const change of [-1, 1, 0]) {
      if (actual[r]![c]! + change < 0) continue;
      // Changing the target by nothing cannot show it differs.
      if (index === 0 && r === row && c === column && change === 0) continue;
      delta[r]![c] = change;
      if (search(index + 1)) return true;
    }
    delta[r]![c] = 0;
    return false;
  };
  return search(0);
}

/** Asserts that no figure describing 1..k−1 people is published or derivable. */
function expectNoSmallGroupRevealed(table: CountTable, published: PublishedTable): void {
  const k = published.k;
  table.counts.forEach((line, r) => {
    line.forEach((count, c) => {
      if (count > 0 && count < k) {
        expect(published.cells[r]![c], `cell ${r},${c}`).toBeNull();
        expect(canDiffer(published, table.counts, r, c), `cell ${r},${c} derivable`).toBe(true);
      }
    });
    const rowTotal = line.reduce((sum, value) => sum + value, 0);
    if (rowTotal > 0 && rowTotal < k) expect(published.rowTotals[r]).toBeNull();
  });
  table.columns.forEach((_, c) => {
    const columnTotal = table.counts.reduce((sum, line) => sum + line[c]!, 0);
    if (columnTotal > 0 && columnTotal < k) expect(published.columnTotals[c]).toBeNull();
  });
}

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('Parent Supporter statistics', () => {
  const months = ['2026-04', '2026-05', '2026-06'];

  it('P25 counts with fixed dimensions: a topic or month outside them is never added', () => {
    const table = countTable(
      [
        { row: 'sleep', column: '2026-04' },
        { row: 'astrology', column: '2026-04' },
        { row: 'sleep', column: '2026-07' },
      ],
      SUPPORT_TOPICS,
      months,
    );
    expect(table.rows).toEqual(SUPPORT_TOPICS);
    expect(table.columns).toEqual(months);
    expect(table.counts.flat().reduce((sum, value) => sum + value, 0)).toBe(1);
  });

  it('P25 a group of 3 is never shown, and cannot be worked out from the row and column totals', () => {
    const counts = SUPPORT_TOPICS.map(() => [20, 25, 30]);
    counts[1] = [3, 25, 30];
    const table: CountTable = { rows: SUPPORT_TOPICS, columns: months, counts };
    const published = publishWithSuppression(table, 10);
    expect(published.cells[1]![0]).toBeNull();
    // Complementary suppression: more than the one small cell is hidden.
    expect(published.cells.flat().filter((value) => value === null).length).toBeGreaterThan(1);
    expectNoSmallGroupRevealed(table, published);
  });

  it('P25 a group of 3 that is a whole row or a whole month is hidden in its total too', () => {
    const counts = SUPPORT_TOPICS.map(() => [12, 15, 11]);
    counts[6] = [0, 3, 0];
    const table: CountTable = { rows: SUPPORT_TOPICS, columns: months, counts };
    const published = publishWithSuppression(table, 10);
    expect(published.rowTotals[6]).toBeNull();
    expectNoSmallGroupRevealed(table, published);

    const lonely: CountTable = {
      rows: SUPPORT_TOPICS,
      columns: months,
      counts: SUPPORT_TOPICS.map((_, r) => [r === 2 ? 3 : 0, 14, 19]),
    };
    const lonelyPublished = publishWithSuppression(lonely, 10);
    expect(lonelyPublished.columnTotals[0]).toBeNull();
    expectNoSmallGroupRevealed(lonely, lonelyPublished);
  });

  it('P25 across 40 random tables, no group of 1 to 9 is revealed directly or by differencing', () => {
    const random = generator(20261129);
    for (let round = 0; round < 40; round += 1) {
      const counts = SUPPORT_TOPICS.map(() =>
        months.map(() => {
          const draw = random();
          if (draw < 0.12) return 3;
          if (draw < 0.2) return 0;
          if (draw < 0.26) return 1 + Math.floor(random() * 9);
          return 10 + Math.floor(random() * 25);
        }),
      );
      const table: CountTable = { rows: SUPPORT_TOPICS, columns: months, counts };
      expectNoSmallGroupRevealed(table, publishWithSuppression(table, 10));
    }
  });

  it('the brute force does find a small group that a careless table gives away', () => {
    // Only the small cell hidden, with its row total published: 3 = 58 − 25 − 30.
    const careless: PublishedTable = {
      rows: ['a', 'b'],
      columns: months,
      cells: [
        [null, 25, 30],
        [20, 25, 30],
      ],
      rowTotals: [58, 75],
      columnTotals: [null, 50, 60],
      total: null,
      k: 10,
    };
    const truth = [
      [3, 25, 30],
      [20, 25, 30],
    ];
    expect(canDiffer(careless, truth, 0, 0)).toBe(false);
  });

  it('names quarters and their months, and offers only quarters that have ended', () => {
    expect(monthsOf(parsePeriod('2026-Q3'))).toEqual(['2026-07', '2026-08', '2026-09']);
    expect(() => parsePeriod('2026-Q5')).toThrow(/quarter/);
    expect(monthIn(new Date('2026-06-30T23:30:00Z'), 'Europe/London')).toBe('2026-07');
    const quarters = endedQuarters(new Date('2026-11-29T12:00:00Z'), 'Europe/London', 3);
    expect(quarters.map((quarter) => quarter.period)).toEqual(['2026-Q3', '2026-Q2', '2026-Q1']);
  });
});
