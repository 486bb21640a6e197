/**
 * What the privacy core knows about the application: every owner's data map, merged, and the
 * hooks of modules that need more than the declarative engine. Built once by app.ts.
 */
import { mergeDataMaps, type OwnedDataMap, type TableDeclaration } from '../platform/datamap.js';
import type { ModulePrivacyHooks } from '../platform/module.js';

export interface PrivacyOwner extends OwnedDataMap {
  hooks?: ModulePrivacyHooks;
}

export interface PrivacyRegistry {
  owners: readonly PrivacyOwner[];
  /** Every declared table, by name, with its owner. */
  tables: ReadonlyMap<string, { owner: string; table: TableDeclaration }>;
}

export function createPrivacyRegistry(owners: readonly PrivacyOwner[]): PrivacyRegistry {
  return { owners, tables: mergeDataMaps(owners) };
}
