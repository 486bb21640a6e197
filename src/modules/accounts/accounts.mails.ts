/**
 * The account mails, in plain words. Each is queued with `queueMail` in the transaction of the
 * change that causes it. Links are absolute (mail is read outside the site) and carry a
 * single-use token; nothing else personal goes in a URL.
 */
import type { DbExecutor } from '../../platform/db/database.js';
import { queueMail } from '../../platform/mail/mail.outbox.js';
import { TOKEN_LIFETIME_MS } from './accounts.tokens.js';

interface Recipient {
  id: string;
  email: string;
  firstName: string;
}

const HOURS = (ms: number) => Math.round(ms / (60 * 60 * 1000));

function link(publicUrl: string, path: string, token?: string): string {
  const url = new URL(path, publicUrl);
  if (token !== undefined) url.searchParams.set('token', token);
  return url.toString();
}

export async function queueVerificationMail(
  db: DbExecutor,
  publicUrl: string,
  to: Recipient,
  token: string,
): Promise<void> {
  await queueMail(db, {
    to: to.email,
    toName: to.firstName,
    subjectId: to.id,
    category: 'account.verify-email',
    subject: 'Confirm your email address for Hearth',
    text: [
      `Hello ${to.firstName},`,
      '',
      'Welcome to Hearth. Please confirm that this is your email address by opening this link:',
      '',
      link(publicUrl, '/verify-email', token),
      '',
      `The link works once, for ${HOURS(TOKEN_LIFETIME_MS['verify-email'])} hours. Until you confirm, we send you no newsletters.`,
      '',
      'If you did not join Hearth, ignore this message: without the link, nothing happens.',
    ].join('\n'),
  });
}

/** Sent instead of a verification mail when someone registers with an address already in use. */
export async function queueAlreadyRegisteredMail(
  db: DbExecutor,
  publicUrl: string,
  to: Recipient,
): Promise<void> {
  await queueMail(db, {
    to: to.email,
    toName: to.firstName,
    subjectId: to.id,
    category: 'account.already-registered',
    subject: 'You already have a Hearth account',
    text: [
      `Hello ${to.firstName},`,
      '',
      'Someone, probably you, tried to join Hearth with this email address. You already have an account, so nothing was changed.',
      '',
      `Log in: ${link(publicUrl, '/login')}`,
      `Forgotten your password? Choose a new one: ${link(publicUrl, '/forgot-password')}`,
      '',
      'If this was not you, you can ignore this message.',
    ].join('\n'),
  });
}

export async function queueChangeEmailMail(
  db: DbExecutor,
  publicUrl: string,
  to: Recipient,
  token: string,
): Promise<void> {
  await queueMail(db, {
    to: to.email,
    toName: to.firstName,
    subjectId: to.id,
    category: 'account.change-email',
    subject: 'Confirm your new email address for Hearth',
    text: [
      `Hello ${to.firstName},`,
      '',
      'You asked to use this address for your Hearth account. Open this link to confirm it:',
      '',
      link(publicUrl, '/verify-email', token),
      '',
      `The link works once, for ${HOURS(TOKEN_LIFETIME_MS['change-email'])} hours. Until then we keep using your current address.`,
      '',
      'If you did not ask for this, ignore this message.',
    ].join('\n'),
  });
}

/** Tells the old address that the account now uses another one (in case it was not the owner). */
export async function queueEmailChangedMail(
  db: DbExecutor,
  publicUrl: string,
  to: Recipient,
): Promise<void> {
  await queueMail(db, {
    to: to.email,
    toName: to.firstName,
    subjectId: to.id,
    category: 'account.email-changed',
    subject: 'Your Hearth email address was changed',
    text: [
      `Hello ${to.firstName},`,
      '',
      'Your Hearth account now uses a new email address, confirmed a moment ago. We will no longer write to this one.',
      '',
      `If you did not make this change, contact us straight away through the help desk: ${link(publicUrl, '/help')}`,
    ].join('\n'),
  });
}

export async function queuePasswordResetMail(
  db: DbExecutor,
  publicUrl: string,
  to: Recipient,
  token: string,
): Promise<void> {
  await queueMail(db, {
    to: to.email,
    toName: to.firstName,
    subjectId: to.id,
    category: 'account.reset-password',
    subject: 'Choose a new Hearth password',
    text: [
      `Hello ${to.firstName},`,
      '',
      'Someone, probably you, asked to choose a new password for your Hearth account. Open this link to choose one:',
      '',
      link(publicUrl, '/reset-password', token),
      '',
      `The link works once, for ${HOURS(TOKEN_LIFETIME_MS['reset-password'])} hour. Choosing a new password logs you out everywhere else.`,
      '',
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ].join('\n'),
  });
}

/**
 * The inactivity warning (P35): 30 days before an unused account is deleted. Plain words, the
 * date, and how to keep the account: log in once.
 */
export async function queueInactivityWarningMail(
  db: DbExecutor,
  options: { publicUrl: string; timezone: string },
  to: Recipient,
  erasesAt: Date,
): Promise<void> {
  const date = new Intl.DateTimeFormat('en-GB', {
    dateStyle: 'full',
    timeZone: options.timezone,
  }).format(erasesAt);
  await queueMail(db, {
    to: to.email,
    toName: to.firstName,
    subjectId: to.id,
    category: 'account.inactivity-warning',
    subject: 'Your Hearth account will be deleted unless you log in',
    text: [
      `Hello ${to.firstName},`,
      '',
      'You have not used your Hearth account for nearly three years. As our privacy notice promises, we delete accounts that have not been used for three years, together with the personal data they hold.',
      '',
      `Your account will be deleted on ${date}.`,
      '',
      `To keep it, simply log in before then: ${link(options.publicUrl, '/login')}`,
      '',
      'If you no longer want it, do nothing and it will be deleted on that date.',
    ].join('\n'),
  });
}
