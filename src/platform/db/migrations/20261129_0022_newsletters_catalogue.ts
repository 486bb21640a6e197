import { sql, type Kysely } from 'kysely';

/**
 * The newsletter catalogue Hearth ships with (the notice's "Newsletters"): a general letter,
 * Pregnancy Weekly and Baby Monthly. Editors may retitle them or add general lists later; this
 * migration only inserts what is missing, so it never overwrites their edits.
 */
const LISTS = [
  {
    key: 'general',
    title: 'Hearth newsletter',
    description:
      'News from the community, features worth reading and what is on, about once a month.',
    kind: 'general',
    position: 10,
  },
  {
    key: 'pregnancy-weekly',
    title: 'Pregnancy Weekly',
    description:
      'A letter each week of your pregnancy about how your baby is growing and what to expect.',
    kind: 'pregnancy-weekly',
    position: 20,
  },
  {
    key: 'baby-monthly',
    title: 'Baby Monthly',
    description: 'A letter each month of your baby’s first years, matched to their age.',
    kind: 'baby-monthly',
    position: 30,
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  const createdAt = new Date().toISOString();
  for (const list of LISTS) {
    await sql`
      insert into newsletters_lists ("key", title, description, kind, active, "position", created_at)
      values (${list.key}, ${list.title}, ${list.description}, ${list.kind}, 1, ${list.position}, ${createdAt})
      on conflict ("key") do nothing
    `.execute(db);
  }
}

/** Removes the shipped lists nobody is subscribed to; a list with subscribers stays. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const list of LISTS) {
    await sql`
      delete from newsletters_lists
      where "key" = ${list.key}
        and not exists (select 1 from newsletters_subscriptions where list_key = ${list.key})
    `.execute(db);
  }
}
