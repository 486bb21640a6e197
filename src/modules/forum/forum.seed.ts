/**
 * A lively demo forum for `hearth seed --demo`: five categories, a few dozen threads with
 * replies, quotes and likes, written by the demo members and a dozen demo forum regulars (who
 * have no password: they only post). Everything goes through the same services as members'
 * posts, so names, sanitising and the search index are real. Runs once: an existing demo forum
 * is left alone.
 */
import type { Database } from '../../platform/db/database.js';
import { insertAccount } from '../accounts/index.js';
import { forumTables } from './forum.queries.js';
import { createReply, createThread, findCategory, setLike } from './forum.service.js';

const CATEGORIES = [
  { name: 'Pregnancy', description: 'Bumps, scans, cravings and everything before the birth.' },
  { name: 'Babies', description: 'Feeding, sleeping and the first year.' },
  { name: 'Toddlers', description: 'Tantrums, potty training and first words.' },
  { name: 'Family life', description: 'Juggling work, home, money and each other.' },
  { name: 'Just for you', description: 'Your own health, friendships and time off.' },
];

const REGULARS = [
  ['Amira', 'Hussain'],
  ['Ben', 'Clarke'],
  ['Chloe', 'Davies'],
  ['Dan', 'Murphy'],
  ['Ellie', 'Roberts'],
  ['Femi', 'Adeyemi'],
  ['Grace', 'Walsh'],
  ['Hannah', 'Price'],
  ['Isla', 'Campbell'],
  ['Jack', 'Thompson'],
  ['Kiran', 'Patel'],
  ['Lucy', 'Green'],
] as const;

const TOPICS: Record<string, readonly string[]> = {
  Pregnancy: [
    'Heartburn at 30 weeks: what helped you?',
    'Telling work about the pregnancy',
    'Hospital bag: what did you actually use?',
    'Second trimester energy, where are you?',
    'Antenatal classes worth it?',
    'Feeling the first kicks',
    'Sleeping positions in the third trimester',
  ],
  Babies: [
    'Four month sleep regression survival tips',
    'Combination feeding and guilt',
    'When did you start weaning?',
    'Best baby carrier for a tall parent',
    'Colic: anything that worked?',
    'Baby groups near Leeds',
    'First cold: when to call the GP',
  ],
  Toddlers: [
    'Potty training in a week: myth or method?',
    'Fussy eater, only beige food',
    'Moving from cot to bed',
    'Tantrums in the supermarket',
    'Nursery settling-in tears',
    'Screen time rules that stuck',
  ],
  'Family life': [
    'Going back to work part time',
    'Splitting night feeds fairly',
    'Budget family days out',
    'Grandparents and different rules',
    'Meal planning for tired parents',
    'Holidays with a baby: worth it?',
  ],
  'Just for you': [
    'Finding time to exercise',
    'Making new friends as a parent',
    'Postnatal anxiety: you are not alone',
    'Books you read in the night feeds',
    'Hobbies you kept up',
  ],
};

const OPENINGS = [
  'Has anyone else found this? I would love to hear **what worked** for you.',
  'Looking for honest experiences here, the good and the bad.',
  'I have read a lot online but would rather hear from *real parents*.',
  'Bit of a long one, sorry. Any advice welcome!',
];

const REPLIES = [
  'We had exactly the same. What helped us most was keeping to a routine, even on bad days.',
  'Honestly, it gets easier. Give it a couple of weeks and be kind to yourself.',
  'Our health visitor suggested:\n\n- smaller portions\n- more often\n- no screens after tea\n\nIt made a real difference.',
  'I asked our GP about this and they were really reassuring. Worth a call if you are worried.',
  'Following, as we are going through the same thing right now.',
  'This thread is so helpful, thank you all. *Solidarity* from a very tired parent.',
  'We tried everything and in the end it just passed on its own. Hang in there.',
  'There is a good guide on the [NHS website](https://www.nhs.uk) about this.',
  'Second this. It felt impossible at the time and now I barely remember it.',
];

function paragraphs(seed: number, first: string): string {
  const count = (seed % 3) + 1;
  const parts = [first];
  for (let index = 1; index < count; index += 1) {
    parts.push(REPLIES[(seed + index * 3) % REPLIES.length] ?? '');
  }
  return parts.join('\n\n');
}

export async function seedDemoForum(db: Database, log: (line: string) => void): Promise<void> {
  const tables = forumTables(db);
  const existing = await tables
    .selectFrom('forum_categories')
    .select('id')
    .where('id', 'like', 'demo-%')
    .executeTakeFirst();
  if (existing) {
    log('The demo forum already exists.');
    return;
  }
  const authors: string[] = [];
  for (const [firstName, surname] of REGULARS) {
    const { id } = await db.transaction().execute((trx) =>
      insertAccount(trx, {
        email: `${firstName.toLowerCase()}.${surname.toLowerCase()}@forum.demo.hearth.example`,
        firstName,
        surname,
        locationId: 'manchester',
        passwordHash: null,
        emailVerifiedAt: new Date(),
        anonymous: firstName === 'Grace' || firstName === 'Kiran',
      }),
    );
    authors.push(id);
  }
  const demoMembers = await db
    .selectFrom('accounts_users')
    .select('id')
    .where('email', 'like', '%@demo.hearth.example')
    .where('status', '=', 'active')
    .execute();
  authors.push(...demoMembers.map((row) => String(row.id)));

  const start = Date.now() - 60 * 24 * 60 * 60 * 1000;
  let clock = start;
  const tick = () => {
    clock += 17 * 60 * 1000 + (clock % 7) * 60 * 1000;
    return new Date(clock);
  };
  let threads = 0;
  let posts = 0;
  let likes = 0;
  for (const [position, category] of CATEGORIES.entries()) {
    const id = `demo-${position + 1}`;
    const at = new Date(start).toISOString();
    const base = category.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    let slug = base;
    for (let suffix = 2; await findCategory(db, slug); suffix += 1) slug = `${base}-${suffix}`;
    await tables
      .insertInto('forum_categories')
      .values({
        id,
        slug,
        name: category.name,
        description: category.description,
        position: position + 1,
        created_at: at,
        updated_at: at,
      })
      .execute();
    for (const [index, title] of (TOPICS[category.name] ?? []).entries()) {
      const seed = position * 11 + index * 5;
      const author = authors[seed % authors.length] as string;
      const thread = await createThread(
        db,
        author,
        { categoryId: id, title, body: paragraphs(seed, OPENINGS[seed % OPENINGS.length] ?? '') },
        { ip: null, now: tick() },
      );
      threads += 1;
      posts += 1;
      const postIds = [thread.postId];
      const replyCount = 3 + (seed % 9);
      for (let reply = 0; reply < replyCount; reply += 1) {
        const replier = authors[(seed + reply * 7 + 1) % authors.length] as string;
        const quote = reply % 4 === 2 ? postIds[reply % postIds.length] : undefined;
        const created = await createReply(
          db,
          replier,
          thread.threadId,
          {
            body: paragraphs(seed + reply, REPLIES[(seed + reply) % REPLIES.length] ?? ''),
            quotedPostId: quote ?? null,
          },
          { ip: null, now: tick() },
        );
        postIds.push(created.postId);
        posts += 1;
      }
      for (const [postIndex, postId] of postIds.entries()) {
        const likers = (seed + postIndex) % 5;
        for (let liker = 0; liker < likers; liker += 1) {
          await setLike(
            db,
            authors[(seed + postIndex + liker * 3) % authors.length] as string,
            postId,
            true,
          );
          likes += 1;
        }
      }
    }
  }
  log(
    `Demo forum: ${CATEGORIES.length} categories, ${threads} threads, ${posts} posts, ${likes} likes, by ${authors.length} members.`,
  );
}
