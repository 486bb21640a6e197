import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/config.js';
import {
  describeEachDialect,
  TEST_DATABASE_URL,
  type TestDatabase,
} from '../../test/helpers/dialects.js';
import { makeMember } from '../../test/helpers/members.js';
import { runCli } from '../cli.js';
import { verifyPassword, type AccountsTables } from '../modules/accounts/index.js';
import { admin, DEMO_ADMIN_EMAIL } from '../modules/admin/index.js';
import { tablesOf } from '../platform/db/database.js';

/** The environment a `hearth` process needs to reach the test database. */
function environmentFor(database: TestDatabase): Record<string, string> {
  const common = {
    LOG_LEVEL: 'silent',
    DATA_DIR: makeTempDir(),
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
  };
  if (database.databaseConfig.dialect === 'sqlite') {
    return { ...common, DATABASE_URL: `sqlite:${database.databaseConfig.file}` };
  }
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${database.schema ?? 'public'}`);
  return { ...common, DATABASE_URL: url.toString() };
}

function capture(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line), env },
  };
}

describe('hearth admin create --help', () => {
  it('explains the options', async () => {
    const { out, io } = capture({});
    expect(await runCli(['admin', 'create', '--help'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/--email E --password P/);
  });
});

describeEachDialect('hearth admin create', (current) => {
  let env: Record<string, string>;
  beforeAll(() => {
    env = environmentFor(current());
  });

  const userByEmail = (email: string) =>
    tablesOf<AccountsTables>(current().db)
      .selectFrom('accounts_users')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
  const rolesOf = async (userId: string) =>
    (
      await tablesOf<AccountsTables>(current().db)
        .selectFrom('accounts_roles')
        .select('role')
        .where('user_id', '=', userId)
        .execute()
    ).map((row) => row.role);

  it('creates a verified admin with an argon2id password and says TOTP comes next', async () => {
    const { out, io } = capture(env);
    const code = await runCli(
      [
        'admin',
        'create',
        '--email',
        'Grace@Example.test',
        '--password',
        'compilers are friends',
        '--first-name',
        'Grace',
        '--surname',
        'Hopper',
        '--location',
        'Leeds',
      ],
      io,
    );
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/Created admin grace@example\.test/);
    expect(out.join('\n')).toMatch(/Two-factor log-in must be set up/);
    const user = await userByEmail('grace@example.test');
    expect(user).toMatchObject({
      first_name: 'Grace',
      surname: 'Hopper',
      location_id: 'leeds',
      status: 'active',
      totp_secret: null,
    });
    expect(user?.email_verified_at).not.toBeNull();
    expect(user?.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user?.password_hash ?? '', 'compilers are friends')).toBe(true);
    expect(await rolesOf(user?.id ?? '')).toEqual(['admin']);
  });

  it('refuses an email that already has an account, changing nothing', async () => {
    const existing = await makeMember(current().db);
    const { err, io } = capture(env);
    const code = await runCli(
      ['admin', 'create', '--email', existing.email, '--password', 'another password'],
      io,
    );
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/already exists/);
    expect(await rolesOf(existing.id)).toEqual([]);
  });

  it('refuses a short password and an unknown place with clear messages', async () => {
    const short = capture(env);
    expect(
      await runCli(
        ['admin', 'create', '--email', 'x@example.test', '--password', 'short'],
        short.io,
      ),
    ).toBe(1);
    expect(short.err.join('\n')).toMatch(/at least 8 characters/);
    const place = capture(env);
    expect(
      await runCli(
        [
          'admin',
          'create',
          '--email',
          'y@example.test',
          '--password',
          'long enough',
          '--location',
          'Atlantis',
        ],
        place.io,
      ),
    ).not.toBe(0);
    expect(place.err.join('\n')).toMatch(/Atlantis/);
    expect(await userByEmail('x@example.test')).toBeUndefined();
    expect(await userByEmail('y@example.test')).toBeUndefined();
    const missing = capture(env);
    expect(await runCli(['admin', 'create', '--email', 'z@example.test'], missing.io)).not.toBe(0);
    expect(missing.err.join('\n')).toMatch(/--password/);
  });

  it('seed --demo adds a demo admin whose printed password works, once', async () => {
    const lines: string[] = [];
    await admin.seedDemo?.(current().db, (line) => lines.push(line));
    const password = new RegExp(`${DEMO_ADMIN_EMAIL} / (\\S+)`).exec(lines.join('\n'))?.[1];
    expect(password).toBeDefined();
    const user = await userByEmail(DEMO_ADMIN_EMAIL);
    expect(await verifyPassword(user?.password_hash ?? '', password ?? '')).toBe(true);
    expect(user?.totp_enabled_at).toBeNull();
    expect(await rolesOf(user?.id ?? '')).toEqual(['admin']);

    const again: string[] = [];
    await admin.seedDemo?.(current().db, (line) => again.push(line));
    expect(again.join('\n')).toMatch(/already exists/);
  });
});
