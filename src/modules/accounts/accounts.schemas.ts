/** TypeBox schemas of the accounts JSON API (DESIGN.md §6), shown in /api/v1/openapi.json. */
import { Type } from 'typebox';
import { ROLES } from './accounts.tables.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Email = Type.String({ minLength: 1, maxLength: 320 });
/** Long enough for any passphrase; the password rule itself answers "at most 256 characters". */
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const LinkToken = Type.String({ minLength: 1, maxLength: 200 });

/** One newsletter choice; the newsletters module checks lists and dates. */
export const NewsletterChoice = Type.Object(
  {
    list: Type.String({ minLength: 1, maxLength: 100 }),
    dueDate: Type.Optional(Type.String({ description: 'YYYY-MM-DD, Pregnancy Weekly only' })),
    babies: Type.Optional(
      Type.Array(Type.Object({ birthDate: Type.String({ description: 'YYYY-MM-DD' }) }), {
        maxItems: 20,
      }),
    ),
  },
  { title: 'NewsletterChoice' },
);

export const RegisterBody = Type.Object(
  {
    firstName: Name,
    surname: Name,
    email: Email,
    password: Password,
    location: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'A place id from /api/v1/locations',
    }),
    newsletters: Type.Optional(Type.Array(NewsletterChoice, { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const StatusResponse = Type.Object({ status: Type.String() });

export const TokenBody = Type.Object({ token: LinkToken }, { additionalProperties: false });
export const EmailBody = Type.Object({ email: Email }, { additionalProperties: false });

export const LoginBody = Type.Object(
  { email: Email, password: Password },
  { additionalProperties: false },
);

export const LoginResponse = Type.Union(
  [
    Type.Object({ token: Type.String({ description: 'A Bearer session token' }) }),
    Type.Object({
      totpRequired: Type.Literal(true),
      challenge: Type.String({ description: 'Send with the code to /api/v1/auth/login/totp' }),
    }),
  ],
  { title: 'LoginResponse' },
);

export const TotpBody = Type.Object(
  { challenge: LinkToken, code: Type.String({ minLength: 1, maxLength: 20 }) },
  { additionalProperties: false },
);

export const TokenResponse = Type.Object({ token: Type.String() });

export const ResetConfirmBody = Type.Object(
  { token: LinkToken, password: Password },
  { additionalProperties: false },
);

export const ProfileResponse = Type.Object(
  {
    id: Type.String(),
    firstName: Type.String(),
    surname: Type.String(),
    email: Type.String(),
    pendingEmail: Type.Union([Type.String(), Type.Null()]),
    username: Type.String(),
    anonymousName: Type.Union([Type.String(), Type.Null()]),
    anonymous: Type.Boolean(),
    location: Type.Object({ id: Type.String(), name: Type.String() }),
    roles: Type.Array(Type.String({ description: `One of: ${ROLES.join(', ')}` })),
    emailVerified: Type.Boolean(),
    createdAt: Type.String(),
  },
  { title: 'Profile' },
);

export const ProfilePatch = Type.Object(
  {
    firstName: Type.Optional(Name),
    surname: Type.Optional(Name),
    email: Type.Optional(Email),
    location: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    password: Type.Optional(Password),
    currentPassword: Type.Optional(Type.String({ maxLength: 1024 })),
    anonymous: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const SessionItem = Type.Object(
  {
    id: Type.String(),
    kind: Type.Union([Type.Literal('cookie'), Type.Literal('bearer')]),
    createdAt: Type.String(),
    lastSeenAt: Type.String(),
    expiresAt: Type.String(),
    current: Type.Boolean(),
  },
  { title: 'Session' },
);

export const SessionList = Type.Object({
  items: Type.Array(SessionItem),
  nextCursor: Type.Null(),
});

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
