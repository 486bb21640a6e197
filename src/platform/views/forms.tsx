/**
 * Form components for server-rendered pages, after the GOV.UK Design System patterns: every
 * field has a visible label tied to it, hints and errors are announced with the field
 * (`aria-describedby`), an invalid field says so (`aria-invalid`), and an error summary at the
 * top of the page links to each field in error.
 *
 * Forms work without JavaScript: they post, the route validates (form-input.ts), and on error
 * the page is rendered again with status 422, the person's answers and the messages. The client
 * script only moves focus to the summary and stops double submission.
 */
import type { ComponentChildren } from 'preact';
import { isList, type FieldErrors, type FormValues } from './form-input.js';

/**
 * The id of a field's control: form names may hold characters that are awkward in a URL
 * fragment (`babies[0][birthDate]`), so anything outside `[A-Za-z0-9_-]` becomes `-`.
 */
export function fieldId(name: string): string {
  return `field-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The first value of a field, as a string (an `<input>` shows one value). */
export function valueOf(values: FormValues | undefined, name: string): string | undefined {
  const value = values?.[name];
  if (value === undefined) return undefined;
  return isList(value) ? value[0] : value;
}

/** Every value of a repeated field (checkboxes sharing a name). */
export function valuesOf(values: FormValues | undefined, name: string): readonly string[] {
  const value = values?.[name];
  if (value === undefined) return [];
  return isList(value) ? value : [value];
}

type FormMethodProps =
  | {
      /** POST forms change something: the CSRF token is required. */
      method?: 'post';
      csrfToken: string;
    }
  | {
      /** GET forms (search, filters) change nothing and carry no token. */
      method: 'get';
      csrfToken?: undefined;
    };

export type FormProps = FormMethodProps & {
  action: string;
  children: ComponentChildren;
  class?: string;
  /** A name for the form when a page holds several (announced by screen readers). */
  label?: string;
};

/**
 * A form. `novalidate` because the server's messages, shown in the same place for everyone,
 * are clearer than each browser's own bubbles; the `required` attributes still tell assistive
 * technology which fields must be answered.
 */
export function Form(props: FormProps) {
  const method = props.method ?? 'post';
  return (
    <form
      action={props.action}
      method={method}
      class={props.class ? `form ${props.class}` : 'form'}
      noValidate
      aria-label={props.label}
      data-prevent-double-submit={method === 'post' ? '' : undefined}
    >
      {method === 'post' ? <input type="hidden" name="_csrf" value={props.csrfToken} /> : null}
      {props.children}
    </form>
  );
}

export type FieldType =
  'text' | 'email' | 'password' | 'tel' | 'url' | 'number' | 'date' | 'search' | 'textarea';

export interface FieldProps {
  name: string;
  label: string;
  type?: FieldType;
  value?: string | undefined;
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
  /** An `autocomplete` token (`email`, `given-name`, `new-password`, …): helps people fill in. */
  autocomplete?: string;
  inputMode?: 'text' | 'numeric' | 'decimal' | 'email' | 'tel' | 'url' | 'search';
  /** Turn spell checking off for names, emails and codes. */
  spellcheck?: boolean;
  rows?: number;
  /** A narrower control for short answers (postcodes, codes). */
  width?: 'short' | 'medium';
}

/** The ids that describe a control: its hint and its error, in reading order. */
function describedBy(id: string, hint: string | undefined, error: string | undefined) {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

function Hint(props: { id: string; hint: string | undefined }) {
  return props.hint ? (
    <p id={`${props.id}-hint`} class="field__hint">
      {props.hint}
    </p>
  ) : null;
}

function ErrorMessage(props: { id: string; error: string | undefined }) {
  return props.error ? (
    <p id={`${props.id}-error`} class="field__error">
      <span class="visually-hidden">Error: </span>
      {props.error}
    </p>
  ) : null;
}

/** A labelled text control (or textarea) with its hint and error. */
export function Field(props: FieldProps) {
  const id = fieldId(props.name);
  const type = props.type ?? 'text';
  // A password is never written back into the page: it would sit in the HTML, in caches and
  // in the browser's history of the 422 response.
  const value = type === 'password' ? undefined : props.value;
  const shared = {
    id,
    name: props.name,
    required: props.required ?? false,
    autocomplete: props.autocomplete,
    spellcheck: props.spellcheck,
    'aria-invalid': props.error ? ('true' as const) : undefined,
    'aria-describedby': describedBy(id, props.hint, props.error),
  };
  const widthClass = props.width ? ` input--${props.width}` : '';
  return (
    <div class={props.error ? 'field field--error' : 'field'}>
      <label class="field__label" for={id}>
        {props.label}
      </label>
      <Hint id={id} hint={props.hint} />
      <ErrorMessage id={id} error={props.error} />
      {type === 'textarea' ? (
        <textarea {...shared} class={`textarea${widthClass}`} rows={props.rows ?? 5}>
          {value ?? ''}
        </textarea>
      ) : (
        <input
          {...shared}
          // Preact types `<input>` attributes per literal `type`: tsc cannot fit a union of types
          // to one branch (typescript-eslint's per-attribute check does not see why), and every
          // FieldType accepts the attributes set here.
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
          type={type as 'text'}
          class={`input${widthClass}`}
          value={value}
          inputMode={props.inputMode}
        />
      )}
    </div>
  );
}

export interface SelectOption {
  value: string;
  label: string;
}

export interface SelectProps {
  name: string;
  label: string;
  options: readonly SelectOption[];
  value?: string | undefined;
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
  /** A first, empty choice ("Choose a place"), so nothing is picked for the person. */
  emptyChoice?: string;
}

export function Select(props: SelectProps) {
  const id = fieldId(props.name);
  return (
    <div class={props.error ? 'field field--error' : 'field'}>
      <label class="field__label" for={id}>
        {props.label}
      </label>
      <Hint id={id} hint={props.hint} />
      <ErrorMessage id={id} error={props.error} />
      <select
        id={id}
        name={props.name}
        class="select"
        required={props.required ?? false}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy(id, props.hint, props.error)}
      >
        {props.emptyChoice !== undefined ? (
          <option value="" selected={!props.value}>
            {props.emptyChoice}
          </option>
        ) : null}
        {props.options.map((option) => (
          <option key={option.value} value={option.value} selected={option.value === props.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export interface CheckboxProps {
  name: string;
  label: string;
  /** The value posted when ticked. */
  value?: string;
  checked?: boolean;
  hint?: string | undefined;
  error?: string | undefined;
  /** Set for each box of a group sharing a name, so ids stay unique. */
  idSuffix?: string;
}

/** One checkbox; group several in a `<Fieldset>`. */
export function Checkbox(props: CheckboxProps) {
  const id = fieldId(props.idSuffix ? `${props.name}-${props.idSuffix}` : props.name);
  return (
    <div class={props.error ? 'checkbox field--error' : 'checkbox'}>
      <ErrorMessage id={id} error={props.error} />
      <input
        id={id}
        type="checkbox"
        name={props.name}
        value={props.value ?? 'yes'}
        checked={props.checked ?? false}
        class="checkbox__input"
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy(id, props.hint, props.error)}
      />
      <label class="checkbox__label" for={id}>
        {props.label}
      </label>
      <Hint id={id} hint={props.hint} />
    </div>
  );
}

export interface FieldsetProps {
  legend: string;
  /** The field name the group's error belongs to, so the error summary can link to it. */
  name?: string;
  hint?: string | undefined;
  error?: string | undefined;
  children: ComponentChildren;
}

/** A group of related controls (checkboxes, a date in parts) under one legend. */
export function Fieldset(props: FieldsetProps) {
  const id = props.name ? fieldId(props.name) : undefined;
  return (
    <fieldset
      id={id}
      class={props.error ? 'fieldset field--error' : 'fieldset'}
      tabindex={id ? -1 : undefined}
      aria-describedby={id ? describedBy(id, props.hint, props.error) : undefined}
    >
      <legend class="fieldset__legend">{props.legend}</legend>
      {id ? <Hint id={id} hint={props.hint} /> : null}
      {id ? <ErrorMessage id={id} error={props.error} /> : null}
      {props.children}
    </fieldset>
  );
}

export interface ErrorSummaryProps {
  errors: FieldErrors | undefined;
  /** A problem with the whole form rather than one field ("Email or password is wrong"). */
  formError?: string | undefined;
  title?: string;
}

/**
 * The summary at the top of a form shown again with errors (GOV.UK pattern): focusable so the
 * client script can move focus to it on load, and announced as an alert by screen readers.
 * Each message links to its field.
 */
export function ErrorSummary(props: ErrorSummaryProps) {
  const entries = Object.entries(props.errors ?? {});
  if (entries.length === 0 && !props.formError) return null;
  return (
    <div
      class="error-summary"
      tabindex={-1}
      aria-labelledby="error-summary-title"
      data-error-summary
    >
      <div role="alert">
        <h2 id="error-summary-title" class="error-summary__title">
          {props.title ?? 'There is a problem'}
        </h2>
        <ul class="error-summary__list">
          {props.formError ? <li>{props.formError}</li> : null}
          {entries.map(([name, message]) => (
            <li key={name}>
              <a href={`#${fieldId(name)}`}>{message}</a>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

export interface ButtonProps {
  children: ComponentChildren;
  type?: 'submit' | 'button';
  variant?: 'primary' | 'secondary' | 'warning';
  /** Posted with the form: tells apart several buttons of one form. */
  name?: string;
  value?: string;
}

export function Button(props: ButtonProps) {
  return (
    <button
      type={props.type ?? 'submit'}
      class={`button button--${props.variant ?? 'primary'}`}
      name={props.name}
      value={props.value}
    >
      {props.children}
    </button>
  );
}

/**
 * A link styled as a button, for calls to action that go somewhere rather than submit. It stays
 * a link for assistive technology, because it navigates.
 */
export function ButtonLink(props: {
  href: string;
  children: ComponentChildren;
  variant?: 'primary' | 'secondary';
}) {
  return (
    <a href={props.href} class={`button button--${props.variant ?? 'primary'}`}>
      {props.children}
    </a>
  );
}
