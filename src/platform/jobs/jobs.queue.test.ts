import { describe, expect, it } from 'vitest';
import { JobPayloadError, redactEmails, retryDelayMs, validateJobPayload } from './jobs.queue.js';
import { scheduledRunKey } from './jobs.scheduler.js';

describe('job payloads carry ids, never personal data', () => {
  it('accepts ids, slugs, scopes, dates, numbers, booleans and null', () => {
    const payload = {
      memberId: '01JDXK5Q2V8W9Y0Z1A2B3C4D5E',
      scope: 'competition:42',
      list: 'pregnancy-weekly',
      asOf: '2026-11-29T14:35:00.000Z',
      count: 3,
      isDryRun: false,
      cursor: null,
    };
    expect(validateJobPayload('privacy.retention', payload)).toBe(payload);
    expect(validateJobPayload('mail.send', {})).toEqual({});
  });

  it.each([
    ['an email address', { to: 'jane@example.com' }, /looks like an email address/],
    ['free text', { note: 'Jane is due in March' }, /looks like free text/],
    ['a long string', { token: 'a'.repeat(101) }, /looks like free text/],
    ['a nested object', { member: { id: '1' } }, /must be an id, a number/],
    ['an array', { ids: ['1', '2'] }, /not an array/],
    ['a non-finite number', { count: Number.NaN }, /finite number/],
    ['a strange key', { 'first name': '1' }, /is not a name/],
  ])('refuses %s with a clear error', (_label, payload, message) => {
    expect(() => validateJobPayload('mail.send', payload)).toThrow(JobPayloadError);
    expect(() => validateJobPayload('mail.send', payload)).toThrow(message);
  });

  it('refuses a payload that is not a plain object, and a malformed job name', () => {
    expect(() => validateJobPayload('mail.send', ['x'])).toThrow(/must be an object/);
    expect(() => validateJobPayload('mail.send', new Date())).toThrow(/plain object/);
    expect(() => validateJobPayload('send mail', {})).toThrow(/must look like owner.job/);
    expect(() => validateJobPayload('mail', {})).toThrow(/must look like owner.job/);
  });
});

describe('retry backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles with each attempt, with equal jitter between half and all of the delay', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(500);
    expect(retryDelayMs(1, policy, () => 1)).toBe(1000);
    expect(retryDelayMs(2, policy, () => 1)).toBe(2000);
    expect(retryDelayMs(4, policy, () => 0.5)).toBe(6000);
  });

  it('is capped', () => {
    expect(retryDelayMs(30, policy, () => 1)).toBe(60_000);
    expect(retryDelayMs(1000, policy, () => 0)).toBe(30_000);
  });
});

describe('error text', () => {
  it('loses email addresses before it is stored or logged', () => {
    expect(redactEmails('550 5.1.1 <jane.doe+baby@example.co.uk>: Recipient rejected')).toBe(
      '550 5.1.1 <[email]>: Recipient rejected',
    );
  });
});

describe('scheduled runs', () => {
  it('are keyed by schedule and tick', () => {
    expect(scheduledRunKey('retention', new Date('2026-11-29T03:30:00Z'))).toBe(
      'schedule:retention:2026-11-29T03:30:00.000Z',
    );
  });
});
