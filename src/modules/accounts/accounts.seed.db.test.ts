import { expect, it } from 'vitest';
import { tablesOf } from '../../platform/db/database.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { DEMO_MEMBERS, seedDemoMembers } from './accounts.seed.js';
import type { AccountsTables } from './accounts.tables.js';
import { verifyPassword } from './passwords.js';

describeEachDialect('accounts demo members', (current) => {
  it('adds verified demo members with printed passwords, once', async () => {
    const lines: string[] = [];
    await seedDemoMembers(current().db, (line) => lines.push(line));
    await seedDemoMembers(current().db, (line) => lines.push(line));
    const users = await tablesOf<AccountsTables>(current().db)
      .selectFrom('accounts_users')
      .selectAll()
      .orderBy('email')
      .execute();
    expect(users.map((user) => user.email)).toEqual(DEMO_MEMBERS.map((demo) => demo.email).sort());
    for (const user of users) expect(user.email_verified_at).not.toBeNull();
    const printed = /^Demo member (\S+) \((\S+)\), password: (\S+)$/.exec(lines[0] ?? '');
    const first = users.find((user) => user.email === printed?.[1]);
    expect(first?.username).toBe(printed?.[2]);
    expect(await verifyPassword(first?.password_hash ?? '', printed?.[3] ?? '')).toBe(true);
    expect(lines.slice(3).every((line) => line.includes('already exists'))).toBe(true);
  });
});
