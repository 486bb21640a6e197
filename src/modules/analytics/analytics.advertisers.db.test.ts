import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { makeMember } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import type { CountTable, PublishedTable } from '../../privacy/aggregates.js';
import { recordObjection } from '../../privacy/consent/index.js';
import {
  buildAdvertiserReport,
  membersTable,
  pageViewsTable,
  reportCsv,
  sectionOf,
  subscribersTable,
  type AdvertiserReport,
} from './analytics.advertisers.js';
import type { AnalyticsTables } from './analytics.tables.js';
import { monthsEndingWith } from './analytics.time.js';

/**
 * An independent check of what a reader can learn from a published table. Every figure of the
 * table (cells, row totals, column totals, the total) is a variable; the published figures fix
 * theirs, and the table's additive structure gives the equations. A hidden figure is
 * recoverable by differencing exactly when the published figures leave it one possible value.
 */
interface Audit {
  values: number[];
  hidden: boolean[];
  equations: Map<number, number>[];
  cell(r: number, c: number): number;
  rowTotal(r: number): number;
  columnTotal(c: number): number;
  total: number;
}

function auditOf(truth: CountTable, published: PublishedTable): Audit {
  const R = truth.rows.length;
  const C = truth.columns.length;
  const values: number[] = [];
  const hidden: boolean[] = [];
  const push = (value: number, shown: number | null) => {
    // Whatever is published is the truth: suppression never changes a figure.
    if (shown !== null) expect(shown).toBe(value);
    values.push(value);
    hidden.push(shown === null);
    return values.length - 1;
  };
  const cells: number[][] = [];
  for (let r = 0; r < R; r += 1) {
    cells.push([]);
    for (let c = 0; c < C; c += 1) {
      cells[r]!.push(push(truth.counts[r]![c]!, published.cells[r]![c]!));
    }
  }
  const rowTotals = truth.rows.map((_, r) =>
    push(
      truth.counts[r]!.reduce((sum, value) => sum + value, 0),
      published.rowTotals[r]!,
    ),
  );
  const columnTotals = truth.columns.map((_, c) =>
    push(
      truth.counts.reduce((sum, line) => sum + line[c]!, 0),
      published.columnTotals[c]!,
    ),
  );
  const total = push(
    truth.counts.flat().reduce((sum, value) => sum + value, 0),
    published.total,
  );
  const equations: Map<number, number>[] = [];
  for (let r = 0; r < R; r += 1) {
    equations.push(
      new Map([[rowTotals[r]!, 1], ...cells[r]!.map((v): [number, number] => [v, -1])]),
    );
  }
  for (let c = 0; c < C; c += 1) {
    equations.push(
      new Map([[columnTotals[c]!, 1], ...cells.map((line): [number, number] => [line[c]!, -1])]),
    );
  }
  equations.push(new Map([[total, 1], ...rowTotals.map((v): [number, number] => [v, -1])]));
  equations.push(new Map([[total, 1], ...columnTotals.map((v): [number, number] => [v, -1])]));
  return {
    values,
    hidden,
    equations,
    cell: (r, c) => cells[r]![c]!,
    rowTotal: (r) => rowTotals[r]!,
    columnTotal: (c) => columnTotals[c]!,
    total,
  };
}

/**
 * Brute force: looks for another table, consistent with every published figure and with no
 * negative count, in which `target` differs. Hidden figures move by −1, 0 or +1; each equation
 * is checked as soon as all its hidden figures have moved. Finding one proves the target
 * cannot be recovered by any adding or subtracting of published figures.
 */
function alternativeExists(audit: Audit, target: number): boolean {
  const hiddenFigures = audit.values.flatMap((_, index) => (audit.hidden[index] ? [index] : []));
  const order = [target, ...hiddenFigures.filter((figure) => figure !== target)];
  const position = new Map(order.map((figure, index) => [figure, index]));
  // Each equation is checked after its last hidden figure is assigned.
  const closing = order.map(() => [] as Map<number, number>[]);
  for (const equation of audit.equations) {
    const last = Math.max(-1, ...[...equation.keys()].map((figure) => position.get(figure) ?? -1));
    if (last >= 0) closing[last]!.push(equation);
  }
  const delta = new Map<number, number>();
  const search = (index: number): boolean => {
    if (index === order.length) return true;
    const figure = order[index]!;
    const choices = index === 0 ? [1, -1] : [0, 1, -1];
    for (const step of choices) {
      if (audit.values[figure]! + step < 0) continue;
      delta.set(figure, step);
      const consistent = closing[index]!.every(
        (equation) =>
          [...equation].reduce(
            (sum, [f, coefficient]) => sum + coefficient * (delta.get(f) ?? 0),
            0,
          ) === 0,
      );
      if (consistent && search(index + 1)) return true;
    }
    delta.delete(figure);
    return false;
  };
  return search(0);
}

/** Linear algebra, independently of the library: is e_target in the row space of A_hidden? */
function determinedByDifferencing(audit: Audit, target: number): boolean {
  const hiddenFigures = audit.values.flatMap((_, index) => (audit.hidden[index] ? [index] : []));
  const matrix = audit.equations.map((equation) =>
    hiddenFigures.map((figure) => equation.get(figure) ?? 0),
  );
  const rank = (rows: number[][]): number => {
    const m = rows.map((row) => [...row]);
    let found = 0;
    for (let column = 0; column < hiddenFigures.length; column += 1) {
      const pivot = m.findIndex((row, index) => index >= found && Math.abs(row[column]!) > 1e-9);
      if (pivot === -1) continue;
      [m[found], m[pivot]] = [m[pivot]!, m[found]!];
      for (let row = 0; row < m.length; row += 1) {
        if (row === found) continue;
        const factor = m[row]![column]! / m[found]![column]!;
        if (factor !== 0) m[row] = m[row]!.map((value, j) => value - factor * m[found]![j]!);
      }
      found += 1;
    }
    return found;
  };
  const unit = hiddenFigures.map((figure) => (figure === target ? 1 : 0));
  return rank([...matrix, unit]) === rank(matrix);
}

/** Every figure in 1..k−1 is hidden, and none can be worked out from what is published. */
function expectSafe(truth: CountTable, published: PublishedTable, k: number): Audit {
  const audit = auditOf(truth, published);
  audit.values.forEach((value, figure) => {
    if (value > 0 && value < k) {
      expect(audit.hidden[figure], `figure ${figure} = ${value} is below k`).toBe(true);
      expect(determinedByDifferencing(audit, figure), `figure ${figure} by differencing`).toBe(
        false,
      );
      expect(alternativeExists(audit, figure), `figure ${figure} by brute force`).toBe(true);
    }
  });
  return audit;
}

describe('the disclosure check itself', () => {
  it('P32 catches a table that hides a 3 but publishes both totals that reveal it', () => {
    const truth: CountTable = { rows: ['a', 'b'], columns: ['x'], counts: [[3], [20]] };
    const leaky: PublishedTable = {
      rows: truth.rows,
      columns: truth.columns,
      cells: [[null], [20]],
      rowTotals: [null, 20],
      columnTotals: [23],
      total: 23,
      k: 10,
    };
    const audit = auditOf(truth, leaky);
    expect(determinedByDifferencing(audit, audit.cell(0, 0))).toBe(true);
    expect(alternativeExists(audit, audit.cell(0, 0))).toBe(false);
  });
});

describeEachDialect('the aggregate report for advertisers', (current) => {
  const NOW = new Date('2026-11-29T12:00:00Z');
  const K = 10;
  let report: AdvertiserReport;
  let truth: { views: CountTable; members: CountTable; subscribers: CountTable };

  beforeAll(async () => {
    const db = current().db;
    const members = async (count: number, locationId: string) => {
      const made = [];
      for (let index = 0; index < count; index += 1) {
        made.push(await makeMember(db, { locationId }));
      }
      return made;
    };
    const london = await members(12, 'london');
    const manchester = await members(3, 'manchester'); // North West England: the group of 3
    const cardiff = await members(15, 'cardiff');
    const leeds = await members(11, 'leeds');
    // Not counted: a member who objected to advertising, and a disabled account.
    const objector = (await members(1, 'manchester'))[0]!;
    await recordObjection(db, {
      subjectId: objector.id,
      purpose: 'advertising',
      reason: 'I do not want to be counted for advertisers.',
      recordedBy: objector.id,
    });
    const disabled = await makeMember(db, { locationId: 'manchester', status: 'disabled' });

    const subscribe = async (userIds: readonly string[], listKey: string, suspended = false) => {
      for (const userId of userIds) {
        await tablesOf<Record<string, Record<string, unknown>>>(db)
          .insertInto('newsletters_subscriptions')
          .values({
            id: newId(),
            user_id: userId,
            list_key: listKey,
            due_date: listKey === 'pregnancy-weekly' ? '2027-03-01' : null,
            created_at: NOW.toISOString(),
            updated_at: NOW.toISOString(),
            last_engaged_at: NOW.toISOString(),
            suspended_at: suspended ? NOW.toISOString() : null,
          })
          .execute();
      }
    };
    await subscribe(
      london.map((m) => m.id),
      'general',
    );
    await subscribe(
      manchester.map((m) => m.id),
      'pregnancy-weekly',
    );
    await subscribe(
      cardiff.slice(0, 10).map((m) => m.id),
      'baby-monthly',
    );
    // Not counted: a suspended subscription, the objector's and the disabled member's.
    await subscribe([leeds[0]!.id], 'pregnancy-weekly', true);
    await subscribe([objector.id, disabled.id], 'pregnancy-weekly');

    const views = (day: string, path: string, count: number) =>
      tablesOf<AnalyticsTables>(db)
        .insertInto('analytics_page_views')
        .values({ day, path, views: count })
        .execute();
    await views('2026-11-03', '/forum', 25);
    await views('2026-11-20', '/forum/t/:id', 15);
    await views('2026-11-04', '/', 25);
    await views('2026-10-10', '/forum', 30);
    await views('2026-10-11', '/', 3); // the group of 3
    await views('2025-10-11', '/', 500); // thirteen months ago: outside the report

    const months = monthsEndingWith('2026-11-29', 12);
    truth = {
      views: await pageViewsTable(db, months),
      members: await membersTable(db),
      subscribers: await subscribersTable(db),
    };
    report = await buildAdvertiserReport(db, { k: K, timezone: 'Europe/London', now: NOW });
  });

  const tableOf = (key: string) => {
    const entry = report.tables.find((each) => each.key === key);
    if (!entry) throw new Error(`no table ${key}`);
    return entry.table;
  };

  it('P32 counts members by region, leaving out objectors and closed accounts', () => {
    const counts = Object.fromEntries(
      truth.members.rows.map((region, r) => [region, truth.members.counts[r]![0]]),
    );
    expect(counts).toMatchObject({
      London: 12,
      'North West England': 3,
      Wales: 15,
      'Yorkshire and the Humber': 11,
      Scotland: 0,
    });
  });

  it('P32 never reveals the region of 3 members, directly or by differencing any published figure', () => {
    const published = tableOf('members');
    const northWest = published.rows.indexOf('North West England');
    expect(published.cells[northWest]![0]).toBeNull();
    const audit = expectSafe(truth.members, published, K);
    expect(audit.hidden[audit.cell(northWest, 0)]).toBe(true);
    // Something besides the 3 had to go, or the total would give it away.
    expect(
      published.cells.flat().filter((value) => value === null).length +
        (published.columnTotals[0] === null ? 1 : 0),
    ).toBeGreaterThanOrEqual(2);
  });

  it('P32 never reveals the 3 Pregnancy Weekly subscribers, directly or by differencing', () => {
    const stages = truth.subscribers.rows;
    expect(truth.subscribers.counts.map((line) => line[0])).toEqual([12, 3, 10]);
    const published = tableOf('subscribers');
    expect(published.cells[stages.indexOf('pregnancy-weekly')]![0]).toBeNull();
    expectSafe(truth.subscribers, published, K);
  });

  it('P32 never reveals the 3 views of the home page in October, directly or by differencing', () => {
    const home = truth.views.rows.indexOf('home');
    const october = truth.views.columns.indexOf('2026-10');
    expect(truth.views.counts[home]![october]).toBe(3);
    expect(truth.views.counts[truth.views.rows.indexOf('forum')]![11]).toBe(40);
    const published = tableOf('page-views');
    expect(published.cells[home]![october]).toBeNull();
    expectSafe(truth.views, published, K);
  });

  it('P32 sorts paths into the fixed sections, the rest into Other pages', () => {
    expect(sectionOf('/')).toBe('home');
    expect(sectionOf('/forum/t/:id')).toBe('forum');
    expect(sectionOf('/whats-on/:id')).toBe('listings');
    expect(sectionOf('/privacy/changes')).toBe('other');
  });

  it('P32 the CSV says "suppressed" where a figure is hidden and never prints the 3', () => {
    const csv = reportCsv(report);
    expect(csv).toContain('Members by region (members)');
    expect(csv).toMatch(/North West England,suppressed/);
    expect(csv).toMatch(/Pregnancy Weekly,suppressed/);
    expect(csv).not.toMatch(/(^|,)3(,|\r)/m);
  });

  it('P32 a larger k suppresses more, and every figure still passes the check', async () => {
    const strict = await buildAdvertiserReport(current().db, {
      k: 13,
      timezone: 'Europe/London',
      now: NOW,
    });
    const members = strict.tables.find((each) => each.key === 'members')!.table;
    expect(members.cells[members.rows.indexOf('Yorkshire and the Humber')]![0]).toBeNull();
    expectSafe(truth.members, members, 13);
  });
});
