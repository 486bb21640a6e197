/**
 * Errors of the consent ledger and the processing limits. Each is an AppError with one of the
 * platform's stable codes, so a route that lets one through answers a clear 4xx, never a 500;
 * the subclasses let callers tell the cases apart.
 */
import { AppError } from '../../platform/http/errors.js';

/**
 * A consent change for a purpose whose basis is not consent. Such purposes are not switched on
 * and off by consent: the person objects (Art. 21) or asks for restriction (Art. 18) instead.
 */
export class ConsentNotApplicableError extends AppError {
  constructor(
    readonly purpose: string,
    basis: string,
  ) {
    const message = `Purpose "${purpose}" relies on ${basis}, not consent: record an objection or a restriction instead`;
    super('conflict', message, { fields: { purpose: message } });
    this.name = 'ConsentNotApplicableError';
  }
}

/** A consent event or check that is malformed (scope, notice version, subject, method). */
export class InvalidConsentError extends AppError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('validation_failed', message, { fields: { [field]: message } });
    this.name = 'InvalidConsentError';
  }
}

/**
 * An objection to a purpose the person cannot object to: Art. 21 covers legitimate interests
 * and public task; consent is withdrawn instead, and contract or legal duties cannot be
 * objected to (a restriction may still apply).
 */
export class ObjectionNotApplicableError extends AppError {
  constructor(
    readonly purpose: string,
    basis: string,
  ) {
    const message =
      basis === 'consent'
        ? `Purpose "${purpose}" relies on consent: withdraw the consent instead of objecting`
        : `Purpose "${purpose}" relies on ${basis}, which cannot be objected to; a restriction may be requested`;
    super('conflict', message, { fields: { purpose: message } });
    this.name = 'ObjectionNotApplicableError';
  }
}

/** A restriction or objection that does not exist. */
export class ProcessingLimitNotFoundError extends AppError {
  constructor(readonly limitId: string) {
    super('not_found', `No restriction or objection ${limitId}`);
    this.name = 'ProcessingLimitNotFoundError';
  }
}

/** A change that the limit's current status does not allow (lifting a lifted restriction, …). */
export class ProcessingLimitStateError extends AppError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'ProcessingLimitStateError';
  }
}

/** A restriction or objection request that is malformed (empty reason, bad id, …). */
export class InvalidProcessingLimitError extends AppError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('validation_failed', message, { fields: { [field]: message } });
    this.name = 'InvalidProcessingLimitError';
  }
}
