import { describe, expect, it } from 'vitest';
import { durationWords, retentionWords } from './notice.words.js';

describe('the data map in words', () => {
  it('says durations as people do', () => {
    expect(durationWords('P3Y')).toBe('3 years');
    expect(durationWords('P1Y6M')).toBe('1 year and 6 months');
    expect(durationWords('P2W3D')).toBe('17 days');
    expect(durationWords('P1DT12H30M')).toBe('1 day, 12 hours and 30 minutes');
  });

  it('says each rule shape as a sentence', () => {
    const columns = { ip_address: 'user.device.ip', user_agent: 'user.device.agent' } as const;
    expect(retentionWords({ keep: 'while-published' })).toBe(
      'Kept while the page it belongs to is published.',
    );
    expect(retentionWords({ keep: 'while-account', reason: 'It is your account.' })).toBe(
      'Kept while your account is open: It is your account.',
    );
    expect(retentionWords({ after: 'P30D', from: 'created_at', action: 'delete' })).toBe(
      'Deleted 30 days after it was created.',
    );
    expect(
      retentionWords(
        {
          after: 'P90D',
          from: 'created_at',
          action: 'clear',
          columns: ['ip_address', 'user_agent'],
        },
        columns,
      ),
    ).toBe('IP address, browser and device type removed 90 days after it was created.');
    expect(
      retentionWords({
        after: 'P2Y',
        from: 'closed_at',
        action: 'delete',
        where: { status: 'closed' },
        reason: 'Long enough to settle a dispute',
      }),
    ).toBe(
      'Deleted 2 years after it was closed (when status is "closed"). Long enough to settle a dispute.',
    );
    expect(
      retentionWords({
        after: 'P3Y',
        from: 'last_login_at',
        action: 'erase-subject',
        warnBefore: 'P30D',
      }),
    ).toBe(
      'Your account and personal data erased 3 years after your last sign-in, after a warning at least 30 days before.',
    );
    expect(retentionWords({ after: 'P0D', from: 'expires_at', action: 'delete' })).toBe(
      'Deleted once it expired.',
    );
    expect(retentionWords({ after: 'P1Y', from: 'shipped_on', action: 'delete' })).toBe(
      'Deleted 1 year after its "shipped on" date.',
    );
  });
});
