import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import {
  Button,
  Checkbox,
  ErrorSummary,
  Field,
  Fieldset,
  Form,
  Select,
  fieldId,
  valueOf,
  valuesOf,
} from './forms.js';

/** The opening tag of the element with this id, to check its attributes together. */
function tagWithId(html: string, id: string): string {
  const match = new RegExp(`<[a-z]+[^>]*\\bid="${id}"[^>]*>`).exec(html);
  if (!match) throw new Error(`no element with id ${id} in ${html}`);
  return match[0];
}

describe('Form', () => {
  it('carries the CSRF token in a hidden _csrf field on POST, and none on GET', () => {
    const post = renderToString(
      <Form action="/register" csrfToken="token-123">
        <Button>Continue</Button>
      </Form>,
    );
    expect(post).toContain('method="post"');
    expect(post).toContain('<input type="hidden" name="_csrf" value="token-123"/>');
    expect(post).toContain('novalidate');
    expect(post).toContain('data-prevent-double-submit');

    const get = renderToString(
      <Form action="/search" method="get">
        <Button>Search</Button>
      </Form>,
    );
    expect(get).toContain('method="get"');
    expect(get).not.toContain('_csrf');
    expect(get).not.toContain('data-prevent-double-submit');
  });

  it('escapes the token and the action', () => {
    const html = renderToString(
      <Form action={'/x?a="b"&c=<d>'} csrfToken={'"><script>alert(1)</script>'}>
        <span />
      </Form>,
    );
    expect(html).not.toContain('<script>');
    expect(html).toContain('value="&quot;>&lt;script>alert(1)&lt;/script>"');
    expect(html).toContain('action="/x?a=&quot;b&quot;&amp;c=&lt;d>"');
  });
});

describe('Field', () => {
  it('ties the label to the control and describes it by hint and error, in that order', () => {
    const html = renderToString(
      <Field
        name="email"
        label="Email address"
        type="email"
        value="ann@example"
        hint="We send a link to check it"
        error="Enter an email address in the correct format, like name@example.com"
        required
        autocomplete="email"
        spellcheck={false}
      />,
    );
    const id = fieldId('email');
    expect(html).toContain(`<label class="field__label" for="${id}">Email address</label>`);
    const control = tagWithId(html, id);
    expect(control).toMatch(/^<input /);
    expect(control).toContain('type="email"');
    expect(control).toContain('name="email"');
    expect(control).toContain('value="ann@example"');
    expect(control).toContain('aria-invalid="true"');
    expect(control).toContain(`aria-describedby="${id}-hint ${id}-error"`);
    expect(control).toContain('required');
    expect(control).toContain('autocomplete="email"');
    expect(control).toContain('spellcheck="false"');
    expect(tagWithId(html, `${id}-hint`)).toContain('class="field__hint"');
    expect(tagWithId(html, `${id}-error`)).toContain('class="field__error"');
    expect(html).toContain('<span class="visually-hidden">Error: </span>');
    expect(html).toContain('field--error');
  });

  it('has no aria-invalid and no dangling aria-describedby without hint or error', () => {
    const html = renderToString(<Field name="firstName" label="First name" />);
    const control = tagWithId(html, fieldId('firstName'));
    expect(control).not.toContain('aria-invalid');
    expect(control).not.toContain('aria-describedby');
    expect(html).not.toContain('field--error');
  });

  it('escapes the label, hint, error and value the person typed', () => {
    const html = renderToString(
      <Field
        name="bio"
        label={'Tell us <b>about</b> you'}
        value={'"><img src=x onerror=alert(1)>'}
        hint={'<script>hint()</script>'}
        error={'<script>error()</script>'}
      />,
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('value="&quot;>&lt;img src=x onerror=alert(1)>"');
    expect(html).toContain('&lt;script>hint()&lt;/script>');
    expect(html).toContain('&lt;script>error()&lt;/script>');
  });

  it('never writes a password back into the page', () => {
    const html = renderToString(
      <Field name="password" label="Password" type="password" value="hunter2-secret" />,
    );
    expect(html).toContain('type="password"');
    expect(html).not.toContain('hunter2-secret');
  });

  it('renders a textarea with the escaped value as its content', () => {
    const html = renderToString(
      <Field
        name="message"
        label="Message"
        type="textarea"
        value={'</textarea><script>x</script>'}
      />,
    );
    expect(tagWithId(html, fieldId('message'))).toMatch(/^<textarea /);
    expect(html).toContain('&lt;/textarea>&lt;script>x&lt;/script></textarea>');
  });

  it('makes ids safe for URL fragments from bracketed names', () => {
    expect(fieldId('babies[0][birthDate]')).toBe('field-babies-0--birthDate-');
    expect(fieldId('email')).toBe('field-email');
  });
});

describe('Select, Checkbox and Fieldset', () => {
  it('marks the chosen option and wires the error', () => {
    const html = renderToString(
      <Select
        name="location"
        label="Where you live"
        emptyChoice="Choose a place"
        options={[
          { value: 'leeds', label: 'Leeds' },
          { value: 'york', label: 'York' },
        ]}
        value="york"
        error="Choose where you live"
      />,
    );
    expect(html).toContain('<option value="york" selected>York</option>');
    expect(html).toContain('<option value="leeds">Leeds</option>');
    // An empty attribute is the empty string in HTML: the empty choice posts nothing.
    expect(html).toContain('<option value>Choose a place</option>');
    const control = tagWithId(html, fieldId('location'));
    expect(control).toContain('aria-invalid="true"');
    expect(control).toContain(`aria-describedby="${fieldId('location')}-error"`);
  });

  it('gives each box of a group its own id and keeps its ticked state', () => {
    const html = renderToString(
      <Fieldset legend="Newsletters" name="newsletters" error="Choose at least one newsletter">
        <Checkbox name="newsletters" idSuffix="general" value="general" label="General" checked />
        <Checkbox name="newsletters" idSuffix="weekly" value="weekly" label="Weekly" />
      </Fieldset>,
    );
    const general = tagWithId(html, fieldId('newsletters-general'));
    expect(general).toContain('checked');
    expect(tagWithId(html, fieldId('newsletters-weekly'))).not.toContain('checked');
    const group = tagWithId(html, fieldId('newsletters'));
    expect(group).toMatch(/^<fieldset /);
    expect(group).toContain(`aria-describedby="${fieldId('newsletters')}-error"`);
    expect(html).toContain('<legend class="fieldset__legend">Newsletters</legend>');
  });
});

describe('ErrorSummary', () => {
  it('renders nothing when there is no error', () => {
    expect(renderToString(<ErrorSummary errors={{}} />)).toBe('');
    expect(renderToString(<ErrorSummary errors={undefined} />)).toBe('');
  });

  it('is focusable, announced, and links each message to its field in order', () => {
    const html = renderToString(
      <ErrorSummary
        errors={{ email: 'Enter your email address', 'babies[0][birthDate]': 'Enter a date' }}
        formError="We could not save your answers"
      />,
    );
    expect(html).toMatch(/^<div class="error-summary" tabindex="-1"/);
    expect(html).toContain('aria-labelledby="error-summary-title"');
    expect(html).toContain('data-error-summary');
    expect(html).toContain('role="alert"');
    expect(html).toContain('<h2 id="error-summary-title"');
    const links = [...html.matchAll(/<a href="#([^"]+)">([^<]+)<\/a>/g)].map((m) => [m[1], m[2]]);
    expect(links).toEqual([
      [fieldId('email'), 'Enter your email address'],
      [fieldId('babies[0][birthDate]'), 'Enter a date'],
    ]);
    expect(html).toContain('<li>We could not save your answers</li>');
  });

  it('escapes messages', () => {
    const html = renderToString(<ErrorSummary errors={{ name: '<img src=x onerror=alert(1)>' }} />);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)>');
  });
});

describe('form values', () => {
  it('reads the first value and every value of a field', () => {
    const values = { one: 'a', many: ['x', 'y'] };
    expect(valueOf(values, 'one')).toBe('a');
    expect(valueOf(values, 'many')).toBe('x');
    expect(valueOf(values, 'none')).toBeUndefined();
    expect(valuesOf(values, 'many')).toEqual(['x', 'y']);
    expect(valuesOf(values, 'one')).toEqual(['a']);
    expect(valuesOf(undefined, 'one')).toEqual([]);
  });
});
