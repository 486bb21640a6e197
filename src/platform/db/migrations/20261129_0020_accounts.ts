import type { Kysely } from 'kysely';

/**
 * Accounts: members and staff, their roles, single-use tokens (email verification, password
 * reset, email change, admin set-up) and linked social identities.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('accounts_users')
    .addColumn('id', 'text', (column) => column.primaryKey())
    // Stored lower-cased and trimmed; unique so an address names one member.
    .addColumn('email', 'text', (column) => column.notNull().unique())
    .addColumn('email_verified_at', 'text')
    // A new address waits here until its owner follows the link sent to it.
    .addColumn('pending_email', 'text')
    .addColumn('first_name', 'text', (column) => column.notNull())
    .addColumn('surname', 'text', (column) => column.notNull())
    .addColumn('username', 'text', (column) => column.notNull().unique())
    .addColumn('anonymous_name', 'text', (column) => column.unique())
    .addColumn('use_anonymous_name', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('location_id', 'text', (column) => column.notNull())
    // Null for a member who only ever logs in through a social identity.
    .addColumn('password_hash', 'text')
    // active | disabled (by staff) | erasing (erasure requested: log-in refused at once).
    .addColumn('status', 'text', (column) => column.notNull().defaultTo('active'))
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled_at', 'text')
    // The last RFC 6238 time step accepted at log-in: a code is refused at or below it (replay).
    .addColumn('totp_last_step', 'integer')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .addColumn('last_login_at', 'text')
    .addColumn('last_active_at', 'text')
    .execute();
  await db.schema
    .createIndex('accounts_users_last_login')
    .on('accounts_users')
    .columns(['last_login_at', 'id'])
    .execute();
  // The inactivity rule (P35) reads accounts by last activity.
  await db.schema
    .createIndex('accounts_users_last_active')
    .on('accounts_users')
    .columns(['last_active_at', 'id'])
    .execute();

  await db.schema
    .createTable('accounts_roles')
    .addColumn('user_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('granted_at', 'text', (column) => column.notNull())
    .addColumn('granted_by', 'text')
    .addPrimaryKeyConstraint('accounts_roles_pk', ['user_id', 'role'])
    .execute();

  await db.schema
    .createTable('accounts_tokens')
    // SHA-256 of the token sent by email; the token itself is never stored.
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    // verify-email | reset-password | change-email | admin-setup
    .addColumn('purpose', 'text', (column) => column.notNull())
    // The address a verify or change token was sent to.
    .addColumn('email', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'text', (column) => column.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema
    .createIndex('accounts_tokens_user')
    .on('accounts_tokens')
    .columns(['user_id', 'purpose'])
    .execute();
  await db.schema
    .createIndex('accounts_tokens_expires')
    .on('accounts_tokens')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('accounts_identities')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('provider', 'text', (column) => column.notNull())
    // The provider's `sub` claim: stable per person and provider.
    .addColumn('provider_subject', 'text', (column) => column.notNull())
    .addColumn('email', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('last_used_at', 'text')
    .addUniqueConstraint('accounts_identities_provider_subject', ['provider', 'provider_subject'])
    .execute();
  await db.schema
    .createIndex('accounts_identities_user')
    .on('accounts_identities')
    .columns(['user_id', 'id'])
    .execute();

  // Failed log-ins per email address, counted in the database so that every process sees the
  // same count (the per-account lock-out). Keyed by an HMAC of the address, never the address,
  // and kept for every address tried, registered or not, so a lock-out reveals no membership.
  await db.schema
    .createTable('accounts_login_failures')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('email_key', 'text', (column) => column.notNull())
    // Set when the address belongs to a member, so erasure removes their failures with them.
    .addColumn('user_id', 'text', (column) =>
      column.references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('failed_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('accounts_login_failures_key')
    .on('accounts_login_failures')
    .columns(['email_key', 'failed_at'])
    .execute();
  await db.schema
    .createIndex('accounts_login_failures_user')
    .on('accounts_login_failures')
    .column('user_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('accounts_login_failures').execute();
  await db.schema.dropTable('accounts_identities').execute();
  await db.schema.dropTable('accounts_tokens').execute();
  await db.schema.dropTable('accounts_roles').execute();
  await db.schema.dropTable('accounts_users').execute();
}
