/**
 * Two app-wide hooks the accounts module owns. Modules are encapsulated plugins, so these are
 * registered through `fastify-plugin` to reach every route, not only the module's own:
 *
 * - the page header's viewer (who is logged in), resolved from the session by the views
 *   plugin's resolver, so no route has to pass `user` to `reply.page`;
 * - activity (P35): any authenticated request marks the member active, at most once a day.
 *   The write happens after the response (`onResponse`), so it never delays one, and the
 *   condition inside the update keeps it to one write a day across processes. A small
 *   in-process memory spares the query for members already seen today.
 */
import fp from 'fastify-plugin';
import { getCurrentMember } from './accounts.guards.js';
import { ACTIVITY_RESOLUTION_MS, touchLastActive } from './accounts.service.js';

/** Members remembered as recently marked; the memory is dropped when it grows past this. */
const RECENT_CAPACITY = 100_000;

export const accountsActivityPlugin = fp(
  (app, _options, done) => {
    app.setViewerResolver(async (request) => {
      const member = await getCurrentMember(request);
      return member ? { displayName: member.displayName, isStaff: member.isStaff } : null;
    });

    const recentlyMarked = new Map<string, number>();
    app.addHook('onResponse', async (request) => {
      const userId = request.session?.userId;
      if (userId === undefined) return;
      const now = Date.now();
      const markedAt = recentlyMarked.get(userId);
      if (markedAt !== undefined && now - markedAt < ACTIVITY_RESOLUTION_MS) return;
      if (recentlyMarked.size >= RECENT_CAPACITY) recentlyMarked.clear();
      recentlyMarked.set(userId, now);
      try {
        await touchLastActive(app.db, userId, new Date(now));
      } catch (error) {
        // Activity is bookkeeping: a failed write must not turn a served request into an error.
        recentlyMarked.delete(userId);
        request.log.warn({ err: error }, 'could not record member activity');
      }
    });
    done();
  },
  { name: 'hearth-accounts-activity', fastify: '5.x', dependencies: ['hearth-views'] },
);
