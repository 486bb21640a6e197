/**
 * The published notice as HTML: `/privacy` (the current version), `/privacy/versions/:n` (an
 * earlier one) and `/privacy/changes` (every version with its date and summary, P57). Each
 * section shows the operator's prose, then the facts Hearth fills in from the snapshot.
 */
import { Fragment, type ComponentChildren } from 'preact';
import { renderMarkdown } from './notice.markdown.js';
import type { NoticeVersion, NoticeVersionSummary } from './notice.service.js';
import type { Feature, NoticeContent, PurposeFacts } from './notice.snapshot.js';

export function formatDate(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: timezone }).format(
    new Date(iso),
  );
}

function DateText(props: { iso: string; timezone: string }) {
  return <time dateTime={props.iso}>{formatDate(props.iso, props.timezone)}</time>;
}

function Prose(props: { markdown: string }) {
  if (props.markdown.trim() === '') return null;
  return <div class="prose" dangerouslySetInnerHTML={{ __html: renderMarkdown(props.markdown) }} />;
}

function partnerName(content: NoticeContent, id: string): string {
  return content.partners.find((partner) => partner.id === id)?.name ?? id;
}

function PartnerLinks(props: { content: NoticeContent; ids: readonly string[] }) {
  if (props.ids.length === 0) return <>No one outside our team.</>;
  return (
    <>
      {props.ids.map((id, index) => (
        <Fragment key={id}>
          {index > 0 ? ', ' : ''}
          <a href={`#partner-${id}`}>{partnerName(props.content, id)}</a>
        </Fragment>
      ))}
    </>
  );
}

function Basis(props: { purpose: PurposeFacts }) {
  return (
    <>
      {props.purpose.basisText}.
      {props.purpose.specialCondition ? (
        <> For special-category data (Art. 9): {props.purpose.specialCondition}.</>
      ) : null}
    </>
  );
}

function FeatureFacts(props: { content: NoticeContent; feature: Feature }) {
  const { feature, content } = props;
  return (
    <section class="notice-feature" id={`feature-${feature.owner}`}>
      <h3>{feature.title}</h3>
      {feature.description ? <p>{feature.description}</p> : null}
      {feature.purposes.map((entry) => (
        <div class="notice-purpose" key={entry.purpose.key}>
          <h4>{entry.purpose.title}</h4>
          <dl>
            {entry.records.length > 0 ? (
              <>
                <dt>What we keep</dt>
                <dd>
                  <ul>
                    {entry.records.map((record) => (
                      <li key={record}>{record}</li>
                    ))}
                  </ul>
                </dd>
              </>
            ) : null}
            <dt>What we collect</dt>
            <dd>
              {entry.collects.length === 0 ? (
                'Nothing beyond a link to your account.'
              ) : (
                <ul>
                  {entry.collects.map((item) => (
                    <li key={item.text}>
                      {item.text}
                      {item.special ? ' (special-category data: extra protection applies)' : ''}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Why</dt>
            <dd>{entry.purpose.description}</dd>
            <dt>Legal basis</dt>
            <dd>
              <Basis purpose={entry.purpose} />
            </dd>
            <dt>How long we keep it</dt>
            <dd>
              {entry.retention.length === 0 ? (
                'Until you ask us to erase it.'
              ) : (
                <ul>
                  {entry.retention.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Who receives it</dt>
            <dd>
              <PartnerLinks content={content} ids={entry.purpose.recipients} />
            </dd>
          </dl>
        </div>
      ))}
    </section>
  );
}

function CollectedFacts(props: { content: NoticeContent }) {
  return (
    <>
      {props.content.features.map((feature) => (
        <FeatureFacts key={feature.owner} content={props.content} feature={feature} />
      ))}
    </>
  );
}

function CookieFacts(props: { content: NoticeContent }) {
  const { cookies } = props.content;
  return (
    <>
      <h3>Essential cookies</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Cookie</th>
            <th scope="col">What it does</th>
            <th scope="col">How long it lasts</th>
          </tr>
        </thead>
        <tbody>
          {cookies.essential.map((cookie) => (
            <tr key={cookie.name}>
              <td>{cookie.name}</td>
              <td>{cookie.purpose}</td>
              <td>{cookie.lasts}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cookies.optional.length > 0 ? (
        <>
          <h3>Optional cookies, only with your consent</h3>
          <ul>
            {cookies.optional.map((purpose) => (
              <li key={purpose.key}>
                <strong>{purpose.title}</strong>: {purpose.description} Partners:{' '}
                <PartnerLinks content={props.content} ids={purpose.recipients} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <p>We keep your cookie choices for {cookies.choicesLast}, then ask you again.</p>
    </>
  );
}

function RetentionFacts(props: { content: NoticeContent }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Data</th>
          <th scope="col">How long we keep it</th>
        </tr>
      </thead>
      <tbody>
        {props.content.features.flatMap((feature) =>
          feature.purposes.map((entry) => (
            <tr key={`${feature.owner}-${entry.purpose.key}`}>
              <th scope="row">
                {feature.title}: {entry.purpose.title}
              </th>
              <td>
                {entry.retention.length === 0
                  ? 'Until you ask us to erase it.'
                  : entry.retention.join(' ')}
              </td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

function purposeTitle(content: NoticeContent, key: string): string {
  return content.purposes.find((purpose) => purpose.key === key)?.title ?? key;
}

function PartnerFacts(props: { content: NoticeContent }) {
  const { content } = props;
  return (
    <table class="notice-partners">
      <thead>
        <tr>
          <th scope="col">Recipient</th>
          <th scope="col">Role</th>
          <th scope="col">For</th>
          <th scope="col">Data</th>
          <th scope="col">Where</th>
          <th scope="col">Safeguard</th>
        </tr>
      </thead>
      <tbody>
        {content.partners.map((partner) => (
          <tr key={partner.id} id={`partner-${partner.id}`}>
            <th scope="row">
              {partner.name}
              <p>{partner.description}</p>
            </th>
            <td>
              {partner.role === 'processor'
                ? 'Works for us under contract (processor)'
                : 'Independent organisation, under its own privacy notice'}
            </td>
            <td>{partner.purposes.map((key) => purposeTitle(content, key)).join(', ')}</td>
            <td>{partner.categories.map((category) => category.text).join(', ')}</td>
            <td>{partner.countryName}</td>
            <td>{partner.safeguard ?? 'Not needed: inside the UK or EEA'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TransferFacts(props: { content: NoticeContent }) {
  if (props.content.transfers.length === 0) {
    return <p>We do not transfer personal data outside the UK and the EEA.</p>;
  }
  return (
    <ul class="notice-transfers">
      {props.content.transfers.map((transfer) => (
        <li key={transfer.partnerId}>
          <a href={`#partner-${transfer.partnerId}`}>{transfer.partnerName}</a>, in{' '}
          {transfer.countryName}. Safeguard: {transfer.safeguard}.
        </li>
      ))}
    </ul>
  );
}

function ContactFacts(props: { content: NoticeContent }) {
  const { dataProtectionOfficer: dpo, controller, helpEmail } = props.content;
  return (
    <dl class="notice-contact">
      <dt>Data protection officer</dt>
      <dd>
        {dpo.name}, <a href={`mailto:${dpo.email}`}>{dpo.email}</a>. By post: {dpo.address}.
      </dd>
      <dt>Who we are</dt>
      <dd>
        {controller.name}, <a href={`mailto:${controller.email}`}>{controller.email}</a>,{' '}
        {controller.address}.
      </dd>
      <dt>Help desk</dt>
      <dd>
        <a href={`mailto:${helpEmail}`}>{helpEmail}</a>
      </dd>
    </dl>
  );
}

function ComplaintFacts(props: { content: NoticeContent }) {
  const authority = props.content.supervisoryAuthority;
  return (
    <p class="notice-authority">
      {authority.name}: <a href={authority.complaintsUrl}>{authority.complaintsUrl}</a>, by
      telephone on {authority.phone}, or through its website{' '}
      <a href={authority.website}>{authority.website}</a>.
    </p>
  );
}

function ChangeFacts(props: { version: NoticeVersionSummary; timezone: string }) {
  return (
    <p>
      This is version {props.version.version}, published{' '}
      <DateText iso={props.version.publishedAt} timezone={props.timezone} />.{' '}
      <a href="/privacy/changes">See every version and what changed</a>.
    </p>
  );
}

function generatedFacts(
  key: string,
  notice: NoticeVersion,
  timezone: string,
): ComponentChildren | null {
  const { content } = notice;
  switch (key) {
    case 'what-we-collect':
      return <CollectedFacts content={content} />;
    case 'cookies':
      return <CookieFacts content={content} />;
    case 'retention':
      return <RetentionFacts content={content} />;
    case 'sharing':
      return <PartnerFacts content={content} />;
    case 'transfers':
      return <TransferFacts content={content} />;
    case 'contact':
      return <ContactFacts content={content} />;
    case 'complaints':
      return <ComplaintFacts content={content} />;
    case 'changes':
      return <ChangeFacts version={notice} timezone={timezone} />;
    default:
      return null;
  }
}

export function NoticePage(props: {
  notice: NoticeVersion;
  timezone: string;
  /** The newest version's number, when this page shows an older one. */
  newerVersion?: number;
}) {
  const { notice, timezone } = props;
  return (
    <article class="privacy-notice">
      <h1>Privacy notice</h1>
      <p class="notice-version">
        Version {notice.version}, published{' '}
        <DateText iso={notice.publishedAt} timezone={timezone} />.{' '}
        <a href="/privacy/changes">Changes to this notice</a>
      </p>
      {props.newerVersion !== undefined ? (
        <p class="notice-outdated" role="note">
          This is an earlier version. <a href="/privacy">Read the current version</a> (version{' '}
          {props.newerVersion}).
        </p>
      ) : null}
      <nav aria-label="Contents">
        <ol>
          {notice.content.sections.map((section) => (
            <li key={section.key}>
              <a href={`#${section.key}`}>{section.title}</a>
            </li>
          ))}
        </ol>
      </nav>
      {notice.content.sections.map((section) => (
        <section key={section.key} id={section.key} aria-labelledby={`${section.key}-title`}>
          <h2 id={`${section.key}-title`}>{section.title}</h2>
          <Prose markdown={section.markdown} />
          {generatedFacts(section.key, notice, timezone)}
        </section>
      ))}
    </article>
  );
}

export function NoticeChangesPage(props: {
  versions: readonly NoticeVersionSummary[];
  timezone: string;
}) {
  return (
    <article class="privacy-notice-changes">
      <h1>Changes to our privacy notice</h1>
      <p>
        Every version of our <a href="/privacy">privacy notice</a>, newest first, with the date it
        was published and what changed.
      </p>
      {props.versions.length === 0 ? (
        <p>No version has been published yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Published</th>
              <th scope="col">What changed</th>
            </tr>
          </thead>
          <tbody>
            {props.versions.map((version) => (
              <tr key={version.version}>
                <td>
                  <a href={`/privacy/versions/${version.version}`}>{version.version}</a>
                </td>
                <td>
                  <DateText iso={version.publishedAt} timezone={props.timezone} />
                </td>
                <td>
                  {version.summary}
                  {version.material ? ' (an important change: we asked members to review it)' : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}

/** The body of a notice version's page, for `reply.page()`. */
export function noticePageBody(options: {
  notice: NoticeVersion;
  timezone: string;
  newerVersion?: number;
}): ComponentChildren {
  return <NoticePage {...options} />;
}

/** The body of the changes page, for `reply.page()`. */
export function noticeChangesBody(options: {
  versions: readonly NoticeVersionSummary[];
  timezone: string;
}): ComponentChildren {
  return <NoticeChangesPage {...options} />;
}
