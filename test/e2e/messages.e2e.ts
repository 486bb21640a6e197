/**
 * Private messages in Chromium, against the whole app listening on loopback (its real CSP and
 * assets): a member writes to another, who reads it (the unread count shows first), deletes it
 * for herself (P43), and the first member deletes the conversation too, after which nothing of
 * it is left in the database. Every page on the way passes axe (WCAG 2.x A and AA).
 */
import { describe, expect, it } from 'vitest';
import { generateTotpSecret } from '../../src/modules/accounts/index.js';
import { isChromiumAvailable } from '../helpers/browser.js';
import { expectAccessible, heading, submit, useAppJourney } from '../helpers/journey.js';
import { makeMember, type TestMember } from '../helpers/members.js';

describe.skipIf(!isChromiumAvailable())('private messages in the browser', () => {
  const journey = useAppJourney();
  /** A fresh page logged in as `member`, on a phone-sized screen. */
  const pageAs = (member: TestMember) => journey.pageAs(member, { width: 320, height: 720 });

  const storedMessages = async () =>
    (await journey.app.db.selectFrom('messages_messages').select('body').execute()).map(
      (row) => row.body,
    );

  it('P43 start a private message, read it as the recipient, then delete it', async () => {
    const asha = await makeMember(journey.app.db, { firstName: 'Asha' });
    const ben = await makeMember(journey.app.db, { firstName: 'Ben' });

    // Asha writes to Ben; the form first shows what is missing.
    let page = await pageAs(asha);
    await page.goto(`${journey.baseUrl}/messages`, { waitUntil: 'load' });
    expect(await heading(page)).toBe('Messages');
    await expectAccessible(page);
    await submit(page, page.getByRole('link', { name: 'New message' }));
    await page.getByLabel('To').fill(ben.username);
    await submit(page, page.getByRole('button', { name: 'Send message' }));
    expect(await page.locator('.error-summary').innerText()).toContain('Write a message.');
    await expectAccessible(page);
    await page
      .getByLabel('Message', { exact: true })
      .fill('Are you coming to the baby group on Friday?');
    await submit(page, page.getByRole('button', { name: 'Send message' }));
    expect(await heading(page)).toBe(`Conversation with ${ben.username}`);
    expect(await page.getByRole('status').innerText()).toContain('Your message is sent.');
    await expectAccessible(page);
    const conversationUrl = page.url().split('?')[0]!;
    await page.close();

    // Ben sees one unread message, reads it, and deletes it for himself.
    page = await pageAs(ben);
    await page.goto(`${journey.baseUrl}/messages`, { waitUntil: 'load' });
    expect(await page.locator('#unread-count').innerText()).toBe('1 unread message.');
    await expectAccessible(page);
    await submit(page, page.getByRole('link', { name: `Conversation with ${asha.username}` }));
    expect(await page.locator('main').innerText()).toContain(
      'Are you coming to the baby group on Friday?',
    );
    await expectAccessible(page);
    await submit(
      page,
      page.getByRole('button', { name: `Delete this message from ${asha.username}` }),
    );
    expect(await page.getByRole('status').innerText()).toContain('Deleted.');
    expect(await page.locator('main').innerText()).not.toContain('baby group');
    await expectAccessible(page);
    // Hidden for Ben at once; Asha still has it, so it is still stored.
    expect(await storedMessages()).toEqual(['Are you coming to the baby group on Friday?']);
    await page.close();

    // Asha deletes the whole conversation: everyone has deleted the message, so it is gone.
    page = await pageAs(asha);
    await page.goto(conversationUrl, { waitUntil: 'load' });
    await submit(page, page.getByRole('button', { name: 'Delete conversation' }));
    expect(await heading(page)).toBe('Messages');
    expect(await page.getByRole('status').innerText()).toContain('The conversation is deleted');
    expect(await page.locator('main').innerText()).toContain('No conversations yet.');
    await expectAccessible(page);
    expect(await storedMessages()).toEqual([]);
    await page.close();
  });

  it('P24 a member talks to a Parent Supporter, who answers from the queue; the DPO sees the reading', async () => {
    const parent = await makeMember(journey.app.db, { firstName: 'Cara' });
    const supporter = await makeMember(journey.app.db, {
      roles: ['parent_supporter'],
      totpSecret: generateTotpSecret(),
      secretKey: journey.app.secretKey,
    });
    const dpo = await makeMember(journey.app.db, {
      roles: ['dpo'],
      totpSecret: generateTotpSecret(),
      secretKey: journey.app.secretKey,
    });

    let page = await pageAs(parent);
    await page.goto(`${journey.baseUrl}/messages/support/new`, { waitUntil: 'load' });
    expect(await heading(page)).toBe('Talk to a Parent Supporter');
    await expectAccessible(page);
    await page.getByLabel('What is it about?').selectOption({ label: 'Sleep' });
    await page.getByLabel('Your message').fill('Our baby wakes every hour.');
    await submit(page, page.getByRole('button', { name: 'Send to the Parent Supporters' }));
    expect(await heading(page)).toBe('Parent Supporter: Sleep');
    await expectAccessible(page);
    const caseUrl = page.url().split('?')[0]!;
    await page.close();

    page = await pageAs(supporter);
    await page.goto(`${journey.baseUrl}/admin/support`, { waitUntil: 'load' });
    expect(await heading(page)).toBe('Parent Supporter queue');
    await expectAccessible(page);
    await submit(page, page.getByRole('link', { name: 'Sleep' }));
    await submit(page, page.getByRole('button', { name: 'Take this conversation' }));
    await page.getByLabel('Your reply').fill('That sounds exhausting. How old is your baby?');
    await submit(page, page.getByRole('button', { name: 'Send reply' }));
    expect(await page.getByRole('status').innerText()).toContain('Your reply is sent.');
    await expectAccessible(page);
    await page.goto(`${journey.baseUrl}/admin/support/statistics`, { waitUntil: 'load' });
    await submit(
      page,
      page.getByRole('navigation', { name: 'Quarters' }).getByRole('link').first(),
    );
    expect(await page.locator('table').count()).toBe(1);
    await expectAccessible(page);
    await page.close();

    page = await pageAs(parent);
    await page.goto(caseUrl, { waitUntil: 'load' });
    expect(await page.locator('main').innerText()).toContain('How old is your baby?');
    await expectAccessible(page);
    await page.close();

    page = await pageAs(dpo);
    await page.goto(`${journey.baseUrl}/admin/messages/access`, { waitUntil: 'load' });
    expect(await heading(page)).toBe('Staff access to private messages');
    expect(await page.locator('main').innerText()).toContain(supporter.username);
    await expectAccessible(page);
    await page.close();
  });
});
