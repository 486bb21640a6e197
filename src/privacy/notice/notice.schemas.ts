/** Request and response schemas of the notice routes; they also document the API (OpenAPI). */
import { Type, type Static } from 'typebox';
import { NoticeContentSchema } from './notice.snapshot.js';

export const NoticeVersionResponseSchema = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    publishedAt: Type.String({ format: 'date-time' }),
    summary: Type.String(),
    material: Type.Boolean({
      description: 'Members are shown a material change and asked again for consent.',
    }),
    content: NoticeContentSchema,
  },
  { description: 'A published version of the privacy notice.' },
);

export type NoticeVersionResponse = Static<typeof NoticeVersionResponseSchema>;

export const NoticeQuerySchema = Type.Object(
  {
    version: Type.Optional(
      Type.Integer({ minimum: 1, description: 'An earlier version; the current one by default.' }),
    ),
  },
  { additionalProperties: false },
);

export const VersionParamsSchema = Type.Object({ version: Type.Integer({ minimum: 1 }) });
