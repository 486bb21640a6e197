import { renderDocument } from './layout.js';

export interface ErrorPageOptions {
  status: number;
  title: string;
  message: string;
  nonce: string;
  path: string;
}

/** The HTML page for an error response (404, 403, 500, …). */
export function renderErrorPage(options: ErrorPageOptions): string {
  return renderDocument(
    { title: options.title, nonce: options.nonce, path: options.path },
    <section class="error-page">
      <h1>{options.title}</h1>
      <p>{options.message}</p>
      <p>
        <a href="/">Go to the home page</a>
      </p>
    </section>,
  );
}
