/**
 * Rate limits (@fastify/rate-limit): every route shares a global budget per client address
 * (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS); sensitive routes (log-in, registration, reset,
 * export) take a stricter named budget with `config: { rateLimit: sensitiveRateLimit(config) }`.
 * Counters are in memory, or in Redis when REDIS_URL is set so that every process counts
 * together. A refusal is a 429 `rate_limited` error with `Retry-After`.
 */
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { Config } from '../../config/config.js';
import { loggableError } from './loggable-error.js';
import { AppError } from './errors.js';
import { MemoryCounters, RedisCounters, counterStore, type Counters } from './rate-limit.store.js';

/**
 * The stricter budget for routes an attacker would hammer (guessing passwords, enumerating
 * emails). Routes given the same `budget` name count together for each client.
 */
export function sensitiveRateLimit(config: Config, budget = 'sensitive'): RateLimitOptions {
  return {
    max: config.rateLimit.sensitiveMax,
    timeWindow: config.rateLimit.windowMs,
    groupId: `@${budget}`,
  };
}

function retryMessage(ttlMs: number): string {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return `Too many requests. Please try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
}

async function connectRedis(url: string, log: (message: string, error: unknown) => void) {
  const redis = new Redis(url, {
    lazyConnect: true,
    // Named, so `CLIENT LIST` on a shared Redis shows whose connections these are.
    connectionName: 'hearth-rate-limit',
    // Fail a command at once while disconnected, so the request counts in memory instead of
    // waiting for Redis to come back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    // Keep trying to reconnect, never more than every 5 s.
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  // Without a listener ioredis reports connection errors as unhandled and Node stops.
  let lastLoggedAt = 0;
  redis.on('error', (error: unknown) => {
    if (Date.now() - lastLoggedAt < 60_000) return;
    lastLoggedAt = Date.now();
    log('Redis for rate limits is not answering', error);
  });
  try {
    await redis.connect();
  } catch (error) {
    // Booting still succeeds: counters stay in memory until Redis answers.
    log('Redis for rate limits is unreachable at start; counting in memory meanwhile', error);
  }
  return redis;
}

export const rateLimitPlugin = fp(
  async (app) => {
    const { rateLimit: limits, redisUrl } = app.config;
    const memory = new MemoryCounters();
    let counters: Counters = memory;
    if (redisUrl !== null) {
      const redis = await connectRedis(redisUrl, (message, error) =>
        app.log.warn({ error: loggableError(error) }, message),
      );
      counters = new RedisCounters(redis, memory, app.log);
      app.addHook('onClose', async () => {
        if (redis.status === 'ready') await redis.quit();
        else redis.disconnect();
      });
    }

    await app.register(rateLimit, {
      global: true,
      max: limits.max,
      timeWindow: limits.windowMs,
      store: counterStore(counters),
      errorResponseBuilder: (_request, context) =>
        new AppError('rate_limited', retryMessage(context.ttl)),
    });
  },
  { name: 'hearth-rate-limit', fastify: '5.x' },
);
