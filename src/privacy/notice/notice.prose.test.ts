import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/config.js';
import {
  GENERATED_SECTIONS,
  NoticeProseError,
  SHIPPED_PROSE_DIR,
  loadNoticeProse,
  parseSection,
} from './notice.prose.js';

function operatorDir(files: Record<string, string>): string {
  const dataDir = makeTempDir();
  fs.mkdirSync(path.join(dataDir, 'notice'));
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dataDir, 'notice', name), text);
  }
  return dataDir;
}

describe('notice prose', () => {
  it('ships a default text covering every section of the notice, in order', () => {
    const prose = loadNoticeProse();
    expect(prose.sections.map((section) => section.key)).toEqual([
      'who-we-are',
      'what-we-collect',
      'cookies',
      'retention',
      'sharing',
      'transfers',
      'your-rights',
      'contact',
      'complaints',
      'changes',
    ]);
    for (const section of prose.sections) expect(section.markdown.length).toBeGreaterThan(100);
    expect(prose.facts.supervisoryAuthority.complaintsUrl).toBe(
      'https://ico.org.uk/make-a-complaint/',
    );
  });

  it('takes the operator’s files from DATA_DIR/notice in place of the shipped ones', () => {
    const facts = JSON.parse(
      fs.readFileSync(path.join(SHIPPED_PROSE_DIR, 'notice.json'), 'utf8'),
    ) as {
      dataProtectionOfficer: { email: string };
    };
    facts.dataProtectionOfficer.email = 'privacy@acorns.example';
    const dataDir = operatorDir({
      'notice.json': JSON.stringify(facts),
      '01-who-we-are.md': '# About us\n\nWe are Little Acorns.',
      '07-your-rights.md': '',
      '12-glossary.md': '# Words we use\n\n*Controller*: us.',
    });
    const prose = loadNoticeProse(dataDir);
    expect(prose.facts.dataProtectionOfficer.email).toBe('privacy@acorns.example');
    expect(prose.sections.find((section) => section.key === 'who-we-are')).toEqual({
      key: 'who-we-are',
      title: 'About us',
      markdown: 'We are Little Acorns.',
    });
    const keys = prose.sections.map((section) => section.key);
    // An empty file removes a section of pure prose; a new file adds one, in its place.
    expect(keys).not.toContain('your-rights');
    expect(keys[keys.length - 1]).toBe('glossary');
  });

  it('keeps the sections Hearth fills with facts even when the operator empties them', () => {
    const dataDir = operatorDir({ '06-transfers.md': '', '09-complaints.md': '' });
    const prose = loadNoticeProse(dataDir);
    for (const { key, title } of GENERATED_SECTIONS) {
      expect(prose.sections).toContainEqual(expect.objectContaining({ key }));
      if (key === 'transfers') {
        expect(prose.sections.find((section) => section.key === key)).toEqual({
          key,
          title,
          markdown: '',
        });
      }
    }
  });

  it('refuses facts that are not valid, naming the problem', () => {
    const dataDir = operatorDir({ 'notice.json': JSON.stringify({ controller: { name: 'X' } }) });
    expect(() => loadNoticeProse(dataDir)).toThrow(NoticeProseError);
    const facts = JSON.parse(
      fs.readFileSync(path.join(SHIPPED_PROSE_DIR, 'notice.json'), 'utf8'),
    ) as {
      supervisoryAuthority: { website: string };
    };
    facts.supervisoryAuthority.website = 'javascript:alert(1)';
    expect(() => loadNoticeProse(operatorDir({ 'notice.json': JSON.stringify(facts) }))).toThrow(
      /supervisoryAuthority\/website/,
    );
  });

  it('needs a title line on each section', () => {
    expect(() => parseSection('rights', 'No heading here.')).toThrow(/must start with a "# Title"/);
    expect(parseSection('rights', '\uFEFF# Rights\r\n\r\nText.\r\n')).toEqual({
      key: 'rights',
      title: 'Rights',
      markdown: 'Text.',
    });
  });
});
