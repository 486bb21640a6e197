/**
 * Counters for @fastify/rate-limit. The plugin's own stores keep one counter set per route, so
 * a budget shared by several routes (log-in by form and by API, registration, password reset)
 * would reset per route and an attacker would get the budget once per route. These stores share
 * one set of counters: routes of a named budget (`groupId`) count together, other routes with
 * their own limits count apart (keyed by method and URL), and every other route shares the
 * global budget.
 *
 * With REDIS_URL the counters live in Redis, shared by every process. If Redis stops answering,
 * counting falls back to this process's memory rather than failing requests or letting them
 * through unlimited; it returns to Redis as soon as Redis answers again.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { loggableError } from './loggable-error.js';

export interface Count {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends. */
  ttlMs: number;
}

export interface Counters {
  increment(key: string, windowMs: number): Promise<Count>;
}

/** Fixed windows in a Map, swept of finished windows so memory follows active clients only. */
export class MemoryCounters implements Counters {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private nextSweepAt = 0;

  constructor(
    /** Beyond this many live keys the oldest are dropped: a flood of addresses cannot exhaust memory. */
    private readonly capacity = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  increment(key: string, windowMs: number): Promise<Count> {
    const now = this.now();
    this.sweep(now);
    const window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      this.windows.delete(key);
      this.windows.set(key, { count: 1, endsAt: now + windowMs });
      this.trim();
      return Promise.resolve({ count: 1, ttlMs: windowMs });
    }
    window.count += 1;
    return Promise.resolve({ count: window.count, ttlMs: window.endsAt - now });
  }

  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + 10_000;
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) this.windows.delete(key);
    }
  }

  private trim(): void {
    // A Map iterates in insertion order and a renewed window is re-inserted, so the first keys
    // are the ones whose windows started longest ago.
    for (const key of this.windows.keys()) {
      if (this.windows.size <= this.capacity) break;
      this.windows.delete(key);
    }
  }
}

/**
 * One round trip, atomic: count, and start the window's expiry on the first request. A key
 * left without expiry (a crash between the two calls cannot happen inside a script, but an
 * operator's manual write can) gets one, so no client is limited forever.
 */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

interface RedisWithRateLimit {
  hearthRateLimitIncrement(key: string, windowMs: number): Promise<[number, number]>;
}

export class RedisCounters implements Counters {
  private lastWarningAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly fallback: Counters,
    private readonly log: FastifyBaseLogger,
    private readonly prefix = 'hearth:rate-limit:',
  ) {
    redis.defineCommand('hearthRateLimitIncrement', { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
  }

  async increment(key: string, windowMs: number): Promise<Count> {
    try {
      const [count, ttlMs] = await (
        this.redis as unknown as RedisWithRateLimit
      ).hearthRateLimitIncrement(this.prefix + key, windowMs);
      return { count, ttlMs };
    } catch (error) {
      this.warn(error);
      return this.fallback.increment(key, windowMs);
    }
  }

  private warn(error: unknown): void {
    const now = Date.now();
    // Once a minute is enough to page someone; once per request would flood the log.
    if (now - this.lastWarningAt < 60_000) return;
    this.lastWarningAt = now;
    this.log.warn(
      { error: loggableError(error) },
      'rate-limit counters unavailable in Redis: counting in this process until it answers',
    );
  }
}

interface RouteOptionsSeen {
  groupId?: string;
  routeInfo?: { method?: string | string[]; url?: string };
}

type IncrementCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** The view of the counters @fastify/rate-limit calls, narrowed to one key prefix. */
class CounterView {
  constructor(
    private readonly counters: Counters,
    private readonly prefix: string,
  ) {}

  incr(key: string, callback: IncrementCallback, timeWindow: number): void {
    this.counters.increment(this.prefix + key, timeWindow).then(
      ({ count, ttlMs }) => callback(null, { current: count, ttl: ttlMs }),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  // The plugin's types say it passes RouteOptions; at run time it passes the route's merged
  // rate-limit options with `groupId` and `routeInfo`, which is what is read here.
  child(options: object): CounterView {
    const routeOptions = options as RouteOptionsSeen;
    // A named budget: the plugin appends the groupId to the client key, so every route of the
    // budget lands on the same counter. Any other per-route limit counts for its route alone.
    if (routeOptions.groupId !== undefined) return new CounterView(this.counters, 'budget:');
    const method = [routeOptions.routeInfo?.method ?? ''].flat().join(',');
    return new CounterView(this.counters, `route:${method} ${routeOptions.routeInfo?.url ?? ''}:`);
  }
}

/** A store class for the plugin's `store` option (it calls `new Store(options)`). */
export function counterStore(counters: Counters) {
  return class HearthRateLimitStore extends CounterView {
    constructor() {
      super(counters, 'global:');
    }
  };
}
