import { describe, expect, it } from 'vitest';
import { retentionFixtureRegistry } from '../../test/fixtures/retention-owner/retention-owner.js';
import { buildRopa, csvField, ropaToCsv, ropaToJson, type Ropa } from './ropa.js';

/** A strict RFC 4180 reader, to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let index = 0;
  let quoted = false;
  while (index < text.length) {
    const character = text[index] ?? '';
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 2;
        continue;
      }
      if (character === '"') quoted = false;
      else field += character;
      index += 1;
      continue;
    }
    if (character === '"' && field === '') quoted = true;
    else if (character === ',') {
      row.push(field);
      field = '';
    } else if (character === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 1;
    } else if (character === '\n' || character === '\r') {
      throw new Error(`bare line break at ${index}`);
    } else field += character;
    index += 1;
  }
  if (field !== '' || row.length > 0) throw new Error('last record has no CRLF');
  return rows;
}

describe('record of processing (Art. 30)', () => {
  const ropa = buildRopa(retentionFixtureRegistry(), { now: new Date('2027-01-05T00:00:00Z') });
  const activity = (owner: string, purpose: string) => {
    const found = ropa.activities.find(
      (entry) => entry.owner === owner && entry.purpose === purpose,
    );
    if (!found) throw new Error(`no activity ${owner}/${purpose}`);
    return found;
  };

  it('has one activity per owner and purpose, generated from the data map', () => {
    const security = activity('retention-fixture', 'security');
    expect(security).toMatchObject({
      activity: 'retention-fixture: Keeping Hearth secure',
      tables: ['rtx_logins'],
      legalBasis: 'Art. 6(1)(f) Legitimate interests',
      specialCategoryCondition: null,
      dataSubjects: ['member'],
      dataCategories: ['a link to your account', 'IP address'],
      retention: ['Deleted 30 days after it was created.'],
    });
    expect(security.recipients).toContain('Cloud hosting provider (processor)');
    expect(security.securityMeasures).toContain('hash-chained audit log');

    // A `via` table's subjects are its parent's.
    const helpdesk = activity('retention-fixture', 'helpdesk');
    expect(helpdesk.tables).toEqual(['rtx_tickets', 'rtx_ticket_notes']);
    expect(helpdesk.dataSubjects).toEqual(['requester']);
    expect(helpdesk.recipients).toContain('Help desk software provider (processor)');

    const account = activity('retention-fixture', 'account');
    expect(account.transfers).toContain(
      'Email delivery provider, United States: UK International Data Transfer Agreement (IDTA)',
    );
    expect(ropa.controller.name).toBeTruthy();
    expect(ropa.dataProtectionOfficer.email).toBe('dpo@example.org');
    expect(ropa.generatedAt).toBe('2027-01-05T00:00:00.000Z');
  });

  it('renders RFC 4180 CSV: a header, one record per activity, CRLF, quoted fields', () => {
    const csv = ropaToCsv(ropa);
    const rows = parseCsv(csv);
    expect(rows[0]?.[0]).toBe('Processing activity');
    expect(rows[0]).toContain('Transfers and safeguards');
    expect(rows).toHaveLength(ropa.activities.length + 1);
    for (const row of rows) expect(row).toHaveLength(rows[0]?.length ?? 0);
    const security = rows.find((row) => row[0] === 'retention-fixture: Keeping Hearth secure');
    expect(security?.[6]).toBe('Art. 6(1)(f) Legitimate interests');
    expect(security?.[12]).toBe('Deleted 30 days after it was created.');
  });

  it('quotes and defuses fields a spreadsheet would misread', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('-1')).toBe("'-1");
  });

  it('renders JSON that reads back as the same record', () => {
    expect(JSON.parse(ropaToJson(ropa)) as Ropa).toEqual(ropa);
  });
});
