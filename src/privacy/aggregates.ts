/**
 * k-anonymous count tables (P25, P32): statistics that may leave Hearth (parent-supporter
 * figures for partners, audience figures for advertisers) are published as a two-way table of
 * counts with row totals, column totals and a grand total, in which no figure describes a
 * group of fewer than k people.
 *
 * Primary suppression hides every figure (cell or total) between 1 and k − 1. That alone is not
 * enough: a hidden cell is often the difference between a published total and the other
 * published cells of its row. Complementary suppression therefore hides further figures until
 * no hidden figure can be derived exactly by adding and subtracting published ones.
 *
 * "Derived exactly" is a linear-algebra question. Every figure is a variable; the table gives
 * the equations `rowTotal_r = Σ_c cell_rc`, `columnTotal_c = Σ_r cell_rc` and
 * `total = Σ_r rowTotal_r`. Moving the published figures to the right-hand side leaves a system
 * A·h = b over the hidden figures h. A hidden figure h_i is determined exactly when the unit
 * vector e_i lies in the row space of A, which the reduced row-echelon form of A shows at once:
 * e_i is in the row space exactly when some reduced row has its only non-zero entry in column i.
 *
 * The greedy search hides, for each determined figure, the published figure of the same
 * equations that frees it while losing the least: cells before totals (totals are what readers
 * use most), non-zero cells before zeros (a hidden zero next to a small cell lets a reader bound
 * the small cell by non-negativity), then the smallest count. Hiding more can never make a
 * hidden figure determined again (a null-space vector stays one when a column is added), so the
 * search only moves forward and ends after at most one step per figure.
 */

export const DEFAULT_K = 10;

export interface CountTable {
  /** Row labels: a fixed dimension (topics, regions, sections). */
  rows: readonly string[];
  /** Column labels: a fixed dimension (months, life stages). */
  columns: readonly string[];
  /** `counts[rowIndex][columnIndex]`: non-negative integers. */
  counts: readonly (readonly number[])[];
}

export interface PublishedTable {
  rows: readonly string[];
  columns: readonly string[];
  /** The published counts; `null` where a figure is suppressed. */
  cells: (number | null)[][];
  rowTotals: (number | null)[];
  columnTotals: (number | null)[];
  total: number | null;
  /** The minimum group size the table was published with. */
  k: number;
}

/**
 * Counts `(row, column)` records into a table with fixed dimensions. Records outside the
 * dimensions are ignored, so a stray value never adds a row that would describe a small group.
 */
export function countTable(
  records: Iterable<{ row: string; column: string }>,
  rows: readonly string[],
  columns: readonly string[],
): CountTable {
  const rowIndex = new Map(rows.map((label, index) => [label, index]));
  const columnIndex = new Map(columns.map((label, index) => [label, index]));
  const counts = rows.map(() => columns.map(() => 0));
  for (const record of records) {
    const r = rowIndex.get(record.row);
    const c = columnIndex.get(record.column);
    if (r === undefined || c === undefined) continue;
    const line = counts[r];
    if (line) line[c] = (line[c] ?? 0) + 1;
  }
  return { rows, columns, counts };
}

/** A figure of the table, as a variable of the linear system. */
interface Figure {
  kind: 'cell' | 'row-total' | 'column-total' | 'total';
  value: number;
}

/** One equation: the variables with coefficient ±1 that sum to zero. */
type Equation = ReadonlyMap<number, number>;

interface Layout {
  figures: Figure[];
  equations: Equation[];
  cell(r: number, c: number): number;
  rowTotal(r: number): number;
  columnTotal(c: number): number;
  total: number;
}

function layoutOf(table: CountTable): Layout {
  const rowCount = table.rows.length;
  const columnCount = table.columns.length;
  const figures: Figure[] = [];
  const valueAt = (r: number, c: number): number => {
    const value = table.counts[r]?.[c] ?? 0;
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`count at (${r}, ${c}) must be a non-negative integer, not ${value}`);
    }
    return value;
  };
  for (let r = 0; r < rowCount; r += 1) {
    for (let c = 0; c < columnCount; c += 1) figures.push({ kind: 'cell', value: valueAt(r, c) });
  }
  const cell = (r: number, c: number) => r * columnCount + c;
  const rowTotalBase = figures.length;
  for (let r = 0; r < rowCount; r += 1) {
    let sum = 0;
    for (let c = 0; c < columnCount; c += 1) sum += valueAt(r, c);
    figures.push({ kind: 'row-total', value: sum });
  }
  const columnTotalBase = figures.length;
  for (let c = 0; c < columnCount; c += 1) {
    let sum = 0;
    for (let r = 0; r < rowCount; r += 1) sum += valueAt(r, c);
    figures.push({ kind: 'column-total', value: sum });
  }
  const total = figures.length;
  let grand = 0;
  for (let r = 0; r < rowCount; r += 1) grand += figures[rowTotalBase + r]?.value ?? 0;
  figures.push({ kind: 'total', value: grand });

  const equations: Equation[] = [];
  for (let r = 0; r < rowCount; r += 1) {
    const equation = new Map<number, number>([[rowTotalBase + r, 1]]);
    for (let c = 0; c < columnCount; c += 1) equation.set(cell(r, c), -1);
    equations.push(equation);
  }
  for (let c = 0; c < columnCount; c += 1) {
    const equation = new Map<number, number>([[columnTotalBase + c, 1]]);
    for (let r = 0; r < rowCount; r += 1) equation.set(cell(r, c), -1);
    equations.push(equation);
  }
  const grandEquation = new Map<number, number>([[total, 1]]);
  for (let r = 0; r < rowCount; r += 1) grandEquation.set(rowTotalBase + r, -1);
  equations.push(grandEquation);

  return {
    figures,
    equations,
    cell,
    rowTotal: (r) => rowTotalBase + r,
    columnTotal: (c) => columnTotalBase + c,
    total,
  };
}

const EPSILON = 1e-9;

/**
 * The hidden figures that the published ones determine exactly: reduced row-echelon form of the
 * equations restricted to the hidden columns, then every reduced row with a single non-zero.
 * The matrices are small (one row per equation) with entries 0 and ±1, so floating point with
 * partial pivoting is exact enough; EPSILON only absorbs rounding in the subtractions.
 */
function determinedFigures(equations: readonly Equation[], hidden: readonly number[]): number[] {
  const matrix = equations.map((equation) => hidden.map((figure) => equation.get(figure) ?? 0));
  const columnCount = hidden.length;
  let pivotRow = 0;
  const pivots: { row: number; column: number }[] = [];
  for (let column = 0; column < columnCount && pivotRow < matrix.length; column += 1) {
    let best = pivotRow;
    for (let row = pivotRow + 1; row < matrix.length; row += 1) {
      if (Math.abs(matrix[row]![column]!) > Math.abs(matrix[best]![column]!)) best = row;
    }
    if (Math.abs(matrix[best]![column]!) < EPSILON) continue;
    [matrix[pivotRow], matrix[best]] = [matrix[best]!, matrix[pivotRow]!];
    const pivotLine = matrix[pivotRow]!;
    const pivotValue = pivotLine[column]!;
    for (let j = 0; j < columnCount; j += 1) pivotLine[j] = pivotLine[j]! / pivotValue;
    for (let row = 0; row < matrix.length; row += 1) {
      if (row === pivotRow) continue;
      const line = matrix[row]!;
      const factor = line[column]!;
      if (Math.abs(factor) < EPSILON) continue;
      for (let j = 0; j < columnCount; j += 1) line[j] = line[j]! - factor * pivotLine[j]!;
    }
    pivots.push({ row: pivotRow, column });
    pivotRow += 1;
  }
  const determined: number[] = [];
  for (const pivot of pivots) {
    const line = matrix[pivot.row]!;
    let nonZero = 0;
    for (const entry of line) if (Math.abs(entry) > EPSILON) nonZero += 1;
    if (nonZero === 1) determined.push(hidden[pivot.column]!);
  }
  return determined;
}

/** Lower is hidden first: cells, then non-zero, then the smallest count. */
function complementCost(figure: Figure): [number, number, number] {
  return [figure.kind === 'cell' ? 0 : 1, figure.value === 0 ? 1 : 0, figure.value];
}

function compareCost(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Publishes a count table with every figure in 1..k−1 suppressed, and enough further figures
 * suppressed that none of the hidden ones can be recovered from the published cells and totals.
 */
export function publishWithSuppression(table: CountTable, k: number = DEFAULT_K): PublishedTable {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer of 2 or more`);
  const layout = layoutOf(table);
  const { figures, equations } = layout;
  const isHidden = figures.map((figure) => figure.value > 0 && figure.value < k);

  for (;;) {
    const hidden = figures.flatMap((_, index) => (isHidden[index] ? [index] : []));
    if (hidden.length === 0) break;
    const determined = determinedFigures(equations, hidden);
    const exposed = determined[0];
    if (exposed === undefined) break;

    // Candidates: published figures that share an equation with the exposed one, or, when all
    // of those are hidden already, every published figure.
    const candidates = new Set<number>();
    for (const equation of equations) {
      if (!equation.has(exposed)) continue;
      for (const figure of equation.keys()) if (!isHidden[figure]) candidates.add(figure);
    }
    if (candidates.size === 0) {
      figures.forEach((_, index) => {
        if (!isHidden[index]) candidates.add(index);
      });
    }
    const ordered = [...candidates].sort(
      (a, b) => compareCost(complementCost(figures[a]!), complementCost(figures[b]!)) || a - b,
    );
    // The cheapest candidate that frees the exposed figure on its own; failing that, the
    // cheapest one, and the next round looks again.
    let chosen = ordered[0];
    for (const candidate of ordered) {
      const trial = [...hidden, candidate].sort((a, b) => a - b);
      if (!determinedFigures(equations, trial).includes(exposed)) {
        chosen = candidate;
        break;
      }
    }
    // With every figure hidden nothing is determined (each figure moves with a perturbation
    // of one cell), so an empty candidate list cannot occur; the guard keeps the types honest.
    if (chosen === undefined) break;
    isHidden[chosen] = true;
  }

  const shown = (index: number): number | null =>
    isHidden[index] ? null : (figures[index]?.value ?? 0);
  return {
    rows: table.rows,
    columns: table.columns,
    cells: table.rows.map((_, r) => table.columns.map((__, c) => shown(layout.cell(r, c)))),
    rowTotals: table.rows.map((_, r) => shown(layout.rowTotal(r))),
    columnTotals: table.columns.map((_, c) => shown(layout.columnTotal(c))),
    total: shown(layout.total),
    k,
  };
}

/** The number of suppressed figures (cells and totals), for a report's footnote. */
export function suppressedCount(table: PublishedTable): number {
  const all = [...table.cells.flat(), ...table.rowTotals, ...table.columnTotals, table.total];
  return all.filter((value) => value === null).length;
}
