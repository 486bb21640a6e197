/**
 * The newsletters journey of issue 8 (point 9), in Chromium against the real built server
 * sending through a real SMTP capture on loopback: a parent joins with Pregnancy Weekly and a
 * due date, receives that week's edition (sent by `hearth newsletters send-due`), unsubscribes
 * with the letter's RFC 8058 one-click POST, as a mail client would (no cookie, no CSRF token),
 * and finds the due date gone from their export. Every page passes axe-core.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChromiumAvailable } from '../helpers/browser.js';
import { expectAccessible, heading, submit, useJourney } from '../helpers/journey.js';
import { parseMessage, startSmtpCapture, type SmtpCapture } from '../helpers/smtp.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** A date `months` months from today, as the date input takes it. */
function monthsAhead(months: number): string {
  const date = new Date();
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

/** The text of `name` inside a ZIP, found through its central directory (stored or deflated). */
function readZipEntry(zip: Buffer, name: string): string {
  const endOfDirectory = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const entries = zip.readUInt16LE(endOfDirectory + 10);
  let cursor = zip.readUInt32LE(endOfDirectory + 16);
  for (let index = 0; index < entries; index++) {
    const method = zip.readUInt16LE(cursor + 10);
    const compressedSize = zip.readUInt32LE(cursor + 20);
    const nameLength = zip.readUInt16LE(cursor + 28);
    const extraLength = zip.readUInt16LE(cursor + 30);
    const commentLength = zip.readUInt16LE(cursor + 32);
    const localHeader = zip.readUInt32LE(cursor + 42);
    if (zip.toString('utf8', cursor + 46, cursor + 46 + nameLength) === name) {
      const dataStart =
        localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    cursor += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the export`);
}

describe.skipIf(!isChromiumAvailable())('newsletters journey in the browser', () => {
  let smtp: SmtpCapture | undefined;
  let smtpUrl = '';
  beforeAll(async () => {
    smtp = await startSmtpCapture();
    smtpUrl = smtp.url;
  });
  afterAll(async () => {
    await smtp?.close();
  });
  const journey = useJourney({
    env: {
      get SMTP_URL() {
        return smtpUrl;
      },
    },
  });

  async function mailMatching(address: string, test: (text: string, subject: string) => boolean) {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      for (const message of smtp?.messages ?? []) {
        if (!message.envelope.to.includes(address)) continue;
        const parsed = parseMessage(message.raw);
        if (test(parsed.parts.get('text/plain') ?? '', parsed.header('subject') ?? '')) {
          return parsed;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no matching mail reached ${address}`);
  }

  async function downloadExport(page: Page, password: string): Promise<string> {
    await page.goto(`${journey.server.url}/account/privacy`);
    await expectAccessible(page);
    const exportForm = page.getByRole('form', { name: 'Download your data' });
    await exportForm.getByLabel('Your password').fill(password);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      exportForm.getByRole('button', { name: 'Download my data' }).click(),
    ]);
    return readZipEntry(await readFile(await download.path()), 'data.json');
  }

  it('P05 P06 P07 P08 joins Pregnancy Weekly with a due date, receives this week’s edition, unsubscribes in one click and the due date leaves the export', async () => {
    const base = journey.server.url;
    const { page } = await journey.browser.newPage();
    const email = 'amara.parent@example.org';
    const password = 'meadow lantern copper 19';
    const dueDate = monthsAhead(4);

    await page.goto(`${base}/register`);
    expect(await heading(page)).toBe('Join Hearth');
    await page.getByLabel('First name').fill('Amara');
    await page.getByLabel('Surname').fill('Osei');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Your location').selectOption('manchester');
    await page.getByLabel('Pregnancy Weekly', { exact: true }).check();
    await page.getByLabel(/Your due date/).fill(dueDate);
    await submit(page, page.getByRole('button', { name: 'Join Hearth', exact: true }));
    expect(await heading(page)).toBe('Check your email');

    const verification = await mailMatching(email, (text) => text.includes('/verify-email?token='));
    const link = /(http:\/\/\S+\/verify-email\?token=[\w-]+)/.exec(
      verification.parts.get('text/plain') ?? '',
    )?.[1];
    await page.goto(link ?? '', { waitUntil: 'load' });
    await submit(page, page.getByRole('button', { name: 'Confirm my email address', exact: true }));
    await page.goto(`${base}/login`);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await submit(page, page.getByRole('button', { name: 'Log in', exact: true }));
    expect(await heading(page)).toBe('Your account');

    // An editor's edition for every week, so whichever week today is has one (ready to send).
    const database = new Database(path.join(journey.server.dataDir, 'hearth.sqlite'));
    try {
      const now = new Date().toISOString();
      const insert = database.prepare(
        `insert into newsletters_editions (id, list_key, stage, send_on, subject, body, status, created_at, updated_at)
         values (?, 'pregnancy-weekly', ?, null, ?, ?, 'ready', ?, ?)`,
      );
      for (let week = 1; week <= 42; week++) {
        insert.run(
          randomUUID(),
          week,
          `Pregnancy Weekly: week ${week}`,
          `This is week ${week} of your pregnancy.`,
          now,
          now,
        );
      }
    } finally {
      database.close();
    }
    await run(process.execPath, [path.join(ROOT, 'bin/hearth.js'), 'newsletters', 'send-due'], {
      // The CLI shares the server's environment: the same data and the same PUBLIC_URL.
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: journey.server.dataDir,
        PUBLIC_URL: base,
        LOG_LEVEL: 'warn',
      },
    });

    const edition = await mailMatching(email, (_text, subject) =>
      subject.startsWith('Pregnancy Weekly: week'),
    );
    const text = edition.parts.get('text/plain') ?? '';
    expect(text).toContain('Amara');
    expect(text).toMatch(/This is week \d+ of your pregnancy/);
    expect(edition.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const unsubscribeUrl = /<([^>]+)>/.exec(
      (edition.header('list-unsubscribe') ?? '').replace(/\s+/g, ''),
    )?.[1];
    expect(unsubscribeUrl, edition.header('list-unsubscribe')).toMatch(
      new RegExp(`^${base}/newsletters/unsubscribe\\?token=`),
    );
    // P08: the body has the same way out, and whom to ask.
    expect(text).toContain(unsubscribeUrl ?? '');

    expect(await downloadExport(page, password)).toContain(dueDate);

    // The mail client's one-click POST: no cookie, no CSRF token, only the signed URL.
    const oneClick = await fetch(unsubscribeUrl ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);

    const exported = await downloadExport(page, password);
    expect(exported).not.toContain(dueDate);
    expect(exported).toContain('email-link');

    await page.goto(unsubscribeUrl ?? '');
    expect(await heading(page)).toBe('Unsubscribe from Pregnancy Weekly?');
    await expectAccessible(page);
    await submit(page, page.getByRole('button', { name: 'Unsubscribe', exact: true }));
    expect(await heading(page)).toBe('You are unsubscribed');
    expect(await page.getByText(/already unsubscribed/).count()).toBe(1);
    await expectAccessible(page);
  });
});
