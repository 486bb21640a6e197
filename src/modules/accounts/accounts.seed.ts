/**
 * Demo members for `hearth seed --demo`: verified, active accounts with fresh random passwords,
 * printed once, so someone trying Hearth out can log in as a member straight away. One of them
 * writes under an anonymous name, to show both names. (The demo admin is the admin module's.)
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../platform/db/database.js';
import { insertAccount } from './accounts.service.js';
import { findUserByEmail } from './accounts.queries.js';
import { hashPassword } from './passwords.js';

interface DemoMember {
  email: string;
  firstName: string;
  surname: string;
  location: string;
  anonymous: boolean;
}

export const DEMO_MEMBERS: readonly DemoMember[] = [
  {
    email: 'sarah@demo.hearth.example',
    firstName: 'Sarah',
    surname: 'Khan',
    location: 'manchester',
    anonymous: false,
  },
  {
    email: 'tom@demo.hearth.example',
    firstName: 'Tom',
    surname: 'Evans',
    location: 'cardiff',
    anonymous: false,
  },
  {
    email: 'priya@demo.hearth.example',
    firstName: 'Priya',
    surname: 'Shah',
    location: 'leeds',
    anonymous: true,
  },
];

export async function seedDemoMembers(db: Database, log: (line: string) => void): Promise<void> {
  for (const demo of DEMO_MEMBERS) {
    if (await findUserByEmail(db, demo.email)) {
      log(`Demo member ${demo.email} already exists (its password was printed when made).`);
      continue;
    }
    const password = randomBytes(12).toString('base64url');
    const passwordHash = await hashPassword(password);
    const { username } = await db.transaction().execute((trx) =>
      insertAccount(trx, {
        email: demo.email,
        firstName: demo.firstName,
        surname: demo.surname,
        locationId: demo.location,
        passwordHash,
        emailVerifiedAt: new Date(),
        anonymous: demo.anonymous,
      }),
    );
    log(`Demo member ${demo.email} (${username}), password: ${password}`);
  }
}
