import type { DataMap } from '../../platform/datamap.js';

/** The rights module's tables (requests, verification codes), declared with the vocabulary. */
export const rightsDataMap: DataMap = {};
