/**
 * The Coffeehouse in Chromium, against the whole app listening on loopback (its real CSP and
 * assets): a member starts a thread, another replies with a quote, the first reports the reply,
 * a moderator hides it from the queue in /admin, and the replier switches to their anonymous
 * username and posts under it (P37). Every page on the way passes axe (WCAG 2.x A and AA).
 */
import { describe, expect, it } from 'vitest';
import { generateTotpSecret } from '../../src/modules/accounts/index.js';
import { createCategory } from '../../src/modules/forum/forum.service.js';
import { isChromiumAvailable } from '../helpers/browser.js';
import { expectAccessible, heading, submit, useAppJourney } from '../helpers/journey.js';
import { makeMember, type TestMember } from '../helpers/members.js';

describe.skipIf(!isChromiumAvailable())('the Coffeehouse in the browser', () => {
  const journey = useAppJourney();
  /** A fresh page logged in as `member` (or as nobody). */
  const pageAs = (member: TestMember | null) => journey.pageAs(member);

  it('start a thread, reply with a quote, report the reply, a moderator hides it; then post under the anonymous username', async () => {
    const moderator = await makeMember(journey.app.db, {
      roles: ['moderator'],
      totpSecret: generateTotpSecret(),
      secretKey: journey.app.secretKey,
    });
    await createCategory(journey.app.db, moderator.id, {
      name: 'Sleep',
      description: 'Naps, nights and early mornings.',
    });
    const asha = await makeMember(journey.app.db, { firstName: 'Asha' });
    const ben = await makeMember(journey.app.db, {
      firstName: 'Ben',
      anonymousName: 'QuietOtter31',
    });

    // Asha starts a thread.
    let page = await pageAs(asha);
    await page.goto(`${journey.baseUrl}/forum`, { waitUntil: 'load' });
    expect(await heading(page)).toBe('The Coffeehouse');
    await expectAccessible(page);
    await submit(page, page.getByRole('link', { name: 'Start a thread' }));
    await page.getByLabel('Category').selectOption({ label: 'Sleep' });
    await submit(page, page.getByRole('button', { name: 'Post the thread' }));
    expect(await page.locator('.error-summary').innerText()).toContain('Give the thread a title.');
    await expectAccessible(page);
    await page.getByLabel('Title').fill('Early waking at 5am');
    await page.getByLabel('Your post').fill('Our toddler wakes at **5am** every day. Ideas?');
    await submit(page, page.getByRole('button', { name: 'Post the thread' }));
    expect(await heading(page)).toBe('Early waking at 5am');
    expect(await page.locator('#post-1 strong').innerText()).toBe('5am');
    await expectAccessible(page);
    const threadUrl = page.url();
    await page.close();

    // Ben replies, quoting Asha.
    page = await pageAs(ben);
    await page.goto(threadUrl, { waitUntil: 'load' });
    await submit(page, page.getByRole('link', { name: /Reply with a quote of post 1/ }));
    await expectAccessible(page);
    await page.getByLabel('Your reply').fill('Blackout blinds saved us. You are doing great.');
    await submit(page, page.getByRole('button', { name: 'Post the reply' }));
    const reply = page.locator('#post-2');
    expect(await reply.locator('blockquote').innerText()).toContain(`${asha.username} wrote:`);
    expect(await reply.locator('blockquote').innerText()).toContain('Our toddler wakes at 5am');
    await expectAccessible(page);
    await page.close();

    // Asha reports Ben's reply.
    page = await pageAs(asha);
    await page.goto(threadUrl, { waitUntil: 'load' });
    await submit(page, page.getByRole('link', { name: /Report post 2/ }));
    await expectAccessible(page);
    await page.getByLabel('What is wrong with this post?').fill('This is advertising blinds.');
    await submit(page, page.getByRole('button', { name: 'Send the report' }));
    expect(await heading(page)).toContain('your report is with the moderators');
    await expectAccessible(page);
    await page.close();

    // The moderator hides the reply from the queue.
    page = await pageAs(moderator);
    await page.goto(`${journey.baseUrl}/admin/forum/reports`, { waitUntil: 'load' });
    expect(await heading(page)).toBe('Reports queue');
    expect(await page.locator('main').innerText()).toContain('This is advertising blinds.');
    await expectAccessible(page);
    await submit(page, page.getByRole('button', { name: 'Hide it' }));
    expect(await page.getByRole('status').innerText()).toContain('Done');
    expect(await page.locator('main').innerText()).toContain('No open reports.');
    await expectAccessible(page);
    await page.close();

    page = await pageAs(null);
    await page.goto(threadUrl, { waitUntil: 'load' });
    expect(await page.locator('#post-2').innerText()).toContain(
      'This post was hidden by a moderator.',
    );
    expect(await page.locator('main').innerText()).not.toContain('Blackout blinds');
    await expectAccessible(page);
    await page.close();

    // Ben switches to his anonymous username and posts under it (P37).
    page = await pageAs(ben);
    await page.goto(`${journey.baseUrl}/account`, { waitUntil: 'load' });
    await submit(page, page.getByRole('button', { name: 'Post under an anonymous name' }));
    await page.goto(threadUrl, { waitUntil: 'load' });
    await submit(page, page.getByRole('link', { name: 'Reply', exact: true }));
    expect(await page.locator('main').innerText()).toContain('You are posting as QuietOtter31');
    await page.getByLabel('Your reply').fill('Posting this one anonymously.');
    await submit(page, page.getByRole('button', { name: 'Post the reply' }));
    expect(await page.locator('#post-3 h2').innerText()).toContain('QuietOtter31');
    expect(await page.locator('#post-3').innerText()).not.toContain(ben.username);
    await expectAccessible(page);
    await page.close();
  });
});
