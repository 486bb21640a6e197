/**
 * `GET /healthz` for load balancers and orchestrators: 200 when the database answers a trivial
 * query in time, 503 otherwise, so a process that lost its database leaves the rotation.
 */
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { loggableError } from './loggable-error.js';

/** Longer than a healthy `select 1` ever takes; shorter than a balancer's probe timeout. */
export const HEALTH_TIMEOUT_MS = 2000;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The configured level, raised to `warn`: probes are not logged per hit, failures still are. */
function atLeastWarn(level: (typeof LEVELS)[number]): (typeof LEVELS)[number] {
  return LEVELS.indexOf(level) > LEVELS.indexOf('warn') ? level : 'warn';
}

const Healthy = Type.Object({ status: Type.Literal('ok') });
const Unhealthy = Type.Object({ status: Type.Literal('unavailable') });

export const healthPlugin = fp(
  (app, _options, done) => {
    app.get(
      '/healthz',
      {
        // Probes arrive every few seconds from one address: neither throttled nor logged per hit.
        config: { rateLimit: false },
        logLevel: atLeastWarn(app.config.logLevel),
        schema: {
          summary: 'Whether this process can serve requests (its database answers)',
          tags: ['operations'],
          response: { 200: Healthy, 503: Unhealthy },
        },
      },
      async (request, reply) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            sql`select 1`.execute(app.db),
            new Promise((_resolve, reject) => {
              timer = setTimeout(
                () => reject(new Error(`database did not answer within ${HEALTH_TIMEOUT_MS} ms`)),
                HEALTH_TIMEOUT_MS,
              );
            }),
          ]);
          return reply.header('cache-control', 'no-store').send({ status: 'ok' as const });
        } catch (error) {
          request.log.warn({ error: loggableError(error) }, 'health check failed');
          return reply
            .code(503)
            .header('cache-control', 'no-store')
            .send({ status: 'unavailable' as const });
        } finally {
          clearTimeout(timer);
        }
      },
    );
    done();
  },
  { name: 'hearth-health', fastify: '5.x', dependencies: ['hearth-openapi'] },
);
