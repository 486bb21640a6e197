import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { waitUntil } from '../../../test/helpers/jobs.js';
import { tablesOf } from '../../platform/db/database.js';
import { CSRF_COOKIE, csrfTokenFor, deriveCsrfKey } from '../../platform/http/csrf.js';
import type { AccountsTables } from '../accounts/index.js';
import { verifyPassword } from '../accounts/index.js';
import {
  ADMIN_SETUP_SETTING,
  ADMIN_SETUP_SHARED_FOR_MS,
  ADMIN_SETUP_VALID_MS,
  issueAdminSetupToken,
} from './admin.service.js';
import { announceAdminSetup } from './admin.setup.js';
import { admin } from './index.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CSRF_VALUE = 'c'.repeat(43);

/** Log lines an app writes, parsed. */
function logCapture() {
  const lines: { level: number; msg: string }[] = [];
  return {
    lines,
    stream: {
      write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }),
    },
  };
}

describeEachDialect('the first admin', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [admin] });
  });
  afterAll(async () => {
    await app?.close();
  });

  const anonymousForm = (fields: Record<string, string>) => ({
    method: 'POST' as const,
    url: '/admin/setup',
    headers: { ...FORM, cookie: `${CSRF_COOKIE}=${CSRF_VALUE}`, origin: app.config.publicUrl },
    payload: new URLSearchParams({
      _csrf: csrfTokenFor(deriveCsrfKey(app.secretKey), CSRF_VALUE, null),
      ...fields,
    }).toString(),
  });
  const details = {
    firstName: 'Ada',
    surname: 'Lovelace',
    email: 'Ada@Example.test',
    password: 'analytical engine notes',
    location: 'leeds',
  };
  const clearSetup = () =>
    tablesOf<{ platform_settings: { key: string } }>(current().db)
      .deleteFrom('platform_settings')
      .where('key', '=', ADMIN_SETUP_SETTING)
      .execute();

  it('issues one valid link however many processes start at once', async () => {
    const other = current().openAnother();
    const results = await Promise.all([
      issueAdminSetupToken(current().db),
      issueAdminSetupToken(other.db),
      issueAdminSetupToken(current().db),
    ]);
    expect(results.filter((result) => result.issued)).toHaveLength(1);
    expect(
      results.filter((result) => !result.issued && result.reason === 'issued-elsewhere'),
    ).toHaveLength(2);
    // A later start (a restart) replaces it, so the operator sees a working link again.
    const later = await issueAdminSetupToken(
      current().db,
      new Date(Date.now() + ADMIN_SETUP_SHARED_FOR_MS + 1000),
    );
    expect(later.issued).toBe(true);
    const [first] = results.filter((result) => result.issued);
    if (!first?.issued || !later.issued) throw new Error('expected issued links');
    const oldLink = await app.inject({ url: `/admin/setup?token=${first.token}` });
    expect(oldLink.statusCode).toBe(404);
    const newLink = await app.inject({ url: `/admin/setup?token=${later.token}` });
    expect(newLink.statusCode).toBe(200);
    await clearSetup();
  });

  it('refuses an expired link', async () => {
    const issued = await issueAdminSetupToken(
      current().db,
      new Date(Date.now() - ADMIN_SETUP_VALID_MS - 1000),
    );
    if (!issued.issued) throw new Error('expected a link');
    const response = await app.inject({ url: `/admin/setup?token=${issued.token}` });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('has expired');
    await clearSetup();
  });

  it('logs a one-time link on the first start; the link creates the first admin once', async () => {
    const log = logCapture();
    const server = await buildTestApp(current(), {
      modules: [admin],
      env: { LOG_LEVEL: 'warn' },
      logStream: log.stream,
    });
    try {
      await server.listen({ host: '127.0.0.1', port: 0 });
      // onListen hooks run once the socket is open, without holding up listen() itself.
      await waitUntil(() => log.lines.some((line) => line.msg.includes('/admin/setup?token=')));
    } finally {
      await server.close();
    }
    const announcement = log.lines.find((line) => line.msg.includes('/admin/setup?token='));
    expect(announcement?.level).toBe(40);
    const token = /token=([\w-]{43})/.exec(announcement?.msg ?? '')?.[1] ?? '';
    expect(token).not.toBe('');

    const page = await app.inject({ url: `/admin/setup?token=${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Create the first admin');

    // A mistake shows the form again, keeping the answers but never the password.
    const invalid = await app.inject(
      anonymousForm({ ...details, token, location: 'Atlantis', email: 'not-an-email' }),
    );
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('value="Ada"');
    expect(invalid.body).not.toContain(details.password);

    const created = await app.inject(anonymousForm({ ...details, token }));
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe('/account/two-factor');
    expect(created.cookies.some((cookie) => cookie.name === 'hearth_session')).toBe(true);

    const accounts = tablesOf<AccountsTables>(current().db);
    const user = await accounts
      .selectFrom('accounts_users')
      .selectAll()
      .where('email', '=', 'ada@example.test')
      .executeTakeFirstOrThrow();
    expect(user.email_verified_at).not.toBeNull();
    expect(user.location_id).toBe('leeds');
    expect(user.totp_enabled_at).toBeNull();
    expect(await verifyPassword(user.password_hash ?? '', details.password)).toBe(true);
    const roles = await accounts
      .selectFrom('accounts_roles')
      .select('role')
      .where('user_id', '=', user.id)
      .execute();
    expect(roles.map((row) => row.role)).toEqual(['admin']);

    // Single use: the same link, or any other, no longer works.
    const again = await app.inject(anonymousForm({ ...details, token, email: 'eve@example.test' }));
    expect(again.statusCode).toBe(404);
    expect((await app.inject({ url: `/admin/setup?token=${token}` })).statusCode).toBe(404);

    // With an admin, a start prints no link.
    const quiet = logCapture();
    const restarted = await buildTestApp(current(), {
      modules: [admin],
      env: { LOG_LEVEL: 'warn' },
      logStream: quiet.stream,
    });
    try {
      // What the onListen hook runs, awaited here so the absence of a line is conclusive.
      await announceAdminSetup(restarted);
    } finally {
      await restarted.close();
    }
    expect(quiet.lines.filter((line) => line.msg.includes('admin'))).toEqual([]);
    expect((await issueAdminSetupToken(current().db)).issued).toBe(false);
  });

  it('refuses a forged token without a 500', async () => {
    expect((await app.inject({ url: '/admin/setup' })).statusCode).toBe(404);
    expect((await app.inject({ url: `/admin/setup?token=${'x'.repeat(43)}` })).statusCode).toBe(
      404,
    );
    const forged = await app.inject(anonymousForm({ ...details, token: 'x'.repeat(43) }));
    expect(forged.statusCode).toBe(404);
  });
});
