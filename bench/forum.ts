/**
 * Forum benchmark (issue 7, point 9), on SQLite: a forum of 5 categories, 1,000 members, 2,000
 * threads and 40,000 posts (1–3 paragraphs of Markdown each, rendered and sanitised as members'
 * posts are), one member holding 10,000 of the posts. Rate limits are raised through
 * configuration (RATE_LIMIT_MAX), never NODE_ENV. Measured:
 *
 * 1. An anonymous visitor reading a 20-post thread page (autocannon, 50 connections, rotating
 *    over every thread) against a bare Fastify route rendering a static page of the same size and
 *    shape (the same Preact components with the same 20 posts, fresh nonce per request), in
 *    interleaved rounds of the same run: req/s, p99, and the ratio. Targets: ≥ 40 % of the
 *    reference, ≥ 2,350 req/s.
 * 2. Members replying through the API (50 connections, 200 members in rotation, Bearer tokens):
 *    posts/s. Target ≥ 1,000.
 * 3. Export, then erasure, of the member with 10,000 posts: time and peak RSS.
 * 4. Peak RSS of the server process under all of the above.
 *
 * The servers, and the export/erasure, run in child processes of this script (`--serve`,
 * `--privacy`), so that the load generator does not share their thread and each peak RSS is
 * that process's own. Run: `npx tsx bench/forum.ts`; writes bench/RESULTS-forum.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { h } from 'preact';
import { buildApp, collectOwners } from '../src/app.js';
import { loadConfig, type Config } from '../src/config/config.js';
import { plainTextOf, renderPostBody } from '../src/modules/forum/forum.markdown.js';
import { readThreadPage } from '../src/modules/forum/forum.service.js';
import { seedMessagesForBench } from '../src/modules/messages/index.js';
import {
  ThreadPageBody,
  threadPageTitle,
  timeFormatter,
} from '../src/modules/forum/forum.views.js';
import { openDatabase, tablesOf, type Database } from '../src/platform/db/database.js';
import { newId } from '../src/platform/db/ids.js';
import { migrateToLatest } from '../src/platform/db/migrator.js';
import { toDbTime } from '../src/platform/db/portable.js';
import { createSession } from '../src/platform/http/sessions.js';
import { loadAssetCatalogue } from '../src/platform/views/assets.js';
import { buildNavigation, renderDocument } from '../src/platform/views/layout.js';
import { eraseSubject } from '../src/privacy/erasure/erasure.engine.js';
import { exportSubject } from '../src/privacy/export/export.engine.js';
import { createPrivacyRegistry } from '../src/privacy/registry.js';
import { format, machineSection, median, writeResults } from './report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 50;

const CATEGORIES = 5;
const MEMBERS = Number(process.env.BENCH_FORUM_MEMBERS ?? 1000);
const THREADS = Number(process.env.BENCH_FORUM_THREADS ?? 2000);
const POSTS_PER_THREAD = 20;
const HEAVY_MEMBER_POSTS = Number(process.env.BENCH_FORUM_HEAVY_POSTS ?? 10_000);
const REPLYING_MEMBERS = 200;
const CHUNK = 500;

type Tables = Record<string, Record<string, unknown>>;

const HEAVY_MEMBER_MESSAGES = Number(process.env.BENCH_FORUM_HEAVY_MESSAGES ?? 1000);

/**
 * More of the data of the member whose export and erasure are timed, seeded before the
 * timings: their 1,000 private messages (issue 7, point 9), from the messages module.
 */
const HEAVY_MEMBER_EXTRAS: ((
  db: Database,
  heavyMemberId: string,
  otherMemberIds: readonly string[],
) => Promise<void>)[] = [
  async (db, heavyMemberId, otherMemberIds) => {
    await seedMessagesForBench(db, heavyMemberId, otherMemberIds, HEAVY_MEMBER_MESSAGES);
  },
];

function benchConfig(dataDir: string, extra: Record<string, string> = {}): Config {
  return loadConfig({
    ...extra,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    RATE_LIMIT_MAX: '10000000',
    RATE_LIMIT_SENSITIVE_MAX: '10000000',
    WORKER_IN_SERVE: 'false',
  });
}

/** A deterministic pseudo-random sequence, so every run seeds the same forum. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const WORDS = (
  'baby sleep night feed nap toddler nursery weaning bottle breast teeth cold fever rash ' +
  'pram sling cot bath routine tantrum potty walk talk book story park friend grandma work ' +
  'holiday budget recipe carrot porridge banana yoghurt blanket swaddle health visitor ' +
  'midwife scan bump kick craving tired happy worried calm gentle patient family home school'
).split(' ');

function sentence(next: () => number): string {
  const length = 6 + Math.floor(next() * 14);
  const words = Array.from({ length }, () => WORDS[Math.floor(next() * WORDS.length)] ?? 'baby');
  const first = words[0] ?? 'baby';
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  const emphasised = Math.floor(next() * length);
  if (next() < 0.3) words[emphasised] = `**${words[emphasised] ?? 'baby'}**`;
  return `${words.join(' ')}.`;
}

/** 1–3 paragraphs of Markdown, sometimes with a list or a link. */
function markdownBody(next: () => number): string {
  const paragraphs: string[] = [];
  const count = 1 + Math.floor(next() * 3);
  for (let index = 0; index < count; index += 1) {
    if (next() < 0.15) {
      paragraphs.push(['- ', '- ', '- '].map((bullet) => bullet + sentence(next)).join('\n'));
    } else {
      const sentences = Array.from({ length: 2 + Math.floor(next() * 4) }, () => sentence(next));
      if (next() < 0.1) sentences.push('See [the NHS guide](https://www.nhs.uk/conditions/baby/).');
      paragraphs.push(sentences.join(' '));
    }
  }
  return paragraphs.join('\n\n');
}

interface Seeded {
  threadIds: string[];
  sampleThreadId: string;
  heavyMemberId: string;
  tokens: string[];
  posts: number;
  likes: number;
  seconds: number;
}

async function seedForum(db: Database): Promise<Seeded> {
  const started = Date.now();
  const tables = tablesOf<Tables>(db);
  const next = random(42);
  const now = new Date();
  const at = (msAgo: number) => toDbTime(new Date(now.getTime() - msAgo));

  const memberIds = Array.from({ length: MEMBERS }, () => newId());
  for (let start = 0; start < MEMBERS; start += CHUNK) {
    await tables
      .insertInto('accounts_users')
      .values(
        memberIds.slice(start, start + CHUNK).map((id, offset) => ({
          id,
          email: `parent${start + offset}@bench.example`,
          email_verified_at: at(0),
          first_name: 'Sam',
          surname: `Bench${start + offset}`,
          username: `Parent${start + offset}`,
          anonymous_name: `QuietParent${start + offset}`,
          use_anonymous_name: (start + offset) % 10 === 0 ? 1 : 0,
          location_id: 'manchester',
          status: 'active',
          created_at: at(400 * 86_400_000),
          updated_at: at(0),
          last_active_at: at(0),
        })),
      )
      .execute();
  }
  const heavyMemberId = memberIds[0] as string;
  const nameOf = (index: number) => (index % 10 === 0 ? `QuietParent${index}` : `Parent${index}`);

  for (let index = 0; index < CATEGORIES; index += 1) {
    await tables
      .insertInto('forum_categories')
      .values({
        id: `bench-${index + 1}`,
        slug: `category-${index + 1}`,
        name: ['Pregnancy', 'Babies', 'Toddlers', 'Family life', 'Just for you'][index] ?? 'More',
        description: 'A benchmark category.',
        position: index + 1,
        created_at: at(400 * 86_400_000),
        updated_at: at(400 * 86_400_000),
      })
      .execute();
  }

  // Bodies come from a pool, each rendered and sanitised once, as at write time.
  const pool = Array.from({ length: 600 }, () => {
    const body = markdownBody(next);
    const html = renderPostBody(body);
    return { body, html, text: plainTextOf(html) };
  });

  const totalPosts = THREADS * POSTS_PER_THREAD;
  // Every n-th post is the heavy member's, to reach HEAVY_MEMBER_POSTS.
  const heavyEvery = Math.max(1, Math.floor(totalPosts / HEAVY_MEMBER_POSTS));
  const threadIds: string[] = [];
  let postCounter = 0;
  let likes = 0;
  for (let start = 0; start < THREADS; start += CHUNK / POSTS_PER_THREAD) {
    const threads: Record<string, unknown>[] = [];
    const posts: Record<string, unknown>[] = [];
    const search: Record<string, unknown>[] = [];
    const likeRows: Record<string, unknown>[] = [];
    const end = Math.min(THREADS, start + CHUNK / POSTS_PER_THREAD);
    for (let thread = start; thread < end; thread += 1) {
      const threadId = newId();
      threadIds.push(threadId);
      const title = sentence(next).replace(/\*\*/g, '').slice(0, 100);
      const startedAgo = Math.floor(next() * 365 * 86_400_000) + 86_400_000;
      const postIds: string[] = [];
      let authorOfFirst = 0;
      for (let position = 1; position <= POSTS_PER_THREAD; position += 1) {
        const isHeavy =
          postCounter % heavyEvery === 0 && postCounter / heavyEvery < HEAVY_MEMBER_POSTS;
        const authorIndex = isHeavy ? 0 : 1 + Math.floor(next() * (MEMBERS - 1));
        if (position === 1) authorOfFirst = authorIndex;
        postCounter += 1;
        const content = pool[Math.floor(next() * pool.length)] ?? pool[0];
        if (!content) throw new Error('empty pool');
        const postId = newId();
        const quoted =
          position > 2 && next() < 0.1 ? postIds[Math.floor(next() * postIds.length)] : undefined;
        postIds.push(postId);
        const createdAgo = startedAgo - position * 600_000;
        posts.push({
          id: postId,
          thread_id: threadId,
          position,
          author_id: memberIds[authorIndex],
          author_name: nameOf(authorIndex),
          body: content.body,
          body_html: content.html,
          quoted_post_id: quoted ?? null,
          ip_address: createdAgo < 90 * 86_400_000 ? '203.0.113.7' : null,
          is_hidden: 0,
          created_at: at(createdAgo),
          edited_at: null,
        });
        search.push({ post_id: postId, title: position === 1 ? title : '', body: content.text });
        const likers = Math.floor(next() * 2.2);
        for (let liker = 0; liker < likers; liker += 1) {
          likeRows.push({
            post_id: postId,
            member_id: memberIds[1 + ((postCounter * 7 + liker * 13) % (MEMBERS - 1))],
            created_at: at(createdAgo - 60_000),
          });
        }
      }
      threads.push({
        id: threadId,
        category_id: `bench-${(thread % CATEGORIES) + 1}`,
        author_id: memberIds[authorOfFirst],
        author_name: nameOf(authorOfFirst),
        title,
        post_count: POSTS_PER_THREAD,
        is_hidden: 0,
        created_at: at(startedAgo),
        last_posted_at: at(startedAgo - POSTS_PER_THREAD * 600_000),
      });
    }
    await db.transaction().execute(async (trx) => {
      const inner = tablesOf<Tables>(trx);
      await inner.insertInto('forum_threads').values(threads).execute();
      for (let offset = 0; offset < posts.length; offset += CHUNK) {
        await inner
          .insertInto('forum_posts')
          .values(posts.slice(offset, offset + CHUNK))
          .execute();
        await inner
          .insertInto('forum_search')
          .values(search.slice(offset, offset + CHUNK))
          .execute();
      }
      for (let offset = 0; offset < likeRows.length; offset += CHUNK) {
        await inner
          .insertInto('forum_likes')
          .values(likeRows.slice(offset, offset + CHUNK))
          .onConflict((conflict) => conflict.doNothing())
          .execute();
      }
    });
    likes += likeRows.length;
  }

  for (const extra of HEAVY_MEMBER_EXTRAS) await extra(db, heavyMemberId, memberIds.slice(1));

  const tokens: string[] = [];
  for (const memberId of memberIds.slice(1, 1 + REPLYING_MEMBERS)) {
    const { token } = await createSession(db, memberId, { kind: 'bearer', ttlDays: 30 });
    tokens.push(token);
  }
  // Fresh statistics, as a deployed database has after SQLite's optimize runs.
  await sql`analyze`.execute(db);
  return {
    threadIds,
    sampleThreadId: threadIds[Math.floor(threadIds.length / 2)] as string,
    heavyMemberId,
    tokens,
    posts: postCounter,
    likes,
    seconds: (Date.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Child: the servers

async function serve(dataDir: string, sampleThreadId: string): Promise<void> {
  const config = benchConfig(dataDir);
  const handle = openDatabase(config.database);
  // Request logs are produced and serialised as in production, then dropped.
  const hearth = await buildApp(config, { database: handle, logStream: { write() {} } });
  await hearth.listen({ host: '127.0.0.1', port: 0 });
  // The same app with no kept pages: every visitor's page read and rendered afresh.
  const uncached = await buildApp(benchConfig(dataDir, { FORUM_PAGE_CACHE_MB: '0' }), {
    database: handle,
    logStream: { write() {} },
  });
  await uncached.listen({ host: '127.0.0.1', port: 0 });

  // The reference renders what Hearth renders for a visitor: the same layout, navigation and
  // thread components, over the same 20 posts read once, with a fresh nonce per request.
  await loadAssetCatalogue();
  const navigation = buildNavigation((pagePath) => hearth.hasPage(pagePath));
  const threadPage = await readThreadPage(handle.db, sampleThreadId, 1, null);
  if (!threadPage) throw new Error('the sample thread is missing');
  const format = timeFormatter(config.timezone);
  const viewer = { isMember: false, isModerator: false, csrfToken: null };
  const reference = Fastify();
  reference.get('/', async (_request, reply) => {
    const html = renderDocument(
      {
        title: threadPageTitle(threadPage.thread.title, 1),
        nonce: randomBytes(16).toString('base64'),
        path: `/forum/threads/${sampleThreadId}`,
        nav: navigation,
      },
      h(ThreadPageBody, { threadPage, viewer, format }),
    );
    return reply.type('text/html; charset=utf-8').send(html);
  });
  await reference.listen({ host: '127.0.0.1', port: 0 });

  const portOf = (app: { server: { address(): unknown } }): number => {
    const address = app.server.address();
    if (address && typeof address === 'object' && 'port' in address) return Number(address.port);
    throw new Error('server has no port');
  };
  process.stdout.write(
    `${JSON.stringify({ hearth: portOf(hearth), uncached: portOf(uncached), reference: portOf(reference) })}\n`,
  );
  process.once('SIGTERM', () => {
    void Promise.all([hearth.close(), uncached.close(), reference.close()]).finally(() => {
      void handle.destroy().finally(() => process.exit(0));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Child: export and erasure of the heavy member

function peakRssMegabytes(pid: number | 'self' = 'self'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function privacyRun(dataDir: string, memberId: string): Promise<void> {
  const config = benchConfig(dataDir);
  const handle = openDatabase(config.database);
  const registry = createPrivacyRegistry(collectOwners());
  const rssBefore = process.memoryUsage().rss / 1024 / 1024;
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  const exportStarted = process.hrtime.bigint();
  const summary = await exportSubject(handle.db, registry, memberId, sink);
  const exportSeconds = Number(process.hrtime.bigint() - exportStarted) / 1e9;
  const exportPeak = peakRssMegabytes();
  const erasureStarted = process.hrtime.bigint();
  const outcome = await eraseSubject(handle.db, registry, memberId);
  const erasureSeconds = Number(process.hrtime.bigint() - erasureStarted) / 1e9;
  const remaining = await tablesOf<Tables>(handle.db)
    .selectFrom('forum_posts')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('author_id', '=', memberId)
    .executeTakeFirst();
  await handle.destroy();
  process.stdout.write(
    `${JSON.stringify({
      exportSeconds,
      exportBytes: bytes,
      exportRows: summary.rows,
      rssBefore,
      exportPeak,
      erasureSeconds,
      erasureStatus: outcome.status,
      erasurePeak: peakRssMegabytes(),
      postsStillNamingMember: Number(remaining?.count ?? -1),
    })}\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// Parent: seeding, load and the report

/**
 * CPU time a process has used so far, in ms (Linux: utime + stime of /proc/PID/stat, in clock
 * ticks of 10 ms). Divided by the requests served, it gives a cost per request that does not
 * depend on how busy the shared machine is, unlike req/s.
 */
function cpuMillisecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function spawnSelf(args: string[]): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`bench child ${args[0]} exited early (${code})`)),
    );
  });
  return { child, firstLine };
}

interface Round {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  bytes: number;
  /** Server CPU ms per request in this round. */
  cpuPerRequest: number;
}

async function run(options: autocannon.Options): Promise<autocannon.Result> {
  const result = await autocannon(options);
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(
      `${String(options.url)}: ${result.errors} errors and ${result.non2xx} non-2xx responses`,
    );
  }
  return result;
}

function round(result: autocannon.Result, cpuMilliseconds: number): Round {
  return {
    cpuPerRequest: result.requests.total > 0 ? cpuMilliseconds / result.requests.total : 0,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytes: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-forum-bench-'));
  try {
    const config = benchConfig(dataDir);
    const seedHandle = openDatabase(config.database);
    await migrateToLatest(seedHandle.db);
    const seeded = await seedForum(seedHandle.db);
    await seedHandle.destroy();
    process.stderr.write(
      `seeded ${MEMBERS} members, ${THREADS} threads, ${seeded.posts} posts, ${seeded.likes} likes in ${format(seeded.seconds, 1)} s\n`,
    );

    const server = spawnSelf(['--serve', dataDir, seeded.sampleThreadId]);
    const ports = JSON.parse(await server.firstLine) as {
      hearth: number;
      uncached: number;
      reference: number;
    };
    const pid = server.child.pid as number;
    const hearthBase = `http://127.0.0.1:${ports.hearth}`;
    const uncachedBase = `http://127.0.0.1:${ports.uncached}`;
    const referenceUrl = `http://127.0.0.1:${ports.reference}/`;
    const samplePath = `/forum/threads/${seeded.sampleThreadId}`;

    // The same page, from both servers, has the same shape: check it and compare sizes.
    const hearthHtml = await (await fetch(`${hearthBase}${samplePath}`)).text();
    const referenceHtml = await (await fetch(referenceUrl)).text();
    const postsOnPage = (html: string) => (html.match(/<article id="post-/g) ?? []).length;
    if (postsOnPage(hearthHtml) !== 20 || postsOnPage(referenceHtml) !== 20) {
      throw new Error('the thread pages do not hold 20 posts');
    }

    let threadIndex = 0;
    const threadPageOptions = (duration: number, base = hearthBase): autocannon.Options => ({
      url: base,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => {
            threadIndex = (threadIndex + 1) % seeded.threadIds.length;
            return { ...request, path: `/forum/threads/${seeded.threadIds[threadIndex]}` };
          },
        },
      ],
    });
    const referenceOptions = (duration: number): autocannon.Options => ({
      url: referenceUrl,
      connections: CONNECTIONS,
      duration,
    });

    await run(referenceOptions(WARMUP_SECONDS));
    await run(threadPageOptions(WARMUP_SECONDS));
    await run(threadPageOptions(WARMUP_SECONDS, uncachedBase));
    const rounds: { hearth: Round[]; uncached: Round[]; reference: Round[] } = {
      hearth: [],
      uncached: [],
      reference: [],
    };
    const scenario = {
      hearth: () => threadPageOptions(SECONDS),
      uncached: () => threadPageOptions(SECONDS, uncachedBase),
      reference: () => referenceOptions(SECONDS),
    };
    for (let index = 0; index < ROUNDS; index += 1) {
      const order =
        index % 2 === 0
          ? (['reference', 'hearth', 'uncached'] as const)
          : (['uncached', 'hearth', 'reference'] as const);
      for (const key of order) {
        const cpuBefore = cpuMillisecondsOf(pid);
        const measured = await run(scenario[key]());
        const result = round(measured, cpuMillisecondsOf(pid) - cpuBefore);
        rounds[key].push(result);
        process.stderr.write(
          `round ${index + 1}/${ROUNDS} ${key.padEnd(9)} ${format(result.requestsPerSecond)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  ${format(result.cpuPerRequest, 2)} ms CPU/request\n`,
        );
      }
    }

    // Members replying through the API, in rotation.
    let replyIndex = 0;
    const replyBodies = Array.from({ length: 50 }, (_, index) =>
      JSON.stringify({ body: markdownBody(random(1000 + index)) }),
    );
    const replyOptions = (duration: number): autocannon.Options => ({
      url: hearthBase,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            replyIndex += 1;
            const token = seeded.tokens[replyIndex % seeded.tokens.length] as string;
            const threadId = seeded.threadIds[
              (replyIndex * 7919) % seeded.threadIds.length
            ] as string;
            return {
              ...request,
              path: `/api/v1/forum/threads/${threadId}/posts`,
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: replyBodies[replyIndex % replyBodies.length],
            };
          },
        },
      ],
    });
    // Warmed up like the page scenarios (the replies made then are not counted).
    await run(replyOptions(WARMUP_SECONDS));
    const replyCpuBefore = cpuMillisecondsOf(pid);
    const replies = await run(replyOptions(SECONDS * 2));
    const replyCpu =
      (cpuMillisecondsOf(pid) - replyCpuBefore) / Math.max(1, replies.requests.total);
    const serverPeak = peakRssMegabytes(pid);
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;

    const privacy = spawnSelf(['--privacy', dataDir, seeded.heavyMemberId]);
    const privacyResult = JSON.parse(await privacy.firstLine) as {
      exportSeconds: number;
      exportBytes: number;
      exportRows: number;
      rssBefore: number;
      exportPeak: number;
      erasureSeconds: number;
      erasureStatus: string;
      erasurePeak: number;
      postsStillNamingMember: number;
    };
    await new Promise((resolve) => privacy.child.once('exit', resolve));

    const loadAfter = os.loadavg();
    const hearth = {
      requestsPerSecond: median(rounds.hearth.map((each) => each.requestsPerSecond)),
      p50: median(rounds.hearth.map((each) => each.p50)),
      p99: median(rounds.hearth.map((each) => each.p99)),
      cpu: median(rounds.hearth.map((each) => each.cpuPerRequest)),
    };
    const uncached = {
      requestsPerSecond: median(rounds.uncached.map((each) => each.requestsPerSecond)),
      p50: median(rounds.uncached.map((each) => each.p50)),
      p99: median(rounds.uncached.map((each) => each.p99)),
      cpu: median(rounds.uncached.map((each) => each.cpuPerRequest)),
    };
    const reference = {
      requestsPerSecond: median(rounds.reference.map((each) => each.requestsPerSecond)),
      p50: median(rounds.reference.map((each) => each.p50)),
      p99: median(rounds.reference.map((each) => each.p99)),
      cpu: median(rounds.reference.map((each) => each.cpuPerRequest)),
    };
    const ratio = hearth.requestsPerSecond / reference.requestsPerSecond;
    const uncachedRatio = uncached.requestsPerSecond / reference.requestsPerSecond;
    const postsPerSecond = replies.requests.average;
    const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
    const lines = [
      '# Forum benchmark results',
      '',
      `Run ${startedAt.toISOString()} by \`npx tsx bench/forum.ts\` on SQLite: ${CATEGORIES} categories, ${format(MEMBERS)} members, ${format(THREADS)} threads, ${format(seeded.posts)} posts (1–3 paragraphs of Markdown each, sanitised HTML stored), ${format(seeded.likes)} likes; one member wrote ${format(HEAVY_MEMBER_POSTS)} of the posts. Seeded in ${format(seeded.seconds, 1)} s. Rate limits raised through RATE_LIMIT_MAX. autocannon on loopback, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s after a ${WARMUP_SECONDS} s warm-up; medians of the rounds. Servers, and the export/erasure, each in their own child process.`,
      '',
      '## Anonymous visitor reading a 20-post thread page',
      '',
      '| scenario | req/s (median) | p50 ms | p99 ms | server CPU ms per request | body bytes | req/s per round |',
      '|---|---:|---:|---:|---:|---:|---|',
      `| reference: bare Fastify route rendering the same page (same components, same 20 posts, no database) | ${format(reference.requestsPerSecond)} | ${format(reference.p50)} | ${format(reference.p99)} | ${format(reference.cpu, 2)} | ${format(Buffer.byteLength(referenceHtml))} | ${rounds.reference.map((each) => format(each.requestsPerSecond)).join(', ')} |`,
      `| Hearth \`/forum/threads/:id\`, rotating over all ${format(THREADS)} threads | ${format(hearth.requestsPerSecond)} | ${format(hearth.p50)} | ${format(hearth.p99)} | ${format(hearth.cpu, 2)} | ${format(Buffer.byteLength(hearthHtml))} | ${rounds.hearth.map((each) => format(each.requestsPerSecond)).join(', ')} |`,
      `| the same app with \`FORUM_PAGE_CACHE_MB=0\`: every page read and rendered afresh | ${format(uncached.requestsPerSecond)} | ${format(uncached.p50)} | ${format(uncached.p99)} | ${format(uncached.cpu, 2)} | ${format(Buffer.byteLength(hearthHtml))} | ${rounds.uncached.map((each) => format(each.requestsPerSecond)).join(', ')} |`,
      '',
      `- Ratio to the reference: **${format(ratio * 100, 1)} %** (target ≥ 40 %: ${verdict(ratio >= 0.4)}); by server CPU per request, which the machine's other load disturbs less: ${format((reference.cpu / hearth.cpu) * 100, 1)} %.`,
      `- Hearth serves a visitor's thread page from its kept pages while the thread is unchanged (checked against the thread row on every request; \`forum.page-cache.ts\`); the warm-up reads every thread once. Without kept pages: ${format(uncachedRatio * 100, 1)} % of the reference.`,
      `- Absolute: **${format(hearth.requestsPerSecond)} req/s** (target ≥ 2,350 on a quiet machine: ${verdict(hearth.requestsPerSecond >= 2350)}; NodeBB 4.11: 117 req/s).`,
      '',
      '## Members replying through the API',
      '',
      `- ${CONNECTIONS} connections, ${REPLYING_MEMBERS} members in rotation (Bearer tokens), random threads, ${SECONDS * 2} s after a ${WARMUP_SECONDS} s warm-up: **${format(postsPerSecond)} posts/s**, ${format(replyCpu, 2)} ms of server CPU per reply (p50 ${format(replies.latency.p50)} ms, p99 ${format(replies.latency.p99)} ms; ${format(replies.requests.total)} replies, every one 201). Target ≥ 1,000: ${verdict(postsPerSecond >= 1000)} (NodeBB: 96).`,
      '',
      `## Export and erasure of the member with ${format(HEAVY_MEMBER_POSTS)} posts and ${format(HEAVY_MEMBER_MESSAGES)} messages`,
      '',
      `- Export (ZIP, streamed): **${format(privacyResult.exportSeconds, 2)} s**, ${format(privacyResult.exportRows)} rows, ${format(privacyResult.exportBytes / 1024 / 1024, 1)} MB; peak RSS of the process ${format(privacyResult.exportPeak)} MB (${format(privacyResult.rssBefore)} MB before). Target < 2 s: ${verdict(privacyResult.exportSeconds < 2)}.`,
      `- Erasure: **${format(privacyResult.erasureSeconds, 2)} s** (${privacyResult.erasureStatus}); posts still naming the member afterwards: ${privacyResult.postsStillNamingMember}. Peak RSS ${format(privacyResult.erasurePeak)} MB.`,
      HEAVY_MEMBER_EXTRAS.length === 0
        ? "- Private messages are not yet part of this member's data (the messages module adds its 1,000 messages through `HEAVY_MEMBER_EXTRAS` in bench/forum.ts)."
        : `- The member's data includes ${format(HEAVY_MEMBER_MESSAGES)} private messages (seeded by the messages module's \`seedMessagesForBench\`), in the export's rows above.`,
      '',
      '## Server memory',
      '',
      `- Peak RSS of the server process over the whole run (both page scenarios and the replies): **${format(serverPeak)} MB** (NodeBB: about 800 MB).`,
      '',
      ...machineSection(loadBefore, loadAfter),
    ];
    await writeResults('RESULTS-forum.md', lines);
  } finally {
    if (process.env.BENCH_FORUM_KEEP_DATA === '1')
      process.stderr.write(`data kept in ${dataDir}\n`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const [mode, dataDirArgument, idArgument] = process.argv.slice(2);
if (mode === '--serve' && dataDirArgument && idArgument) {
  await serve(dataDirArgument, idArgument);
} else if (mode === '--privacy' && dataDirArgument && idArgument) {
  await privacyRun(dataDirArgument, idArgument);
} else {
  await main();
}
