/**
 * The published notice over HTTP: the first start publishes version 1; `/privacy` states the
 * facts the promises require; `/privacy/changes` lists versions; the API returns JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { makeTempDir } from '../../../test/helpers/config.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { retentionFixtureOwner } from '../../../test/fixtures/retention-owner/retention-owner.js';
import { listPartners } from '../partners.js';
import { loadNoticeProse } from './notice.prose.js';
import { publishNotice } from './notice.service.js';
import type { NoticeVersionResponse } from './notice.schemas.js';

/** The text of a page without tags, with entities decoded and whitespace collapsed. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describeEachDialect('privacy notice pages and API', (current) => {
  let app: FastifyInstance;
  const dataDir = makeTempDir();

  beforeAll(async () => {
    // The operator's own text replaces one shipped section; HTML in it must come out as text.
    fs.mkdirSync(path.join(dataDir, 'notice'), { recursive: true });
    fs.writeFileSync(
      path.join(dataDir, 'notice', '01-who-we-are.md'),
      '# About Little Acorns\n\nLittle Acorns is run by parents. <script>alert(1)</script> ' +
        '[a trick](javascript:alert(2)) and [our blog](https://blog.example.org/).\n',
    );
    app = await buildTestApp(current(), {
      extraOwners: [retentionFixtureOwner],
      env: { DATA_DIR: dataDir },
    });
  });

  afterAll(async () => {
    await app.close();
  });

  it('publishes version 1 at first start and serves it as JSON', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/privacy/notice' });
    expect(response.statusCode).toBe(200);
    const body = response.json<NoticeVersionResponse>();
    expect(body.version).toBe(1);
    expect(body.material).toBe(false);
    expect(Number.isNaN(Date.parse(body.publishedAt))).toBe(false);
    const fixture = body.content.features.find((feature) => feature.owner === 'retention-fixture');
    const security = fixture?.purposes.find((entry) => entry.purpose.key === 'security');
    expect(security?.purpose.basis).toBe('legitimate-interests');
    expect(security?.collects.map((item) => item.text)).toContain('IP address');
    expect(security?.retention).toContain('Deleted 30 days after it was created.');
    expect(body.content.partners.map((partner) => partner.id)).toEqual(
      listPartners().map((partner) => partner.id),
    );
    expect(body.content.dataProtectionOfficer.email).toBe('dpo@example.org');
  });

  it('/privacy states, per feature, what is collected, why, the legal basis, how long and who receives it', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/privacy',
      headers: { accept: 'text/html' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    const text = textOf(response.body);
    expect(text).toContain('Retention fixture');
    expect(text).toContain('What we collect IP address');
    expect(text).toContain('Keeping Hearth secure');
    expect(text).toContain('Our legitimate interests, balanced against yours');
    expect(text).toContain('Deleted 30 days after it was created.');
    expect(text).toContain(
      'Your account and personal data erased 3 years after your last activity (when status is "active"), after a warning at least 30 days before.',
    );
    expect(text).toContain(
      'IP address, browser and device type removed 90 days after it was created.',
    );
    expect(text).toContain('Who receives it Cloud hosting provider');
  });

  it('P47 publishes the list of sub-processors and other recipients', async () => {
    const text = textOf((await app.inject({ method: 'GET', url: '/privacy' })).body);
    for (const name of [
      'Cloud hosting provider',
      'Email delivery provider',
      'Web analytics provider',
      'Help desk software provider',
      'Forum moderation and anti-spam service',
      'Social login provider',
      'Online survey platform',
      'Competition sponsors',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('Works for us under contract (processor)');
    expect(text).toContain('Independent organisation, under its own privacy notice');
  });

  it('P51 lists each transfer outside the UK and EEA with its safeguard', async () => {
    const html = (await app.inject({ method: 'GET', url: '/privacy' })).body;
    const transfers = /<section[^>]*id="transfers"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    const text = textOf(transfers);
    expect(text).toContain(
      'Email delivery provider , in United States. Safeguard: UK International Data Transfer Agreement (IDTA).',
    );
    expect(text).toContain(
      'Online survey platform , in United States. Safeguard: EU Standard Contractual Clauses with the UK Addendum.',
    );
    // Partners inside the UK or EEA are not transfers.
    expect(text).not.toContain('Cloud hosting provider');
    expect(text).not.toContain('Help desk software provider');
  });

  it('P55 publishes the data protection officer’s contact, and P56 the route to the ICO', async () => {
    const html = (await app.inject({ method: 'GET', url: '/privacy' })).body;
    expect(html).toContain('href="mailto:dpo@example.org"');
    const contact = textOf(/<section[^>]*id="contact"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '');
    expect(contact).toContain('Data protection officer Data Protection Officer, dpo@example.org');
    const complaints = /<section[^>]*id="complaints"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(complaints).toContain('href="https://ico.org.uk/make-a-complaint/"');
    expect(textOf(complaints)).toContain("Information Commissioner's Office (ICO)");
    expect(textOf(complaints)).toContain('0303 123 1113');
  });

  it('renders the operator’s prose from DATA_DIR/notice, with its HTML shown as text and unsafe links dropped', async () => {
    const html = (await app.inject({ method: 'GET', url: '/privacy' })).body;
    expect(html).toContain('About Little Acorns');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<a href="https://blog.example.org/">our blog</a>');
    // The shipped sections the operator did not replace are still there.
    expect(textOf(html)).toContain('Your rights');
  });

  it('P57 /privacy/changes lists every version with its date and summary, newest first', async () => {
    const registry = app.privacyRegistry;
    await publishNotice(app.db, registry, {
      summary: 'Named our new survey platform.',
      material: true,
      prose: loadNoticeProse(dataDir),
      at: new Date('2027-03-04T09:00:00.000Z'),
    });

    const response = await app.inject({ method: 'GET', url: '/privacy/changes' });
    expect(response.statusCode).toBe(200);
    const text = textOf(response.body);
    expect(text).toMatch(
      /2 4 March 2027 Named our new survey platform\. \(an important change: we asked members to review it\) 1 \d{1,2} \w+ \d{4} First published version of this notice\./,
    );

    const currentPage = textOf((await app.inject({ method: 'GET', url: '/privacy' })).body);
    expect(currentPage).toContain('Version 2, published 4 March 2027');
    expect(currentPage).toContain('This is version 2, published 4 March 2027');

    const older = await app.inject({ method: 'GET', url: '/privacy/versions/1' });
    expect(older.statusCode).toBe(200);
    expect(textOf(older.body)).toContain(
      'This is an earlier version. Read the current version (version 2)',
    );

    const api = await app.inject({ method: 'GET', url: '/api/v1/privacy/notice' });
    expect(api.json<NoticeVersionResponse>()).toMatchObject({ version: 2, material: true });
    const first = await app.inject({ method: 'GET', url: '/api/v1/privacy/notice?version=1' });
    expect(first.json<NoticeVersionResponse>().version).toBe(1);
  });

  it('answers unknown or malformed versions with 404 and 400, never 500', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/v1/privacy/notice?version=99' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found' } });

    const malformed = await app.inject({
      method: 'GET',
      url: '/api/v1/privacy/notice?version=abc',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: 'validation_failed' } });

    const page = await app.inject({
      method: 'GET',
      url: '/privacy/versions/99',
      headers: { accept: 'text/html' },
    });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const badPage = await app.inject({ method: 'GET', url: '/privacy/versions/0' });
    expect(badPage.statusCode).toBe(400);
  });

  it('documents the notice API in OpenAPI', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      paths: Record<string, { get?: { responses?: Record<string, unknown> } }>;
    }>();
    expect(document.paths['/api/v1/privacy/notice']?.get?.responses).toHaveProperty('200');
  });
});
