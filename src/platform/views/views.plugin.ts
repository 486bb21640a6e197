import fp from 'fastify-plugin';

/** Server-rendered pages: `reply.page()` and the shared layout. */
export const viewsPlugin = fp(async () => {}, {
  name: 'hearth-views',
  dependencies: ['hearth-platform'],
});
