import { describe, expect, it } from 'vitest';
import {
  newsletterFormErrors,
  newsletterFormValues,
  parseIsoDate,
  parseNewsletterForm,
  parseNewsletterPreferences,
  readNewsletterForm,
  type NewsletterList,
} from './newsletters.preferences.js';

const TODAY = '2026-12-01';

const CATALOGUE: NewsletterList[] = [
  { key: 'general', title: 'Hearth newsletter', description: '', kind: 'general', active: true },
  {
    key: 'pregnancy-weekly',
    title: 'Pregnancy Weekly',
    description: '',
    kind: 'pregnancy-weekly',
    active: true,
  },
  {
    key: 'baby-monthly',
    title: 'Baby Monthly',
    description: '',
    kind: 'baby-monthly',
    active: true,
  },
  { key: 'offers', title: 'Old offers', description: '', kind: 'general', active: false },
];

function parse(input: unknown) {
  return parseNewsletterPreferences(input, { catalogue: CATALOGUE, today: TODAY });
}

function fieldsOf(input: unknown): Record<string, string> {
  const result = parse(input);
  if (result.ok) throw new Error('expected the input to be refused');
  return result.fields;
}

describe('parseNewsletterPreferences', () => {
  it('accepts the DESIGN.md §6 example and an empty list', () => {
    const input = [
      { list: 'general' },
      { list: 'pregnancy-weekly', dueDate: '2027-03-01' },
      { list: 'baby-monthly', babies: [{ birthDate: '2026-05-01' }] },
    ];
    expect(parse(input)).toEqual({ ok: true, value: input });
    expect(parse([])).toEqual({ ok: true, value: [] });
    expect(parse(undefined)).toEqual({ ok: true, value: [] });
  });

  it('refuses anything but a list of objects naming a list', () => {
    expect(fieldsOf({ list: 'general' })).toEqual({ newsletters: expect.any(String) as string });
    expect(fieldsOf(null)).toEqual({ newsletters: expect.any(String) as string });
    expect(fieldsOf(['general', { list: 7 }, {}])).toEqual({
      'newsletters.0': expect.stringContaining('object') as string,
      'newsletters.1.list': expect.any(String) as string,
      'newsletters.2.list': expect.any(String) as string,
    });
    expect(fieldsOf([{ list: 'general', colour: 'red' }])).toEqual({
      'newsletters.0.colour': expect.stringContaining('not part') as string,
    });
  });

  it('refuses unknown, retired and repeated lists, each at its own index', () => {
    expect(fieldsOf([{ list: 'general' }, { list: 'gossip' }, { list: 'general' }])).toEqual({
      'newsletters.1.list': 'There is no newsletter with this name.',
      'newsletters.2.list': 'You chose this newsletter twice.',
    });
    expect(fieldsOf([{ list: 'offers' }])).toEqual({
      'newsletters.0.list': 'This newsletter is no longer available.',
    });
  });

  it('P06 asks a due date with and only with Pregnancy Weekly, within a plausible range', () => {
    expect(fieldsOf([{ list: 'general' }, { list: 'pregnancy-weekly' }])).toEqual({
      'newsletters.1.dueDate': 'Enter your due date to get Pregnancy Weekly.',
    });
    expect(fieldsOf([{ list: 'pregnancy-weekly', dueDate: '2027-02-30' }])).toEqual({
      'newsletters.0.dueDate': expect.stringContaining('real date') as string,
    });
    expect(fieldsOf([{ list: 'pregnancy-weekly', dueDate: '01/03/2027' }])).toEqual({
      'newsletters.0.dueDate': expect.stringContaining('real date') as string,
    });
    // Ten months ahead is the limit; a day more is refused.
    expect(parse([{ list: 'pregnancy-weekly', dueDate: '2027-10-01' }]).ok).toBe(true);
    expect(fieldsOf([{ list: 'pregnancy-weekly', dueDate: '2027-10-02' }])).toEqual({
      'newsletters.0.dueDate': expect.stringContaining('10 months') as string,
    });
    // Four weeks past is the limit; a day more is refused.
    expect(parse([{ list: 'pregnancy-weekly', dueDate: '2026-11-03' }]).ok).toBe(true);
    expect(fieldsOf([{ list: 'pregnancy-weekly', dueDate: '2026-11-02' }])).toEqual({
      'newsletters.0.dueDate': expect.stringContaining('10 months') as string,
    });
    expect(fieldsOf([{ list: 'general', dueDate: '2027-03-01' }])).toEqual({
      'newsletters.0.dueDate': 'A due date is only asked for Pregnancy Weekly.',
    });
    expect(
      fieldsOf([{ list: 'baby-monthly', dueDate: '2027-03-01', babies: [{ birthDate: TODAY }] }]),
    ).toEqual({ 'newsletters.0.dueDate': 'A due date is only asked for Pregnancy Weekly.' });
  });

  it('P06 asks 1 to 6 birth dates with and only with Baby Monthly, in the past five years', () => {
    expect(fieldsOf([{ list: 'baby-monthly' }])).toEqual({
      'newsletters.0.babies': expect.stringContaining('date of birth') as string,
    });
    expect(fieldsOf([{ list: 'baby-monthly', babies: [] }])).toEqual({
      'newsletters.0.babies': 'Enter between 1 and 6 babies’ dates of birth.',
    });
    const seven = Array.from({ length: 7 }, () => ({ birthDate: '2026-01-01' }));
    expect(fieldsOf([{ list: 'baby-monthly', babies: seven }])).toEqual({
      'newsletters.0.babies': 'Enter between 1 and 6 babies’ dates of birth.',
    });
    expect(
      fieldsOf([
        {
          list: 'baby-monthly',
          babies: [
            { birthDate: TODAY },
            { birthDate: '2026-12-02' },
            { birthDate: '2021-11-30' },
            { birthDate: 'soon' },
            {},
            'twins',
          ],
        },
      ]),
    ).toEqual({
      'newsletters.0.babies.1.birthDate': 'A date of birth cannot be in the future.',
      'newsletters.0.babies.2.birthDate': expect.stringContaining('under 5') as string,
      'newsletters.0.babies.3.birthDate': expect.stringContaining('real date') as string,
      'newsletters.0.babies.4.birthDate': 'Enter the baby’s date of birth.',
      'newsletters.0.babies.5': expect.stringContaining('object') as string,
    });
    expect(
      parse([{ list: 'baby-monthly', babies: [{ birthDate: '2021-12-01' }, { birthDate: TODAY }] }])
        .ok,
    ).toBe(true);
    expect(
      fieldsOf([
        { list: 'pregnancy-weekly', dueDate: '2027-03-01', babies: [{ birthDate: TODAY }] },
      ]),
    ).toEqual({ 'newsletters.0.babies': 'A baby’s date of birth is only asked for Baby Monthly.' });
  });

  it('without a catalogue knows the shipped lists and takes other keys for general lists', () => {
    const options = { today: TODAY };
    expect(parseNewsletterPreferences([{ list: 'pregnancy-weekly' }], options)).toEqual({
      ok: false,
      fields: { 'newsletters.0.dueDate': expect.any(String) as string },
    });
    expect(parseNewsletterPreferences([{ list: 'local-events' }], options).ok).toBe(true);
    expect(parseNewsletterPreferences([{ list: 'Not A Key!' }], options).ok).toBe(false);
  });

  it('reads only real calendar dates', () => {
    expect(parseIsoDate('2028-02-29')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(parseIsoDate('2027-02-29')).toBeUndefined();
    expect(parseIsoDate('2027-13-01')).toBeUndefined();
    expect(parseIsoDate(20270101)).toBeUndefined();
  });
});

describe('the newsletter form', () => {
  it('reads a list’s dates only when its box is ticked (P06)', () => {
    const values = {
      newsletters: ['general', 'baby-monthly'],
      'newsletter.pregnancy-weekly.dueDate': '2027-03-01',
      'newsletter.baby-monthly.babies.0.birthDate': '',
      'newsletter.baby-monthly.babies.1.birthDate': '2026-05-01',
    };
    expect(readNewsletterForm(values)).toEqual([
      { list: 'general' },
      { list: 'baby-monthly', babies: [{ birthDate: '2026-05-01' }] },
    ]);
    expect(readNewsletterForm({})).toEqual([]);
    expect(readNewsletterForm({ newsletters: 'general' })).toEqual([{ list: 'general' }]);
  });

  it('puts each message beside the control it is about', () => {
    const values = {
      newsletters: ['general', 'pregnancy-weekly', 'baby-monthly'],
      'newsletter.pregnancy-weekly.dueDate': '',
      'newsletter.baby-monthly.babies.0.birthDate': '',
      'newsletter.baby-monthly.babies.2.birthDate': '2031-01-01',
    };
    const result = parseNewsletterForm(values, { catalogue: CATALOGUE, today: TODAY });
    expect(result).toEqual({
      ok: false,
      errors: {
        'newsletter.pregnancy-weekly.dueDate': 'Enter your due date to get Pregnancy Weekly.',
        // The second control was left empty, so the first answered one is the third control.
        'newsletter.baby-monthly.babies.2.birthDate': 'A date of birth cannot be in the future.',
      },
    });
    expect(
      newsletterFormErrors({ 'newsletters.0.list': 'x', newsletters: 'y' }, { newsletters: 'a' }),
    ).toEqual({ newsletters: 'x' });
    expect(
      newsletterFormErrors({ 'newsletters.0.babies': 'none' }, { newsletters: 'baby-monthly' }),
    ).toEqual({ 'newsletter.baby-monthly.babies.0.birthDate': 'none' });
  });

  it('fills the form from saved choices, and reads them back the same', () => {
    const saved = [
      { list: 'pregnancy-weekly', dueDate: '2027-03-01' },
      { list: 'baby-monthly', babies: [{ birthDate: '2026-05-01' }, { birthDate: '2026-05-01' }] },
    ];
    const values = newsletterFormValues(saved);
    expect(values).toEqual({
      newsletters: ['pregnancy-weekly', 'baby-monthly'],
      'newsletter.pregnancy-weekly.dueDate': '2027-03-01',
      'newsletter.baby-monthly.babies.0.birthDate': '2026-05-01',
      'newsletter.baby-monthly.babies.1.birthDate': '2026-05-01',
    });
    expect(readNewsletterForm(values)).toEqual(saved);
  });
});
