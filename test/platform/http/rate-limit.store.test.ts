import { expect, it, describe } from 'vitest';
import { MemoryCounters, counterStore } from '../../../src/platform/http/rate-limit.store.js';

describe('rate-limit counters in memory', () => {
  it('counts within a window and starts again after it', async () => {
    let now = 1_000_000;
    const counters = new MemoryCounters(100, () => now);
    expect(await counters.increment('a', 1000)).toEqual({ count: 1, ttlMs: 1000 });
    now += 400;
    expect(await counters.increment('a', 1000)).toEqual({ count: 2, ttlMs: 600 });
    expect(await counters.increment('b', 1000)).toEqual({ count: 1, ttlMs: 1000 });
    now += 600;
    expect(await counters.increment('a', 1000)).toEqual({ count: 1, ttlMs: 1000 });
  });

  it('sweeps finished windows and never holds more keys than its capacity', async () => {
    let now = 0;
    const counters = new MemoryCounters(50, () => now);
    for (let index = 0; index < 200; index += 1) await counters.increment(`k${index}`, 1000);
    expect(counters.size).toBe(50);
    // The newest keys survive the trim.
    expect(await counters.increment('k199', 1000)).toMatchObject({ count: 2 });
    now += 20_000;
    await counters.increment('fresh', 1000);
    expect(counters.size).toBe(1);
  });

  it('gives routes of one named budget one counter, and other per-route limits their own', async () => {
    const Store = counterStore(new MemoryCounters());
    const root = new Store();
    const loginA = root.child({ groupId: '@sensitive', routeInfo: { method: 'POST', url: '/a' } });
    const loginB = root.child({ groupId: '@sensitive', routeInfo: { method: 'POST', url: '/b' } });
    const ownA = root.child({ routeInfo: { method: 'POST', url: '/a' } });
    const ownB = root.child({ routeInfo: { method: 'POST', url: '/b' } });
    const incr = (store: InstanceType<typeof Store>, key: string) =>
      new Promise<number>((resolve, reject) =>
        store.incr(
          key,
          (error, result) => (error ? reject(error) : resolve(result?.current ?? -1)),
          1000,
        ),
      );
    expect(await incr(loginA, '1.2.3.4@sensitive')).toBe(1);
    expect(await incr(loginB, '1.2.3.4@sensitive')).toBe(2);
    expect(await incr(ownA, '1.2.3.4')).toBe(1);
    expect(await incr(ownB, '1.2.3.4')).toBe(1);
    expect(await incr(root, '1.2.3.4')).toBe(1);
    expect(await incr(root, '1.2.3.4')).toBe(2);
  });
});
