/**
 * The consent ledger's public surface: recording choices and limits, the processing checks
 * every purpose-dependent path asks, and the receipt signing keys.
 */
export {
  recordConsent,
  currentConsents,
  listConsentHistory,
  closeConsentLedger,
  isValidScope,
  CONSENT_METHODS,
  SUBJECT_KINDS,
  type ConsentEvent,
  type ConsentReceipt,
  type CurrentConsent,
  type RecordConsentInput,
} from './consent.service.js';
export { can, filterAllowed } from './processing-checks.js';
export {
  ALL_PURPOSES,
  recordRestriction,
  liftRestriction,
  recordObjection,
  recordObjectionOverride,
  withdrawObjection,
  listProcessingLimits,
  type ProcessingLimit,
} from './limits.service.js';
export {
  ensureSigningKey,
  rotateSigningKey,
  listVerificationKeys,
  SigningKeyUnavailableError,
  type PublishedJwk,
} from './signing-keys.js';
export {
  receiptIssuerFor,
  buildReceiptPayload,
  type ReceiptIssuer,
  type ReceiptPayload,
} from './receipts.js';
export {
  ConsentNotApplicableError,
  InvalidConsentError,
  ObjectionNotApplicableError,
  ProcessingLimitNotFoundError,
  ProcessingLimitStateError,
  InvalidProcessingLimitError,
} from './consent.errors.js';
export type { ConsentMethod, SubjectKind } from './consent.tables.js';
