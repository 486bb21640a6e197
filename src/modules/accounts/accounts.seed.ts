/**
 * Demo members for `hearth seed --demo`: verified, active accounts with fresh random passwords,
 * printed once, so someone trying Hearth out can log in as a member straight away. One of them
 * writes under an anonymous name, to show both names. (The demo admin is the admin module's.)
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import { findFreeName, pseudonymCandidate, usernameCandidate } from './accounts.names.js';
import { findUserByEmail, insertUser, isUsernameTaken } from './accounts.queries.js';
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
    const now = toDbTime(new Date());
    const username = await db.transaction().execute(async (trx) => {
      const name = await findFreeName(
        (attempt) => usernameCandidate(demo.firstName, demo.surname, attempt),
        (candidate) => isUsernameTaken(trx, candidate),
      );
      const anonymousName = demo.anonymous
        ? await findFreeName(pseudonymCandidate, (candidate) => isUsernameTaken(trx, candidate))
        : null;
      await insertUser(trx, {
        id: newId(),
        email: demo.email,
        email_verified_at: now,
        pending_email: null,
        first_name: demo.firstName,
        surname: demo.surname,
        username: name,
        anonymous_name: anonymousName,
        use_anonymous_name: demo.anonymous ? 1 : 0,
        location_id: demo.location,
        password_hash: passwordHash,
        status: 'active',
        totp_secret: null,
        totp_enabled_at: null,
        created_at: now,
        updated_at: now,
        last_login_at: null,
        last_active_at: now,
      });
      return name;
    });
    log(`Demo member ${demo.email} (${username}), password: ${password}`);
  }
}
