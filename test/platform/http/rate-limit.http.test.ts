import { randomBytes } from 'node:crypto';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorResponseBody } from '../../../src/platform/http/errors.js';
import { buildTestApp } from '../../helpers/app.js';
import { describeEachDialect } from '../../helpers/dialects.js';
import { fixtureModule } from './fixture-module.js';

const LIMITS = {
  RATE_LIMIT_MAX: '5',
  RATE_LIMIT_SENSITIVE_MAX: '2',
  RATE_LIMIT_WINDOW_MS: '60000',
};
const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** A client address (its own IPv6 /64) that no other test, nor an earlier run, has used. */
function freshAddress(): string {
  const hex = randomBytes(4).toString('hex');
  return `2001:db8:${hex.slice(0, 4)}:${hex.slice(4)}::1`;
}

async function isRedisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const redisReachable = await isRedisReachable();
if (!redisReachable && process.env.CI === 'true') {
  throw new Error(
    `CI=true but Redis is unreachable at ${REDIS_URL}: the Redis rate-limit tests must run`,
  );
}

describeEachDialect('rate limits in memory', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [fixtureModule], env: LIMITS });
  });
  afterAll(async () => {
    await app.close();
  });

  const get = (url: string, remoteAddress: string) => app.inject({ url, remoteAddress });
  const post = (url: string, remoteAddress: string) =>
    app.inject({ method: 'POST', url, remoteAddress, payload: {} });

  it('answers the request over the global budget with a 429 rate_limited and Retry-After', async () => {
    const client = freshAddress();
    for (let index = 0; index < 5; index += 1) {
      const response = await get('/api/v1/fixture/me', client);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-remaining']).toBe(String(4 - index));
    }
    const refused = await get('/api/v1/fixture/me', client);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    const { error } = refused.json<ErrorResponseBody>();
    expect(Object.keys(error)).toEqual(['code', 'message']);
    expect(error.code).toBe('rate_limited');
    expect(error.message).toMatch(/^Too many requests\. Please try again in \d+ seconds?\.$/);
    expect(refused.headers['content-security-policy']).toBeDefined();
    // Another client is not affected.
    expect((await get('/api/v1/fixture/me', freshAddress())).statusCode).toBe(200);
  });

  it('shows a browser the 429 as a page', async () => {
    const client = freshAddress();
    for (let index = 0; index < 5; index += 1) await get('/fixture/page', client);
    const refused = await app.inject({
      url: '/fixture/page',
      remoteAddress: client,
      headers: { accept: 'text/html' },
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect(refused.body).toContain('Too many requests');
  });

  it('counts requests for unknown addresses, so probing is throttled too', async () => {
    const client = freshAddress();
    for (let index = 0; index < 5; index += 1)
      expect((await get(`/probe-${index}`, client)).statusCode).toBe(404);
    expect((await get('/probe-6', client)).statusCode).toBe(429);
  });

  it('gives sensitive routes one stricter budget across routes, and named budgets their own', async () => {
    const client = freshAddress();
    expect((await post('/api/v1/fixture/login-attempt', client)).statusCode).toBe(200);
    expect((await post('/fixture/reset-attempt', client)).statusCode).toBe(200);
    expect((await post('/api/v1/fixture/login-attempt', client)).statusCode).toBe(429);
    expect((await post('/fixture/reset-attempt', client)).statusCode).toBe(429);
    expect((await post('/api/v1/fixture/export-attempt', client)).statusCode).toBe(200);
    expect((await get('/api/v1/fixture/me', client)).statusCode).toBe(200);
  });

  it('never throttles the health probe', async () => {
    const client = freshAddress();
    for (let index = 0; index < 8; index += 1)
      expect((await get('/healthz', client)).statusCode).toBe(200);
  });
});

describe.skipIf(!redisReachable)('rate limits in Redis', () => {
  describeEachDialect('shared counters', (current) => {
    let first: FastifyInstance;
    let second: FastifyInstance;
    let redis: Redis;
    beforeAll(async () => {
      const env = { ...LIMITS, REDIS_URL };
      first = await buildTestApp(current(), { modules: [fixtureModule], env });
      second = await buildTestApp(current(), { modules: [fixtureModule], env });
      redis = new Redis(REDIS_URL);
    });
    afterAll(async () => {
      await first.close();
      await second.close();
      await redis.quit();
    });

    it('counts one client across two processes, in Redis, with the window as expiry', async () => {
      const client = freshAddress();
      for (let index = 0; index < 3; index += 1) {
        expect(
          (await first.inject({ url: '/api/v1/fixture/me', remoteAddress: client })).statusCode,
        ).toBe(200);
      }
      for (let index = 0; index < 2; index += 1) {
        expect(
          (await second.inject({ url: '/api/v1/fixture/me', remoteAddress: client })).statusCode,
        ).toBe(200);
      }
      const refused = await first.inject({ url: '/api/v1/fixture/me', remoteAddress: client });
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

      const key = `hearth:rate-limit:global:${normalizeIP(client)}`;
      expect(await redis.get(key)).toBe('6');
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('shares a named budget across processes', async () => {
      const client = freshAddress();
      const attempt = (app: FastifyInstance) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/fixture/login-attempt',
          remoteAddress: client,
          payload: {},
        });
      expect((await attempt(first)).statusCode).toBe(200);
      expect((await attempt(second)).statusCode).toBe(200);
      expect((await attempt(first)).statusCode).toBe(429);
    });

    it('closes its Redis connection when the app closes', async () => {
      const app = await buildTestApp(current(), {
        modules: [fixtureModule],
        env: { ...LIMITS, REDIS_URL },
      });
      const named = async () =>
        ((await redis.client('LIST')) as string)
          .split('\n')
          .filter((line) => line.includes('name=hearth-rate-limit')).length;
      const before = await named();
      await app.close();
      expect(await named()).toBe(before - 1);
    });
  });
});

describeEachDialect('rate limits when Redis is down', (current) => {
  it('boots, keeps limiting in memory, and closes', async () => {
    const app = await buildTestApp(current(), {
      modules: [fixtureModule],
      env: { ...LIMITS, REDIS_URL: 'redis://127.0.0.1:1' },
    });
    try {
      const client = freshAddress();
      for (let index = 0; index < 5; index += 1) {
        expect(
          (await app.inject({ url: '/api/v1/fixture/me', remoteAddress: client })).statusCode,
        ).toBe(200);
      }
      expect(
        (await app.inject({ url: '/api/v1/fixture/me', remoteAddress: client })).statusCode,
      ).toBe(429);
    } finally {
      await app.close();
    }
  });
});
