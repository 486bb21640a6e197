/**
 * Reading and checking what an HTML form posted, so a route can either act on clean values or
 * show the form again (status 422) with the person's answers and a message per field.
 *
 * HTML form routes validate here rather than with a Fastify body schema: a schema failure
 * answers 400 with JSON, which is right for the API and wrong for a person filling in a form.
 */
import type { Static, TObject, TSchema } from 'typebox';
import { Value } from 'typebox/value';

/** What a form posted, by field name (repeated names, such as checkboxes, give a list). */
export type FormValues = Readonly<Record<string, string | readonly string[]>>;

/** One message per field in error, in the order the fields appear. */
export type FieldErrors = Readonly<Record<string, string>>;

/**
 * The message for a field: one text, or one for an unanswered field and one for a wrong answer
 * ("Enter your email address" / "Enter an email address in the correct format").
 */
export type FieldMessage = string | { missing: string; invalid: string };

export type FieldMessages<S extends TObject> = {
  readonly [K in keyof Static<S> & string]-?: FieldMessage;
};

export type FormResult<T> =
  | { ok: true; value: T; values: FormValues }
  | { ok: false; errors: FieldErrors; values: FormValues };

/**
 * True for a repeated field's values. (`Array.isArray` would narrow a readonly list to `any[]`.)
 */
export function isList(value: string | readonly string[]): value is readonly string[] {
  return typeof value !== 'string';
}

/** Fields whose value is used exactly as typed: spaces may be part of a password. */
const KEEP_WHITESPACE = /password/i;

/** The CSRF field belongs to the platform, never to the form's data. */
const PLATFORM_FIELDS = new Set(['_csrf']);

/**
 * The posted strings of a form body. Anything that is not a string or a list of strings (a
 * JSON body sent to a form route, a number, a nested object) is dropped, so a malformed post
 * becomes missing answers rather than an exception.
 */
export function readFormValues(body: unknown): FormValues {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const values: Record<string, string | readonly string[]> = {};
  for (const [name, raw] of Object.entries(body as Record<string, unknown>)) {
    if (PLATFORM_FIELDS.has(name)) continue;
    const keepWhitespace = KEEP_WHITESPACE.test(name);
    const clean = (value: string) => (keepWhitespace ? value : value.trim());
    if (typeof raw === 'string') values[name] = clean(raw);
    else if (Array.isArray(raw) && raw.every((item): item is string => typeof item === 'string')) {
      values[name] = raw.map(clean);
    }
  }
  return values;
}

function isArraySchema(schema: TSchema | undefined): boolean {
  return schema !== undefined && 'type' in schema && schema.type === 'array';
}

/**
 * The values shaped for the schema: empty answers removed (an empty optional field is simply
 * absent; an empty required one is missing), and a single value of a list field wrapped.
 */
function shapeForSchema(schema: TObject, values: FormValues): Record<string, unknown> {
  const shaped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const property: TSchema | undefined = schema.properties[name];
    if (isList(value)) {
      const answered = value.filter((item) => item !== '');
      if (answered.length > 0) shaped[name] = isArraySchema(property) ? answered : answered[0];
    } else if (value !== '') {
      shaped[name] = isArraySchema(property) ? [value] : value;
    }
  }
  return shaped;
}

function messageFor(message: FieldMessage, missing: boolean): string {
  if (typeof message === 'string') return message;
  return missing ? message.missing : message.invalid;
}

/**
 * Checks a posted form against a TypeBox object schema. On success `value` holds only the
 * schema's properties, converted (`"3"` → 3 for an integer). On failure `errors` holds one
 * message per field, in the schema's property order, and `values` what the person typed.
 */
export function validateForm<S extends TObject>(
  schema: S,
  body: unknown,
  messages: FieldMessages<S>,
): FormResult<Static<S>> {
  const values = readFormValues(body);
  const candidate = Value.Convert(schema, shapeForSchema(schema, values));
  if (Value.Check(schema, candidate)) {
    return { ok: true, value: Value.Clean(schema, candidate) as Static<S>, values };
  }

  const missing = new Set<string>();
  const invalid = new Set<string>();
  for (const error of Value.Errors(schema, candidate)) {
    if (error.keyword === 'required' && error.instancePath === '') {
      const required = (error.params as { requiredProperties?: string[] }).requiredProperties;
      for (const name of required ?? []) missing.add(name);
      continue;
    }
    // `/babies/0/birthDate` belongs to the field `babies`: a form field is one property.
    const name = (error.instancePath.split('/')[1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
    if (name !== '') invalid.add(name);
  }

  const errors: Record<string, string> = {};
  const table = messages as Readonly<Record<string, FieldMessage>>;
  for (const name of Object.keys(schema.properties)) {
    const message = table[name];
    if (message === undefined) continue;
    if (missing.has(name)) errors[name] = messageFor(message, true);
    else if (invalid.has(name)) errors[name] = messageFor(message, false);
  }
  // The root failed without naming a property (a rule across fields): never report success.
  if (Object.keys(errors).length === 0) {
    const firstField = Object.keys(schema.properties)[0];
    const message = firstField === undefined ? undefined : table[firstField];
    errors[firstField ?? 'form'] =
      message === undefined ? 'Check your answers' : messageFor(message, false);
  }
  return { ok: false, errors, values };
}
