/**
 * What of an error may be logged. Logs carry no bodies and no emails (DESIGN.md §2), but errors
 * quote what they choke on: a driver's duplicate-key error names the email it refused.
 */

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[a-z]{2,}/gi;

/** Email addresses in a logged message become `[email]` (DESIGN.md §2: logs carry no emails). */
export function scrubEmails(text: string): string {
  return text.replace(EMAIL, '[email]');
}

/**
 * The parts of an error that are safe to log: type, message, code, stack, cause. Drivers put
 * the offending values in other properties (PostgreSQL's `detail` quotes a duplicate email),
 * so the error object itself is never handed to the logger.
 */
export function loggableError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: scrubEmails(String(error)) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: scrubEmails(error.message),
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.stack ? { stack: scrubEmails(error.stack) } : {}),
    ...(error.cause !== undefined && depth < 2
      ? { cause: loggableError(error.cause, depth + 1) }
      : {}),
  };
}
