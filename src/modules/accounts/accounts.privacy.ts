/**
 * The accounts data map: what registration and the profile hold (the notice's "Registration &
 * Profile": name, email, password, chosen location, newsletter preferences — the latter in the
 * newsletters module), kept while the account exists and erased with it. An account with no log-in
 * or activity for three years is erased, after a warning mail 30 days ahead (P35).
 */
import type { DataMap } from '../../platform/datamap.js';

export const accountsDataMap: DataMap = {
  accounts_users: {
    subjects: [{ column: 'id', role: 'member' }],
    purpose: 'account',
    source: 'member',
    description: 'Your account: name, email, password, chosen location, usernames.',
    columns: {
      id: 'system.id',
      email: 'user.contact.email',
      email_verified_at: 'system.time',
      pending_email: 'user.contact.email',
      first_name: 'user.name',
      surname: 'user.name',
      username: 'user.name.display',
      anonymous_name: 'user.name.display',
      use_anonymous_name: 'user.preference',
      location_id: 'user.location.coarse',
      password_hash: 'user.authentication',
      status: 'system.state',
      totp_secret: 'user.authentication',
      totp_enabled_at: 'system.time',
      totp_last_step: 'user.authentication',
      created_at: 'system.time',
      updated_at: 'system.time',
      last_login_at: 'user.behaviour',
      last_active_at: 'user.behaviour',
    },
    erasure: 'delete',
    retention: [
      { keep: 'while-account' },
      {
        // last_active_at is set at registration, at every log-in and by any authenticated
        // request (at most once a day), so it is the later of log-in and activity.
        after: 'P3Y',
        from: 'last_active_at',
        action: 'erase-subject',
        warnBefore: 'P30D',
        reason: 'An account unused for three years is deleted with its personal data (P35).',
      },
    ],
  },
  accounts_roles: {
    primaryKey: ['user_id', 'role'],
    subjects: [{ column: 'user_id', role: 'member' }],
    purpose: 'account',
    source: 'staff',
    description: 'Staff roles granted to an account.',
    columns: {
      user_id: 'user.id',
      role: 'system.state',
      granted_at: 'system.time',
      granted_by: 'user.id',
    },
    erasure: 'delete',
    retention: [{ keep: 'while-account' }],
  },
  accounts_tokens: {
    subjects: [{ column: 'user_id', role: 'member' }],
    purpose: 'security',
    source: 'system',
    description: 'Single-use links for verifying an email address and resetting a password.',
    columns: {
      id: 'system.secret',
      user_id: 'user.id',
      purpose: 'system.state',
      email: 'user.contact.email',
      created_at: 'system.time',
      expires_at: 'system.time',
      used_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P1D',
        from: 'expires_at',
        action: 'delete',
        reason: 'A link is useless once expired; kept a day to answer "this link has expired".',
      },
    ],
  },
  accounts_identities: {
    subjects: [{ column: 'user_id', role: 'member' }],
    purpose: 'account',
    source: 'partner',
    description: 'Social log-in identities linked to the account.',
    columns: {
      id: 'system.id',
      user_id: 'user.id',
      provider: 'system.config',
      provider_subject: 'user.authentication',
      email: 'user.contact.email',
      created_at: 'system.time',
      last_used_at: 'user.behaviour',
    },
    erasure: 'delete',
    retention: [{ keep: 'while-account' }],
  },
  accounts_login_failures: {
    subjects: [{ column: 'user_id', role: 'member' }],
    purpose: 'security',
    source: 'system',
    description:
      'Failed log-ins for an email address, to lock out password guessing for a quarter of an hour.',
    columns: {
      id: 'system.id',
      email_key: 'system.hash',
      user_id: 'user.id',
      failed_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P1D',
        from: 'failed_at',
        action: 'delete',
        reason:
          'Only the last quarter of an hour counts; a day is kept to see an attack afterwards.',
      },
    ],
  },
};
