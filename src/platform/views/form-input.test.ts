import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { readFormValues, validateForm } from './form-input.js';

const RegisterForm = Type.Object({
  firstName: Type.String({ minLength: 1, maxLength: 100 }),
  email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' }),
  password: Type.String({ minLength: 8 }),
  children: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
  newsletters: Type.Optional(Type.Array(Type.String())),
});

const messages = {
  firstName: 'Enter your first name',
  email: {
    missing: 'Enter your email address',
    invalid: 'Enter an email address in the correct format, like name@example.com',
  },
  password: { missing: 'Enter a password', invalid: 'Use at least 8 characters' },
  children: 'Enter a number from 0 to 20',
  newsletters: 'Choose newsletters from the list',
};

describe('readFormValues', () => {
  it('keeps strings and lists of strings, drops _csrf and anything else', () => {
    expect(
      readFormValues({
        _csrf: 'token',
        name: '  Ann  ',
        tags: ['a ', ' b'],
        nested: { x: 1 },
        count: 3,
        mixed: ['a', 1],
      }),
    ).toEqual({ name: 'Ann', tags: ['a', 'b'] });
  });

  it('keeps spaces in passwords exactly as typed', () => {
    expect(readFormValues({ password: '  two words  ', newPassword: ' x ' })).toEqual({
      password: '  two words  ',
      newPassword: ' x ',
    });
  });

  it('treats a body that is not an object as no answers', () => {
    expect(readFormValues(undefined)).toEqual({});
    expect(readFormValues('name=Ann')).toEqual({});
    expect(readFormValues(['a'])).toEqual({});
    expect(readFormValues(null)).toEqual({});
  });
});

describe('validateForm', () => {
  it('returns the clean, converted value on success and leaves out unknown fields', () => {
    const result = validateForm(
      RegisterForm,
      {
        _csrf: 'token',
        firstName: ' Ann ',
        email: 'ann@example.com',
        password: 'long enough',
        children: '2',
        newsletters: 'general',
        extra: 'ignored',
      },
      messages,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        firstName: 'Ann',
        email: 'ann@example.com',
        password: 'long enough',
        children: 2,
        newsletters: ['general'],
      },
      values: {
        firstName: 'Ann',
        email: 'ann@example.com',
        password: 'long enough',
        children: '2',
        newsletters: 'general',
        extra: 'ignored',
      },
    });
  });

  it('treats an empty optional answer as absent', () => {
    const result = validateForm(
      RegisterForm,
      { firstName: 'Ann', email: 'ann@example.com', password: 'long enough', children: '' },
      messages,
    );
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).not.toHaveProperty('children');
  });

  it('tells missing from invalid answers, in the order of the form, and keeps the input', () => {
    const result = validateForm(
      RegisterForm,
      { firstName: '   ', email: 'not-an-email', password: 'short', children: 'many' },
      messages,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.entries(result.errors)).toEqual([
      ['firstName', 'Enter your first name'],
      ['email', 'Enter an email address in the correct format, like name@example.com'],
      ['password', 'Use at least 8 characters'],
      ['children', 'Enter a number from 0 to 20'],
    ]);
    expect(result.values).toEqual({
      firstName: '',
      email: 'not-an-email',
      password: 'short',
      children: 'many',
    });
  });

  it('reports every unanswered required field as missing', () => {
    const result = validateForm(RegisterForm, {}, messages);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual({
      firstName: 'Enter your first name',
      email: 'Enter your email address',
      password: 'Enter a password',
    });
  });

  it('never reports success for a malformed body', () => {
    const result = validateForm(RegisterForm, 'firstName=Ann', messages);
    expect(result.ok).toBe(false);
  });
});
