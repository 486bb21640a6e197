/**
 * Request and response schemas of the newsletters API; they also document it (OpenAPI). The
 * item schema checks types only: the rules (which list takes which date, the date ranges) are
 * checked by parseNewsletterPreferences, whose messages say in plain words what to fix, keyed
 * by the same field paths (`newsletters.1.dueDate`).
 */
import { Type } from 'typebox';

export const NewsletterPreferenceSchema = Type.Object(
  {
    list: Type.String({ description: 'A list key from GET /api/v1/newsletters/lists.' }),
    dueDate: Type.Optional(
      Type.String({
        description:
          'YYYY-MM-DD. With Pregnancy Weekly only, and required with it: health data, kept only while subscribed.',
      }),
    ),
    babies: Type.Optional(
      Type.Array(
        Type.Object({ birthDate: Type.String({ description: 'YYYY-MM-DD, in the past.' }) }),
        {
          description:
            'With Baby Monthly only, and required with it (1 to 6): kept only while subscribed.',
        },
      ),
    ),
  },
  { description: 'One newsletter subscription.' },
);

export const NewsletterPreferencesSchema = Type.Array(NewsletterPreferenceSchema, {
  maxItems: 50,
  description:
    'Newsletter subscriptions, each a consent scoped `newsletter:<list>`; an empty list for none.',
});

export const NewslettersBodySchema = Type.Object(
  { newsletters: NewsletterPreferencesSchema },
  { additionalProperties: false },
);

export const NewslettersResponseSchema = Type.Object({
  newsletters: NewsletterPreferencesSchema,
});

export const NewslettersUpdateResponseSchema = Type.Object({
  newsletters: NewsletterPreferencesSchema,
  changes: Type.Object({
    subscribed: Type.Array(Type.String()),
    unsubscribed: Type.Array(Type.String()),
    updated: Type.Array(Type.String(), {
      description: 'Lists kept whose due date or birth dates changed.',
    }),
  }),
  receipts: Type.Array(
    Type.Object({
      list: Type.String(),
      granted: Type.Boolean(),
      id: Type.String(),
      kid: Type.String(),
      jws: Type.String({
        description: 'The consent receipt: a compact JWS, verifiable with /.well-known/jwks.json.',
      }),
    }),
    { description: 'One signed receipt per subscribe or unsubscribe.' },
  ),
});

export const NewsletterListsResponseSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      key: Type.String(),
      title: Type.String(),
      description: Type.String(),
      kind: Type.Union([
        Type.Literal('general'),
        Type.Literal('pregnancy-weekly'),
        Type.Literal('baby-monthly'),
      ]),
    }),
  ),
});
