import { renderDocument } from './layout.js';

export interface ErrorPageOptions {
  status: number;
  title: string;
  message: string;
  nonce: string;
  path: string;
  /** Shown on server errors so that a member who writes to the help desk can quote it. */
  requestId?: string;
}

/** What a person can do next, by kind of error; the message says what went wrong. */
function NextSteps(props: { status: number; requestId: string | undefined }) {
  if (props.status === 404) {
    return (
      <p>
        If you typed the web address, check it is correct. If you followed a link, the page may have
        been moved or removed.
      </p>
    );
  }
  if (props.status >= 500) {
    return (
      <>
        <p>Nothing you did caused this. Please try again in a few minutes.</p>
        {props.requestId ? (
          <p>
            If it keeps happening, tell us this reference: <code>{props.requestId}</code>
          </p>
        ) : null}
      </>
    );
  }
  return null;
}

/** The HTML page for an error response (404, 403, 500, …). */
export function renderErrorPage(options: ErrorPageOptions): string {
  return renderDocument(
    { title: options.title, nonce: options.nonce, path: options.path },
    <section class="error-page" aria-labelledby="error-title">
      <h1 id="error-title">{options.title}</h1>
      <p class="lead">{options.message}</p>
      <NextSteps status={options.status} requestId={options.requestId} />
      <p>
        <a href="/">Go to the home page</a>
      </p>
    </section>,
  );
}
