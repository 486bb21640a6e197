/**
 * `index.html` of an export: a page a member can open from the unzipped folder, offline, with
 * no script and nothing fetched (its style is inline). It summarises what the export holds,
 * shows the first rows of each table, links each table's CSV, and states the Art. 15 facts.
 * Preact escapes every value, so text other people wrote cannot become markup.
 */
import { Fragment } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { TableFacts } from './export.facts.js';

export interface IndexSection {
  owner: string;
  table: string;
  csvPath: string;
  rows: number;
  columns: readonly string[];
  /** The first rows, as exported. */
  preview: readonly Record<string, unknown>[];
  description: string | null;
}

export interface IndexPageProps {
  subjectId: string;
  generatedAt: string;
  sections: readonly IndexSection[];
  facts: readonly TableFacts[];
}

const STYLE = `
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1d1d1f; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #c8c8cc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f5; }
td { max-width: 30rem; overflow-wrap: anywhere; }
section { margin-bottom: 2rem; }
.note { color: #55555a; }
`;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.length > 300 ? `${value.slice(0, 300)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return JSON.stringify(value);
}

function Preview(props: { section: IndexSection }) {
  const { section } = props;
  return (
    <table>
      <thead>
        <tr>
          {section.columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {section.preview.map((row, index) => (
          <tr key={index}>
            {section.columns.map((column) => (
              <td key={column}>{cell(row[column])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Facts(props: { facts: TableFacts }) {
  const { facts } = props;
  return (
    <section>
      <h3>
        {facts.table} <span class="note">({facts.owner})</span>
      </h3>
      {facts.description ? <p>{facts.description}</p> : null}
      <dl>
        {facts.categories.length > 0 ? (
          <>
            <dt>What it holds</dt>
            <dd>{facts.categories.join('; ')}</dd>
          </>
        ) : null}
        {facts.purposes.map((purpose) => (
          <Fragment key={purpose.key}>
            <dt>Why: {purpose.title}</dt>
            <dd>
              <p>{purpose.description}</p>
              <p>
                Legal basis: {purpose.legalBasis}. {purpose.legalBasisWords}.
              </p>
              {purpose.specialCondition ? (
                <p>Special-category data: {purpose.specialCondition}</p>
              ) : null}
              <p>
                Who receives it:{' '}
                {purpose.recipients.length === 0
                  ? (purpose.recipientsNote ?? 'Nobody outside Hearth.')
                  : purpose.recipients
                      .map(
                        (recipient) =>
                          `${recipient.name} (${recipient.role}, ${recipient.country}${
                            recipient.safeguard ? `; safeguard: ${recipient.safeguard}` : ''
                          })`,
                      )
                      .join('; ')}
              </p>
            </dd>
          </Fragment>
        ))}
        <dt>How long we keep it</dt>
        <dd>
          {facts.retention.length === 0 ? (
            'As long as the service needs it.'
          ) : (
            <ul>
              {facts.retention.map((sentence) => (
                <li key={sentence}>{sentence}</li>
              ))}
            </ul>
          )}
        </dd>
        <dt>If you ask us to erase your data</dt>
        <dd>{facts.erasure}</dd>
        <dt>Where it came from</dt>
        <dd>{facts.source}</dd>
      </dl>
    </section>
  );
}

function IndexPage(props: IndexPageProps) {
  const totalRows = props.sections.reduce((sum, section) => sum + section.rows, 0);
  return (
    <html lang="en-GB">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Your data from Hearth</title>
        {/* A constant, not data: safe to insert as is. */}
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <main>
          <h1>Your data from Hearth</h1>
          <p>
            Prepared on {props.generatedAt} for account {props.subjectId}. It holds {totalRows}{' '}
            records in {props.sections.length} tables.
          </p>
          <p class="note">
            <code>data.json</code> holds everything, grouped by the part of Hearth that keeps it;
            each table is also a CSV file in the <code>csv</code> folder, and{' '}
            <code>facts.json</code> holds the facts below. Other people named in your data are shown
            by a pseudonym. Passwords and sign-in secrets are never exported.
          </p>
          <h2>Your data</h2>
          {props.sections.map((section) => (
            <section key={`${section.owner}/${section.table}`}>
              <h3>
                {section.table} <span class="note">({section.owner})</span>
              </h3>
              {section.description ? <p>{section.description}</p> : null}
              <p>
                {section.rows} {section.rows === 1 ? 'record' : 'records'}
                {section.rows > section.preview.length
                  ? `; the first ${section.preview.length} are shown here`
                  : ''}
                . All of them: <a href={section.csvPath}>{section.csvPath}</a>
              </p>
              <Preview section={section} />
            </section>
          ))}
          <h2>Why we hold it, and for how long</h2>
          {props.facts.map((facts) => (
            <Facts key={`${facts.owner}/${facts.table}`} facts={facts} />
          ))}
        </main>
      </body>
    </html>
  );
}

export function renderIndexPage(props: IndexPageProps): string {
  return `<!doctype html>\n${renderToString(<IndexPage {...props} />)}\n`;
}
