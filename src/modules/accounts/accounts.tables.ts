import type { ColumnType } from 'kysely';

/** Kysely types of the accounts tables (migration 20261129_0020_accounts). */
export type UserStatus = 'active' | 'disabled' | 'erasing';

export type Role =
  'member' | 'parent_supporter' | 'moderator' | 'helpdesk_agent' | 'editor' | 'dpo' | 'admin';

/** Every role but `member` is staff: staff must set up two-factor log-in before /admin opens. */
export const STAFF_ROLES: readonly Role[] = [
  'parent_supporter',
  'moderator',
  'helpdesk_agent',
  'editor',
  'dpo',
  'admin',
];

export const ROLES: readonly Role[] = ['member', ...STAFF_ROLES];

export type TokenPurpose =
  | 'verify-email'
  | 'reset-password'
  | 'change-email'
  | 'admin-setup'
  /** The first log-in step of a staff member over the API, waiting for the TOTP code. */
  | 'login-challenge';

export interface UsersTable {
  id: string;
  email: string;
  email_verified_at: string | null;
  pending_email: string | null;
  first_name: string;
  surname: string;
  username: string;
  anonymous_name: string | null;
  use_anonymous_name: number;
  location_id: string;
  password_hash: string | null;
  status: UserStatus;
  totp_secret: string | null;
  totp_enabled_at: string | null;
  /**
   * The last TOTP time step accepted at log-in; a code at or below it is a replay. Optional on
   * insert (null until the first two-factor log-in).
   */
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
  last_active_at: string | null;
}

export interface RolesTable {
  user_id: string;
  role: Role;
  granted_at: string;
  granted_by: string | null;
}

export interface TokensTable {
  id: string;
  user_id: string;
  purpose: TokenPurpose;
  email: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface IdentitiesTable {
  id: string;
  user_id: string;
  provider: string;
  provider_subject: string;
  email: string | null;
  created_at: string;
  last_used_at: string | null;
}

export interface LoginFailuresTable {
  id: string;
  /** HMAC-SHA256 of the normalised email address tried (never the address itself). */
  email_key: string;
  user_id: string | null;
  failed_at: string;
}

export interface AccountsTables {
  accounts_users: UsersTable;
  accounts_roles: RolesTable;
  accounts_tokens: TokensTable;
  accounts_identities: IdentitiesTable;
  accounts_login_failures: LoginFailuresTable;
}
