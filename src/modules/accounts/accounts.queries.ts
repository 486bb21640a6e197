/** Queries on the accounts tables: functions of the data, no business rules (STYLE.md point 6). */
import type { Insertable, Selectable, Updateable } from 'kysely';
import {
  fixedPlanValue,
  precompiledQuery,
  tablesOf,
  type DbExecutor,
} from '../../platform/db/database.js';
import type { AccountsTables, Role, UsersTable } from './accounts.tables.js';

/** An account row as read. */
export type User = Selectable<UsersTable>;

/** Emails are stored trimmed and lower-cased, so one address names one member. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Read on every member's request and again for the name on new content: compiled once, and
// planned once (fixedPlanValue).
const userByIdQuery = precompiledQuery(['id'], (db, values) =>
  tablesOf<AccountsTables>(db)
    .selectFrom('accounts_users')
    .selectAll()
    .where('id', '=', fixedPlanValue<string>(values.id, 'text')),
);

export async function findUserById(db: DbExecutor, id: string): Promise<User | undefined> {
  return (await userByIdQuery(db, { id })).rows[0];
}

export async function findUserByEmail(db: DbExecutor, email: string): Promise<User | undefined> {
  return tablesOf<AccountsTables>(db)
    .selectFrom('accounts_users')
    .selectAll()
    .where('email', '=', normaliseEmail(email))
    .executeTakeFirst();
}

export async function isUsernameTaken(db: DbExecutor, username: string): Promise<boolean> {
  const row = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_users')
    .select('id')
    .where((eb) => eb.or([eb('username', '=', username), eb('anonymous_name', '=', username)]))
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertUser(db: DbExecutor, row: Insertable<UsersTable>): Promise<void> {
  await tablesOf<AccountsTables>(db).insertInto('accounts_users').values(row).execute();
}

export async function updateUser(
  db: DbExecutor,
  id: string,
  changes: Omit<Updateable<UsersTable>, 'id'>,
): Promise<void> {
  await tablesOf<AccountsTables>(db)
    .updateTable('accounts_users')
    .set(changes)
    .where('id', '=', id)
    .execute();
}

/** The member's roles, `member` first (every account is a member). */
export async function rolesOf(db: DbExecutor, userId: string): Promise<Role[]> {
  const rows = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_roles')
    .select('role')
    .where('user_id', '=', userId)
    .orderBy('role')
    .execute();
  return ['member', ...rows.map((row) => row.role).filter((role) => role !== 'member')];
}
