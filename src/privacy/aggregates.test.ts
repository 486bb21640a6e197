import { describe, expect, it } from 'vitest';
import {
  countTable,
  publishWithSuppression,
  suppressedCount,
  type CountTable,
  type PublishedTable,
} from './aggregates.js';

/**
 * An attacker independent of the library: enumerates every table of non-negative integers that
 * agrees with each published figure (cells, row totals, column totals, grand total) and collects
 * the values each suppressed figure takes across them. A suppressed figure that takes a single
 * value has been recovered — by differencing, or by differencing plus non-negativity.
 */
function possibleValues(
  published: PublishedTable,
  cap: number,
  watched: readonly string[],
): Map<string, Set<number>> {
  const rowCount = published.rows.length;
  const columnCount = published.columns.length;
  const hiddenCells: [number, number][] = [];
  for (let r = 0; r < rowCount; r += 1) {
    for (let c = 0; c < columnCount; c += 1) {
      if (published.cells[r]![c] === null) hiddenCells.push([r, c]);
    }
  }
  const grid = published.cells.map((line) => line.map((value) => value ?? 0));
  const seen = new Map<string, Set<number>>();
  const note = (key: string, value: number) => {
    const set = seen.get(key) ?? new Set<number>();
    set.add(value);
    seen.set(key, set);
  };
  const rowSum = (r: number) => grid[r]!.reduce((sum, value) => sum + value, 0);
  const columnSum = (c: number) => grid.reduce((sum, line) => sum + line[c]!, 0);
  const consistent = () => {
    for (let r = 0; r < rowCount; r += 1) {
      const total = published.rowTotals[r];
      if (total !== null && total !== undefined && rowSum(r) !== total) return false;
    }
    for (let c = 0; c < columnCount; c += 1) {
      const total = published.columnTotals[c];
      if (total !== null && total !== undefined && columnSum(c) !== total) return false;
    }
    let grand = 0;
    for (let r = 0; r < rowCount; r += 1) grand += rowSum(r);
    return published.total === null || grand === published.total;
  };
  const overshoots = () => {
    for (let r = 0; r < rowCount; r += 1) {
      const total = published.rowTotals[r];
      if (total !== null && total !== undefined && rowSum(r) > total) return true;
    }
    for (let c = 0; c < columnCount; c += 1) {
      const total = published.columnTotals[c];
      if (total !== null && total !== undefined && columnSum(c) > total) return true;
    }
    return false;
  };
  // The last hidden cell of a row (or column) with a published total has one possible value.
  const lastHiddenInRow = new Map<number, number>();
  const lastHiddenInColumn = new Map<number, number>();
  hiddenCells.forEach(([r, c], index) => {
    lastHiddenInRow.set(r, index);
    lastHiddenInColumn.set(c, index);
  });
  let settled = false;
  const visit = (index: number) => {
    if (settled) return;
    if (index === hiddenCells.length) {
      if (!consistent()) return;
      for (const [r, c] of hiddenCells) note(`cell ${r},${c}`, grid[r]![c]!);
      for (let r = 0; r < rowCount; r += 1) note(`row ${r}`, rowSum(r));
      for (let c = 0; c < columnCount; c += 1) note(`column ${c}`, columnSum(c));
      let grand = 0;
      for (let r = 0; r < rowCount; r += 1) grand += rowSum(r);
      note('total', grand);
      settled = watched.every((key) => (seen.get(key)?.size ?? 0) >= 2);
      return;
    }
    const [r, c] = hiddenCells[index]!;
    const rowTotal = published.rowTotals[r];
    const columnTotal = published.columnTotals[c];
    if (lastHiddenInRow.get(r) === index && rowTotal !== null && rowTotal !== undefined) {
      grid[r]![c] = 0;
      const forced = rowTotal - rowSum(r);
      if (forced >= 0) {
        grid[r]![c] = forced;
        if (!overshoots()) visit(index + 1);
      }
      grid[r]![c] = 0;
      return;
    }
    if (lastHiddenInColumn.get(c) === index && columnTotal !== null && columnTotal !== undefined) {
      grid[r]![c] = 0;
      const forced = columnTotal - columnSum(c);
      if (forced >= 0) {
        grid[r]![c] = forced;
        if (!overshoots()) visit(index + 1);
      }
      grid[r]![c] = 0;
      return;
    }
    for (let value = 0; value <= cap && !settled; value += 1) {
      grid[r]![c] = value;
      if (overshoots()) break;
      visit(index + 1);
    }
    grid[r]![c] = 0;
  };
  visit(0);
  return seen;
}

/** The figures of a count table in 1..k−1 (the small groups), by the attacker's keys. */
function smallGroups(table: CountTable, k: number): string[] {
  const keys: string[] = [];
  table.counts.forEach((line, r) =>
    line.forEach((value, c) => {
      if (value > 0 && value < k) keys.push(`cell ${r},${c}`);
    }),
  );
  table.rows.forEach((_, r) => {
    const sum = table.counts[r]!.reduce((a, b) => a + b, 0);
    if (sum > 0 && sum < k) keys.push(`row ${r}`);
  });
  table.columns.forEach((_, c) => {
    const sum = table.counts.reduce((a, line) => a + line[c]!, 0);
    if (sum > 0 && sum < k) keys.push(`column ${c}`);
  });
  return keys;
}

function expectNoSmallGroupRecoverable(table: CountTable, k: number) {
  const published = publishWithSuppression(table, k);
  // Directly: no published figure is a small group.
  const figures = [
    ...published.cells.flat(),
    ...published.rowTotals,
    ...published.columnTotals,
    published.total,
  ];
  for (const value of figures) {
    if (value !== null) expect(value === 0 || value >= k).toBe(true);
  }
  // By differencing every published figure: each small group still has more than one value.
  const grandTotal = table.counts.flat().reduce((a, b) => a + b, 0);
  const small = smallGroups(table, k);
  const values = possibleValues(published, grandTotal + k, small);
  for (const key of small) {
    const possible = values.get(key)?.size ?? 0;
    expect(possible, `${key} recovered in ${JSON.stringify(published)}`).toBeGreaterThanOrEqual(2);
  }
  return published;
}

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('k-anonymous count tables', () => {
  it('P25 P32 a group of 3 is never published, directly or by differencing the totals', () => {
    const table: CountTable = {
      rows: ['feeding', 'sleep', 'other'],
      columns: ['2026-09', '2026-10', '2026-11'],
      counts: [
        [14, 3, 22],
        [18, 25, 11],
        [30, 12, 16],
      ],
    };
    const published = expectNoSmallGroupRecoverable(table, 10);
    expect(published.cells[0]![1]).toBeNull();
    // Its row and column both need a second hidden figure, or the totals would give it away.
    expect(published.cells[0]!.filter((value) => value === null).length).toBeGreaterThanOrEqual(2);
    expect(published.cells.map((line) => line[1]).filter((value) => value === null).length).toBe(2);
    // The grand total and most figures survive.
    expect(published.total).toBe(151);
    expect(suppressedCount(published)).toBeLessThanOrEqual(4);
  });

  it('P25 P32 a small total is suppressed too, and cannot be rebuilt from the other totals', () => {
    const table: CountTable = {
      rows: ['north', 'south', 'islands'],
      columns: ['general', 'pregnancy-weekly'],
      counts: [
        [40, 12],
        [35, 20],
        [2, 1],
      ],
    };
    const published = expectNoSmallGroupRecoverable(table, 10);
    expect(published.rowTotals[2]).toBeNull();
  });

  it('P25 P32 random tables with small groups never reveal one (brute-force attacker)', () => {
    const random = generator(20261129);
    for (let round = 0; round < 120; round += 1) {
      const rowCount = 2 + Math.floor(random() * 3);
      const columnCount = 2 + Math.floor(random() * 2);
      const k = 5;
      const counts = Array.from({ length: rowCount }, () =>
        Array.from({ length: columnCount }, () => {
          const pick = random();
          if (pick < 0.15) return 0;
          if (pick < 0.45) return 1 + Math.floor(random() * (k - 1));
          return k + Math.floor(random() * 4);
        }),
      );
      expectNoSmallGroupRecoverable(
        {
          rows: counts.map((_, r) => `r${r}`),
          columns: counts[0]!.map((_, c) => `c${c}`),
          counts,
        },
        k,
      );
    }
  });

  it('publishes a table without small groups unchanged', () => {
    const table: CountTable = {
      rows: ['a', 'b'],
      columns: ['x', 'y'],
      counts: [
        [10, 0],
        [25, 13],
      ],
    };
    const published = publishWithSuppression(table, 10);
    expect(published.cells).toEqual([
      [10, 0],
      [25, 13],
    ]);
    expect(published.rowTotals).toEqual([10, 38]);
    expect(published.columnTotals).toEqual([35, 13]);
    expect(published.total).toBe(48);
  });

  it('counts records into fixed dimensions and ignores values outside them', () => {
    const table = countTable(
      [
        { row: 'sleep', column: '2026-11' },
        { row: 'sleep', column: '2026-11' },
        { row: 'unknown', column: '2026-11' },
        { row: 'feeding', column: '1999-01' },
      ],
      ['feeding', 'sleep'],
      ['2026-11'],
    );
    expect(table.counts).toEqual([[0], [2]]);
  });

  it('refuses a k below 2 and negative or fractional counts', () => {
    const table: CountTable = { rows: ['a'], columns: ['x'], counts: [[1]] };
    expect(() => publishWithSuppression(table, 1)).toThrow(RangeError);
    expect(() => publishWithSuppression({ ...table, counts: [[-1]] }, 10)).toThrow(RangeError);
    expect(() => publishWithSuppression({ ...table, counts: [[1.5]] }, 10)).toThrow(RangeError);
  });
});
