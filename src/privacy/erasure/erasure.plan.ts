/**
 * The order of an erasure, derived from the live foreign keys and the `via` declarations, never
 * set by hand (DESIGN.md §5.1): a table that references another is erased before it, and an
 * owner whose tables reference another owner's tables goes before that owner, because each
 * owner's part runs in one transaction.
 */
import { isPersonalTable } from '../../platform/datamap.js';
import type { ForeignKey } from '../../platform/db/introspect.js';
import type { PrivacyRegistry } from '../registry.js';

export interface OwnerStep {
  owner: string;
  /** The owner's personal tables, children before parents. */
  tables: string[];
  /** Whether the owner has an `eraseFor` hook to call first. */
  hasHook: boolean;
}

/**
 * Owners of the core go last among owners free to go: modules' hooks may still append audit
 * entries about the subject, and the privacy core's step removes the subject's audit pseudonym.
 */
const CORE_OWNERS = new Set(['privacy', 'platform']);

export class ErasureOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ErasureOrderError';
  }
}

/** Edges `child → parent` among personal tables: the child is erased first. */
function tableEdges(
  registry: PrivacyRegistry,
  foreignKeys: readonly ForeignKey[],
): Map<string, Set<string>> {
  const personal = new Set(
    [...registry.tables].filter(([, entry]) => isPersonalTable(entry.table)).map(([name]) => name),
  );
  const parentsOf = new Map<string, Set<string>>();
  const add = (child: string, parent: string) => {
    if (child === parent || !personal.has(child) || !personal.has(parent)) return;
    const parents = parentsOf.get(child) ?? new Set<string>();
    parents.add(parent);
    parentsOf.set(child, parents);
  };
  for (const key of foreignKeys) add(key.table, key.referencedTable);
  for (const [name, entry] of registry.tables) {
    if (isPersonalTable(entry.table) && entry.table.via) add(name, entry.table.via.table);
  }
  return parentsOf;
}

/**
 * Orders `nodes` so that every node comes before the nodes it points to, picking among the
 * nodes free to go by `rank` (lower first). Throws on a cycle, naming the nodes in it.
 */
function orderBefore(
  nodes: readonly string[],
  pointsTo: ReadonlyMap<string, ReadonlySet<string>>,
  rank: (node: string) => number,
  what: string,
): string[] {
  const waitingOn = new Map<string, number>(nodes.map((node) => [node, 0]));
  for (const node of nodes) {
    for (const target of pointsTo.get(node) ?? []) {
      if (waitingOn.has(target)) waitingOn.set(target, (waitingOn.get(target) ?? 0) + 1);
    }
  }
  const ordered: string[] = [];
  const free = nodes.filter((node) => waitingOn.get(node) === 0);
  while (free.length > 0) {
    free.sort((a, b) => rank(a) - rank(b));
    const next = free.shift() as string;
    ordered.push(next);
    for (const target of pointsTo.get(next) ?? []) {
      const count = waitingOn.get(target);
      if (count === undefined) continue;
      waitingOn.set(target, count - 1);
      if (count - 1 === 0) free.push(target);
    }
  }
  if (ordered.length !== nodes.length) {
    const stuck = nodes.filter((node) => !ordered.includes(node));
    throw new ErasureOrderError(
      `the ${what} ${stuck.join(', ')} reference each other in a cycle; an erasure order cannot be derived`,
    );
  }
  return ordered;
}

export function planErasure(
  registry: PrivacyRegistry,
  foreignKeys: readonly ForeignKey[],
): OwnerStep[] {
  const parentsOf = tableEdges(registry, foreignKeys);
  const ownerOf = new Map([...registry.tables].map(([name, entry]) => [name, entry.owner]));
  const ownerIndex = new Map(registry.owners.map((owner, index) => [owner.owner, index]));

  const ownerPointsTo = new Map<string, Set<string>>();
  for (const [child, parents] of parentsOf) {
    for (const parent of parents) {
      const from = ownerOf.get(child);
      const to = ownerOf.get(parent);
      if (from === undefined || to === undefined || from === to) continue;
      const targets = ownerPointsTo.get(from) ?? new Set<string>();
      targets.add(to);
      ownerPointsTo.set(from, targets);
    }
  }

  const owners = registry.owners
    .filter(
      (owner) =>
        owner.hooks?.eraseFor !== undefined ||
        Object.values(owner.tables).some((table) => isPersonalTable(table)),
    )
    .map((owner) => owner.owner);
  const ownerRank = (owner: string) =>
    (CORE_OWNERS.has(owner) ? 1_000_000 : 0) + (ownerIndex.get(owner) ?? 0);
  const ownerOrder = orderBefore(owners, ownerPointsTo, ownerRank, 'owners');

  return ownerOrder.map((owner) => {
    const declared = registry.owners.find((entry) => entry.owner === owner);
    const names = Object.entries(declared?.tables ?? {})
      .filter(([, table]) => isPersonalTable(table))
      .map(([name]) => name);
    const declarationIndex = new Map(names.map((name, index) => [name, index]));
    return {
      owner,
      tables: orderBefore(
        names,
        parentsOf,
        (name) => declarationIndex.get(name) ?? 0,
        `tables of ${owner}`,
      ),
      hasHook: declared?.hooks?.eraseFor !== undefined,
    };
  });
}
