/**
 * The operator's prose for the notice: Markdown sections and one JSON file of facts (who the
 * controller is, the data-protection contact, the supervisory authority, feature titles, the
 * essential cookies). Hearth ships a default text beside this file (prose/); an operator
 * overrides any file by putting one with the same name in `DATA_DIR/notice/`, and adds a
 * section with a new name there. Files are read from paths relative to this module so that the
 * compiled copy in dist/ finds the copies the build puts beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

export const SHIPPED_PROSE_DIR = fileURLToPath(new URL('./prose/', import.meta.url));

/** The folder under DATA_DIR whose files replace the shipped ones. */
export function proseOverrideDir(dataDir: string): string {
  return path.join(dataDir, 'notice');
}

const Text = (maxLength = 500) => Type.String({ minLength: 1, maxLength });
const Email = Type.String({ pattern: '^[^@\\s<>"]+@[^@\\s<>"]+$', maxLength: 254 });
/** Links on the notice page: https only, so a typo cannot turn into a script link. */
const WebLink = Type.String({ pattern: '^https://[^\\s<>"]+$', maxLength: 500 });

export const NoticeFactsSchema = Type.Object(
  {
    $comment: Type.Optional(Type.String()),
    controller: Type.Object(
      { name: Text(), email: Email, address: Text() },
      { additionalProperties: false },
    ),
    dataProtectionOfficer: Type.Object(
      { name: Text(), email: Email, address: Text() },
      { additionalProperties: false },
    ),
    supervisoryAuthority: Type.Object(
      { name: Text(), website: WebLink, complaintsUrl: WebLink, phone: Text() },
      { additionalProperties: false },
    ),
    helpEmail: Email,
    /** Titles and one-line descriptions of each owner of tables, by owner name. */
    features: Type.Record(
      Type.String(),
      Type.Object({ title: Text(), description: Text(1000) }, { additionalProperties: false }),
    ),
    cookies: Type.Object(
      {
        essential: Type.Array(
          Type.Object(
            { name: Text(100), purpose: Text(), lasts: Text(100) },
            { additionalProperties: false },
          ),
        ),
        /** Purposes whose cookies and tags need consent, in the order the notice lists them. */
        optionalPurposes: Type.Array(Type.String({ minLength: 1 })),
        choicesLast: Text(100),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type NoticeFacts = Static<typeof NoticeFactsSchema>;

export interface ProseSection {
  /** From the file name (`02-what-we-collect.md` → `what-we-collect`). */
  key: string;
  title: string;
  /** Markdown, without the title line. */
  markdown: string;
}

export interface NoticeProse {
  facts: NoticeFacts;
  sections: ProseSection[];
}

/**
 * Sections the notice always has, because Hearth fills them with facts from the data map, the
 * purposes and the partners (P47, P51, P55, P56, P57). When the operator's prose lacks one,
 * it still appears, under this title.
 */
export const GENERATED_SECTIONS: readonly { key: string; title: string }[] = [
  { key: 'what-we-collect', title: 'What we collect and why' },
  { key: 'cookies', title: 'Cookies' },
  { key: 'retention', title: 'How long we keep your data' },
  { key: 'sharing', title: 'Who receives your data' },
  { key: 'transfers', title: 'Transfers outside the UK and EEA' },
  { key: 'contact', title: 'Our data protection officer' },
  { key: 'complaints', title: 'Complaints to the supervisory authority' },
  { key: 'changes', title: 'Changes to this notice' },
];

const SECTION_FILE = /^(\d{2})-([a-z0-9-]+)\.md$/;
const FACTS_FILE = 'notice.json';

export class NoticeProseError extends Error {
  constructor(message: string) {
    super(`Notice prose: ${message}`);
    this.name = 'NoticeProseError';
  }
}

function readSectionFiles(dir: string): Map<string, { order: string; file: string }> {
  const found = new Map<string, { order: string; file: string }>();
  if (!fs.existsSync(dir)) return found;
  for (const name of fs.readdirSync(dir).sort()) {
    const match = SECTION_FILE.exec(name);
    if (!match) continue;
    const [, order = '99', key = name] = match;
    found.set(key, { order, file: path.join(dir, name) });
  }
  return found;
}

/** Splits a section file into its `# Title` line and the rest. */
export function parseSection(key: string, text: string): ProseSection | null {
  const body = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const match = /^\s*#\s+(.+?)\s*#*\s*\n/.exec(`${body}\n`);
  if (!match) {
    if (body.trim() === '') return null;
    throw new NoticeProseError(`section "${key}" must start with a "# Title" line`);
  }
  return {
    key,
    title: match[1] ?? key,
    markdown: `${body}\n`.slice(match[0].length).trim(),
  };
}

export function parseFacts(input: unknown, file: string): NoticeFacts {
  if (!Value.Check(NoticeFactsSchema, input)) {
    const problems = [...Value.Errors(NoticeFactsSchema, input)]
      .slice(0, 5)
      .map((error) => `${error.instancePath || '/'} ${error.message}`);
    throw new NoticeProseError(`${file} is not valid: ${problems.join('; ')}`);
  }
  return input;
}

/**
 * Reads the shipped prose, with the operator's files from `DATA_DIR/notice/` in place of the
 * shipped files of the same section (or `notice.json`). An empty operator file removes a
 * section of pure prose; sections Hearth fills with facts stay.
 */
export function loadNoticeProse(
  dataDir?: string,
  shippedDir: string = SHIPPED_PROSE_DIR,
): NoticeProse {
  const overrideDir = dataDir ? proseOverrideDir(dataDir) : null;
  const overrideFacts = overrideDir ? path.join(overrideDir, FACTS_FILE) : null;
  const factsFile =
    overrideFacts && fs.existsSync(overrideFacts)
      ? overrideFacts
      : path.join(shippedDir, FACTS_FILE);
  let rawFacts: unknown;
  try {
    rawFacts = JSON.parse(fs.readFileSync(factsFile, 'utf8'));
  } catch (error) {
    throw new NoticeProseError(`cannot read ${factsFile}: ${(error as Error).message}`);
  }
  const facts = parseFacts(rawFacts, factsFile);

  const files = readSectionFiles(shippedDir);
  if (overrideDir) for (const [key, entry] of readSectionFiles(overrideDir)) files.set(key, entry);

  const sections: (ProseSection & { order: string })[] = [];
  for (const [key, { order, file }] of files) {
    const section = parseSection(key, fs.readFileSync(file, 'utf8'));
    if (section) sections.push({ ...section, order });
  }
  for (const [index, generated] of GENERATED_SECTIONS.entries()) {
    if (!sections.some((section) => section.key === generated.key)) {
      sections.push({ ...generated, markdown: '', order: `9${String(index).padStart(2, '0')}` });
    }
  }
  sections.sort((a, b) => a.order.localeCompare(b.order) || a.key.localeCompare(b.key));
  return { facts, sections: sections.map(({ order: _order, ...section }) => section) };
}
