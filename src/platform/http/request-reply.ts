/**
 * Lets request methods (`request.startSession()`, `request.csrfToken()`) reach the reply they
 * must set cookies on. Fastify links a reply to its request but not the reverse; a WeakMap
 * keeps the link without touching Fastify's objects and lets both go with the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const replies = new WeakMap<FastifyRequest, FastifyReply>();

/** The reply of a request. Throws when called before the platform's first hook ran. */
export function replyOf(request: FastifyRequest): FastifyReply {
  const reply = replies.get(request);
  if (!reply) throw new Error('The reply of this request is not known yet (used before onRequest)');
  return reply;
}

export const requestReplyPlugin = fp(
  (app, _options, done) => {
    app.addHook('onRequest', (request, reply, next) => {
      replies.set(request, reply);
      next();
    });
    done();
  },
  { name: 'hearth-request-reply', fastify: '5.x' },
);
