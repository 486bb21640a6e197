/**
 * `GET /api/v1/locations?q=&limit=`: the shipped place list members choose their location from
 * (registration, profile). Public and the same for everyone, so it may be cached by browsers and
 * shared caches; the list changes only with a release.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../platform/http/errors.js';
import { DEFAULT_LOCATION_LIMIT, MAX_LOCATION_LIMIT, searchLocations } from './locations.js';

const LocationsQuerySchema = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        maxLength: 100,
        description:
          'Part of a place name, county or region; any case, accents optional. Empty: the first places alphabetically.',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_LOCATION_LIMIT,
        default: DEFAULT_LOCATION_LIMIT,
        description: 'How many places to return.',
      }),
    ),
  },
  { additionalProperties: false },
);

const LocationsResponseSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        id: Type.String({ description: 'The place id to send as `location`.' }),
        name: Type.String(),
        region: Type.String({
          description: 'The nation, or the region of England, for telling places apart.',
        }),
      }),
    ),
  },
  { description: 'Places matching the query, best match first.' },
);

/** A day: the list is shipped with the code, so it only changes with a release. */
const CACHE_CONTROL = 'public, max-age=86400';

export const locationsRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/locations',
    {
      schema: {
        summary: 'Search the place list',
        description:
          'UK cities, towns and areas a member may choose as their location (a coarse place, never an address).',
        tags: ['accounts'],
        querystring: LocationsQuerySchema,
        response: { 200: LocationsResponseSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { q = '', limit = DEFAULT_LOCATION_LIMIT } = request.query;
      void reply.header('cache-control', CACHE_CONTROL);
      return { items: searchLocations(q, limit) };
    },
  );
  return Promise.resolve();
};
