import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectOwners } from '../../app.js';
import type { Database } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import {
  FIXTURE_MIGRATIONS,
  FixtureFileStore,
  attachFile,
  fixtureOwners,
  insertManyMessages,
  makeChild,
  makeInvoice,
  makeMember,
  makePost,
  makeUpload,
  sendMessage,
} from '../../../test/fixtures/privacy-owner/index.js';
import { parseCsv, readZip } from '../../../test/fixtures/privacy-owner/read-zip.js';
import { makeTempDir } from '../../../test/helpers/config.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { appendAudit } from '../audit/audit.service.js';
import { placeHold } from '../holds/holds.service.js';
import { createPrivacyRegistry, type PrivacyRegistry } from '../registry.js';
import { csvField } from './export.csv.js';
import { exportSubject, type ExportOptions } from './export.engine.js';

interface ExportedData {
  format: string;
  subjectId: string;
  generatedAt: string;
  owners: Record<string, Record<string, Record<string, unknown>[]>>;
}

interface ExportedFacts {
  tables: {
    owner: string;
    table: string;
    categories: string[];
    purposes: { key: string; legalBasis: string; recipients: unknown[]; title: string }[];
    retention: string[];
    erasure: string;
    source: string;
  }[];
}

async function exportToBuffer(
  db: Database,
  registry: PrivacyRegistry,
  subjectId: string,
  options: ExportOptions = {},
) {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const summary = await exportSubject(db, registry, subjectId, sink, options);
  return { summary, zip: Buffer.concat(chunks) };
}

function text(entries: Map<string, Buffer>, name: string): string {
  const entry = entries.get(name);
  if (!entry) throw new Error(`${name} is missing from the export`);
  return entry.toString('utf8');
}

describe('CSV fields', () => {
  it('quotes as RFC 4180 says and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('=HYPERLINK("http://evil.example")')).toBe(
      `"'=HYPERLINK(""http://evil.example"")"`,
    );
    expect(csvField('-12')).toBe("'-12");
    expect(csvField(-12)).toBe('-12');
    expect(csvField(null)).toBe('');
  });
});

describeEachDialect(
  'export engine',
  (current) => {
    let files: FixtureFileStore;
    let registry: PrivacyRegistry;
    beforeAll(() => {
      files = new FixtureFileStore(makeTempDir('hearth-uploads-'));
      registry = createPrivacyRegistry([...collectOwners(), ...fixtureOwners({ files })]);
    });

    it('exports every declared column about the subject as data.json, CSVs, facts and a readable index', async () => {
      const { db } = current();
      const subject = await makeMember(db, { full_name: 'Sam Subject' });
      const friend = await makeMember(db);
      const stranger = await makeMember(db);
      const child = await makeChild(db, subject.id, { nickname: 'Bean' });
      await makeChild(db, friend.id, { nickname: 'Not yours' });
      const sent = await sendMessage(db, subject.id, friend.id, {
        body: 'Line one,\r\nline "two"',
      });
      const sentAttachment = await attachFile(db, sent.id, { file_name: 'plan.pdf' });
      const received = await sendMessage(db, friend.id, subject.id, {
        body: '=HYPERLINK("http://evil.example","click")',
      });
      const receivedAttachment = await attachFile(db, received.id, { file_name: 'photo.jpg' });
      await sendMessage(db, friend.id, stranger.id, { body: 'Not about the subject' });
      const post = await makePost(db, subject.id, { body: '<script>alert("x")</script> & more' });
      await makePost(db, friend.id, { body: 'Someone else’s post' });
      const invoice = await makeInvoice(db, subject.id);
      await makeUpload(db, files, subject.id, Buffer.from('subject scan'));
      await makeUpload(db, files, friend.id, Buffer.from('friend scan'));
      await appendAudit(db, { action: 'data.viewed', actorId: friend.id, subjectId: subject.id });
      // Holds are for staff only: an active one must not show in the export.
      await placeHold(db, {
        subjectId: subject.id,
        kind: 'safeguarding',
        reason: 'Confidential safeguarding referral',
        placedBy: newId(),
      });

      const generatedAt = new Date('2026-11-29T12:00:00.000Z');
      const { summary, zip } = await exportToBuffer(db, registry, subject.id, {
        generatedAt,
        pseudonymise: (id) => `other-${id === friend.id ? 'friend' : 'someone'}`,
      });
      expect(summary.bytes).toBe(zip.length);
      const entries = readZip(zip);

      const data = JSON.parse(text(entries, 'data.json')) as ExportedData;
      expect(data).toMatchObject({ subjectId: subject.id, generatedAt: generatedAt.toISOString() });
      const community = data.owners['fixture-community'] ?? {};
      expect(community.fixture_members).toEqual([
        {
          id: subject.id,
          email: subject.email,
          full_name: 'Sam Subject',
          display_name: subject.display_name,
          location: subject.location,
          created_at: subject.created_at,
          last_login_at: subject.last_login_at,
        },
      ]);
      expect(community.fixture_children).toEqual([{ ...child }]);
      const messages = community.fixture_messages ?? [];
      expect(messages).toHaveLength(2);
      expect(messages).toContainEqual({ ...sent, recipient_id: 'other-friend' });
      expect(messages).toContainEqual({ ...received, sender_id: 'other-friend' });
      expect(community.fixture_message_attachments).toEqual(
        expect.arrayContaining([{ ...sentAttachment }, { ...receivedAttachment }]),
      );
      expect(community.fixture_posts).toEqual([{ ...post }]);
      expect(community.fixture_invoices).toEqual([{ ...invoice }]);
      const uploads = data.owners['fixture-uploads'] ?? {};
      expect(uploads.fixture_uploads).toHaveLength(1);
      expect(uploads.fixture_upload_files).toEqual([
        expect.objectContaining({
          original_name: 'first-scan.jpg',
          content_base64: Buffer.from('subject scan').toString('base64'),
        }),
      ]);
      const privacy = data.owners.privacy ?? {};
      expect(privacy.audit_details).toEqual([
        expect.objectContaining({ subject_id: subject.id, actor_id: 'other-friend' }),
      ]);
      expect(privacy.privacy_holds).toBeUndefined();

      // Secrets, other people's ids and the hold appear nowhere in the archive.
      for (const [name, content] of entries) {
        const body = content.toString('utf8');
        expect(body, name).not.toContain(subject.password_hash);
        expect(body, name).not.toContain('password_hash');
        expect(body, name).not.toContain(friend.id);
        expect(body, name).not.toContain('Confidential safeguarding');
        expect(body, name).not.toContain('Not about the subject');
        expect(body, name).not.toContain('Not yours');
      }

      const messagesCsv = parseCsv(text(entries, 'csv/fixture-community/fixture_messages.csv'));
      expect(messagesCsv[0]).toEqual([
        'id',
        'sender_id',
        'recipient_id',
        'body',
        'sent_at',
        'read_at',
        'reply_to_id',
      ]);
      expect(messagesCsv.slice(1)).toHaveLength(2);
      const bodies = messagesCsv.slice(1).map((record) => record[3]);
      expect(bodies).toContain('Line one,\r\nline "two"');
      expect(bodies).toContain(`'=HYPERLINK("http://evil.example","click")`);
      expect(entries.has('csv/fixture-uploads/fixture_upload_files.csv')).toBe(true);
      expect([...entries.keys()].filter((name) => name.includes('privacy_holds'))).toEqual([]);

      const facts = JSON.parse(text(entries, 'facts.json')) as ExportedFacts;
      const memberFacts = facts.tables.find((entry) => entry.table === 'fixture_members');
      expect(memberFacts?.purposes[0]).toMatchObject({
        key: 'account',
        legalBasis: 'Contract (Art. 6(1)(b))',
      });
      expect(memberFacts?.categories).toContain('email address');
      expect(memberFacts?.retention[0]).toContain('3 years after your last sign-in');
      expect(memberFacts?.source).toBe('You gave it to us.');
      const invoiceFacts = facts.tables.find((entry) => entry.table === 'fixture_invoices');
      expect(invoiceFacts?.erasure).toContain('HMRC');
      expect(facts.tables.every((entry) => Array.isArray(entry.purposes[0]?.recipients))).toBe(
        true,
      );

      const index = text(entries, 'index.html');
      expect(index).toMatch(/^<!doctype html>/);
      expect(index).not.toMatch(/<script/i);
      expect(index).toContain('&lt;script>alert(&quot;x&quot;)&lt;/script> &amp; more');
      expect(index).toContain('Why we hold it');
      expect(index).toContain('href="csv/fixture-community/fixture_messages.csv"');
      expect(index).not.toMatch(/(src|href)="https?:/);

      expect(summary.rows).toBe(
        Object.values(data.owners)
          .flatMap((tables) => Object.values(tables))
          .reduce((sum, rows) => sum + rows.length, 0),
      );
      expect(summary.tables).toBe(
        Object.values(data.owners).reduce((sum, tables) => sum + Object.keys(tables).length, 0),
      );
    });

    it('refuses a missing subject id with a 400', async () => {
      const { db } = current();
      await expect(exportToBuffer(db, registry, '  ')).rejects.toMatchObject({ statusCode: 400 });
    });

    it('streams 50,000 rows with bounded memory', async () => {
      const database = current();
      const { db } = database;
      const subject = await makeMember(db);
      const recipients = [await makeMember(db), await makeMember(db), await makeMember(db)];
      const rowCount = 50_000;
      const bodyBytes = 400;
      const insertStarted = Date.now();
      await insertManyMessages(
        db,
        subject.id,
        recipients.map((recipient) => recipient.id),
        rowCount,
        bodyBytes,
      );
      const insertMs = Date.now() - insertStarted;

      // Two measures. `heapUsed` sampled as the export runs counts garbage not yet collected,
      // so it mostly shows how lazily V8 collects; the live heap, sampled right after a forced
      // collection (every 2,000 rows and every 64 chunks written), is what the export holds, and
      // is what the test asserts.
      v8.setFlagsFromString('--expose-gc');
      const collect = vm.runInNewContext('gc') as () => void;
      collect();
      const baseline = process.memoryUsage().heapUsed;
      let rawPeak = baseline;
      let livePeak = baseline;
      let writes = 0;
      const sample = () => {
        rawPeak = Math.max(rawPeak, process.memoryUsage().heapUsed);
      };
      const measureLive = () => {
        collect();
        livePeak = Math.max(livePeak, process.memoryUsage().heapUsed);
      };
      const sampler = setInterval(sample, 5);

      const file = path.join(makeTempDir('hearth-export-'), 'export.zip');
      const fileStream = fs.createWriteStream(file);
      // The file's backpressure reaches the export through this writable.
      const output = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          sample();
          writes += 1;
          if (writes % 64 === 0) measureLive();
          if (fileStream.write(chunk)) callback();
          else fileStream.once('drain', () => callback());
        },
        final(callback) {
          fileStream.end(callback);
        },
      });
      // The pseudonymiser runs for every row (each names a recipient), inside the engine's own
      // loop: sampling there catches memory held while no byte is written and no timer runs
      // (better-sqlite3 answers synchronously, so a loop over pages may never yield).
      let rowsSeen = 0;
      const pseudonymise = (id: string) => {
        rowsSeen += 1;
        if (rowsSeen % 2000 === 0) measureLive();
        return `person-${id.slice(-8)}`;
      };
      const started = Date.now();
      const summary = await exportSubject(db, registry, subject.id, output, { pseudonymise });
      const exportMs = Date.now() - started;
      clearInterval(sampler);
      const liveGrowth = livePeak - baseline;
      const rawGrowth = rawPeak - baseline;

      const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      console.log(
        `[${database.dialect}] export of ${rowCount} rows: insert ${insertMs} ms, export ${exportMs} ms ` +
          `(with forced collections), zip ${megabytes(summary.bytes)} MB, ` +
          `live heap growth ${megabytes(liveGrowth)} MB, peak heapUsed growth ${megabytes(rawGrowth)} MB`,
      );

      // The bound, 16 MB of live heap: a page of 500 rows is about 0.4 MB as row objects and
      // as much again as JSON or CSV text; a few stream stages hold up to 64 KB each; zlib's
      // deflate state is about 0.3 MB; the driver's result for one page and the index's
      // previews are small. Holding data.json or the CSV in memory (each over 20 MB here)
      // would break it.
      expect(writes).toBeGreaterThan(64);
      expect(rowsSeen).toBe(2 * rowCount);
      expect(liveGrowth).toBeLessThan(16 * 1024 * 1024);

      const entries = readZip(fs.readFileSync(file));
      const dataJson = entries.get('data.json');
      const csv = entries.get('csv/fixture-community/fixture_messages.csv');
      if (!dataJson || !csv) throw new Error('entries missing');
      const data = JSON.parse(dataJson.toString('utf8')) as ExportedData;
      const messages = data.owners['fixture-community']?.fixture_messages ?? [];
      expect(messages).toHaveLength(rowCount);
      expect(new Set(messages.map((row) => row.id)).size).toBe(rowCount);
      expect(parseCsv(csv.toString('utf8'))).toHaveLength(rowCount + 1);
      expect(summary.rows).toBe(rowCount + 1);
      // What the export holds uncompressed: data.json and the CSV each carry every row.
      const uncompressed = dataJson.length + csv.length;
      expect(uncompressed).toBeGreaterThan(2 * rowCount * bodyBytes);
      // Far below what either file would take if it were held in memory.
      expect(liveGrowth).toBeLessThan(Math.min(dataJson.length, csv.length) / 2);
    }, 180_000);
  },
  { extraMigrationFolders: [FIXTURE_MIGRATIONS] },
);
