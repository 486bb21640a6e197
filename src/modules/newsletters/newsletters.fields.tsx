/**
 * The newsletter choices inside a form (registration, the account page): a box per list, and
 * beside Pregnancy Weekly its due date with the explicit-consent statement a health fact needs
 * (Art. 9(2)(a)), beside Baby Monthly the birth dates. Without JavaScript every control is on
 * the page; a list's dates are read only when its box is ticked (readNewsletterForm).
 */
import { Checkbox, Field, Fieldset, valueOf, valuesOf } from '../../platform/views/forms.js';
import type { FieldErrors, FormValues } from '../../platform/views/form-input.js';
import {
  MAX_BABIES,
  NEWSLETTERS_FIELD,
  birthDateFieldName,
  dueDateFieldName,
  newsletterFormErrors,
  type NewsletterList,
} from './newsletters.preferences.js';

export interface NewsletterFieldsProps {
  /** What the form posted (shown again) or the saved choices (`newsletterFormValues`). */
  values?: FormValues | undefined;
  /**
   * Messages by control name (`parseNewsletterForm`'s errors). Messages keyed by the JSON shape
   * (`newsletters.1.dueDate`, from `parseNewsletterPreferences`) are placed too.
   */
  errors?: FieldErrors | undefined;
  catalogue: readonly NewsletterList[];
  legend?: string;
}

/** Birth-date controls shown without JavaScript; more appear when more were saved. */
const BIRTH_DATE_CONTROLS = 3;

const ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth'] as const;

/** Lets callers pass either key style: the JSON-shaped ones are mapped onto the controls. */
function controlErrors(errors: FieldErrors | undefined, values: FormValues): FieldErrors {
  if (!errors) return {};
  const jsonShaped: Record<string, string> = {};
  const byControl: Record<string, string> = {};
  for (const [key, message] of Object.entries(errors)) {
    if (/^newsletters\.\d+/.test(key)) jsonShaped[key] = message;
    else byControl[key] = message;
  }
  return { ...newsletterFormErrors(jsonShaped, values), ...byControl };
}

function DueDate(props: { list: NewsletterList; values: FormValues; errors: FieldErrors }) {
  const name = dueDateFieldName(props.list.key);
  const statementId = `${name.replace(/[^A-Za-z0-9_-]/g, '-')}-consent`;
  return (
    <div class="newsletter-details">
      <Field
        name={name}
        type="date"
        label={`Your due date (for ${props.list.title})`}
        hint={`Only needed if you tick ${props.list.title}. For example, 2027-03-01.`}
        value={valueOf(props.values, name)}
        error={props.errors[name]}
        width="medium"
      />
      <p id={statementId} class="consent-statement">
        A due date shows that you are pregnant, which is health information. By ticking{' '}
        {props.list.title} and giving your due date, you explicitly consent to Hearth keeping it to
        match each letter to your week of pregnancy. We never share it, and unsubscribing deletes it
        at once.
      </p>
    </div>
  );
}

function BirthDates(props: { list: NewsletterList; values: FormValues; errors: FieldErrors }) {
  let saved = 0;
  for (let index = 0; index < MAX_BABIES; index += 1) {
    if (valueOf(props.values, birthDateFieldName(props.list.key, index))) saved = index + 1;
  }
  const controls = Math.min(Math.max(BIRTH_DATE_CONTROLS, saved), MAX_BABIES);
  return (
    <div class="newsletter-details">
      <Fieldset
        legend={`Your baby’s date of birth (for ${props.list.title})`}
        hint={`Only needed if you tick ${props.list.title}. Add more than one for twins, or for another young child. We keep the dates only to match each letter to your child’s age, never share them, and unsubscribing deletes them.`}
      >
        {Array.from({ length: controls }, (_, index) => {
          const name = birthDateFieldName(props.list.key, index);
          return (
            <Field
              key={name}
              name={name}
              type="date"
              label={`${ORDINALS[index] ?? 'Another'} baby’s date of birth${index > 0 ? ' (optional)' : ''}`}
              value={valueOf(props.values, name)}
              error={props.errors[name]}
              width="medium"
            />
          );
        })}
      </Fieldset>
    </div>
  );
}

export function NewsletterFields(props: NewsletterFieldsProps) {
  const values = props.values ?? {};
  const errors = controlErrors(props.errors, values);
  const ticked = valuesOf(values, NEWSLETTERS_FIELD);
  const lists = props.catalogue.filter((list) => list.active);
  return (
    <Fieldset
      legend={props.legend ?? 'Newsletters'}
      name={NEWSLETTERS_FIELD}
      hint="Choose any, or none. Each is a separate choice you can change at any time in your account, or with the unsubscribe link in every letter."
      error={errors[NEWSLETTERS_FIELD]}
    >
      {lists.map((list) => (
        <div key={list.key} class="newsletter-choice">
          <Checkbox
            name={NEWSLETTERS_FIELD}
            value={list.key}
            idSuffix={list.key}
            label={list.title}
            hint={list.description}
            checked={ticked.includes(list.key)}
          />
          {list.kind === 'pregnancy-weekly' ? (
            <DueDate list={list} values={values} errors={errors} />
          ) : null}
          {list.kind === 'baby-monthly' ? (
            <BirthDates list={list} values={values} errors={errors} />
          ) : null}
        </div>
      ))}
    </Fieldset>
  );
}
