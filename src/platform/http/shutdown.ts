/**
 * Graceful shutdown, the HTTP side. `app.close()` stops accepting connections and waits for the
 * open ones to end; but a keep-alive connection (a load balancer's, a browser's) that carries a
 * request in flight would stay open after its response, until the keep-alive timeout, and hold
 * the shutdown hostage. Once closing, every response therefore says `Connection: close`, so each
 * connection ends with the request it was serving.
 */
import fp from 'fastify-plugin';

export const gracefulShutdownPlugin = fp(
  (app, _options, done) => {
    let isClosing = false;
    app.addHook('preClose', (next) => {
      isClosing = true;
      next();
    });
    app.addHook('onSend', (_request, reply, payload, next) => {
      if (isClosing) reply.header('connection', 'close');
      next(null, payload);
    });
    done();
  },
  { name: 'hearth-graceful-shutdown', fastify: '5.x' },
);
