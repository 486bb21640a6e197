/** The disclosure log's public surface: `disclose()` and "who received my data". */
export {
  disclose,
  listDisclosures,
  DisclosureRefusedError,
  InvalidDisclosureError,
  type Disclosure,
  type DiscloseInput,
} from './disclosures.service.js';
export type { DisclosureActorKind, DisclosureBasis } from './disclosures.tables.js';
