import { createRateLimiter } from '../../../activities/slm/rate-limiter';
import { testRedis, uniqueId } from './helpers';

describe('per-provider rate limiter (real Redis)', () => {
  const redis = testRedis();
  afterAll(() => redis.quit());

  it('admits up to the limit in a window, then says how long to wait', async () => {
    const provider = uniqueId('openai');
    const limiter = createRateLimiter({ redis, limits: { [provider]: { requests: 3, windowMs: 2_000 } } });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.acquire({ provider }));
    expect(results.slice(0, 3).every((r) => r.admitted)).toBe(true);
    const denied = results[3]!;
    expect(denied.admitted).toBe(false);
    if (!denied.admitted) {
      expect(denied.retryAfterMs).toBeGreaterThan(1_000);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(2_000);
    }
  });

  it('frees slots as the window slides', async () => {
    const provider = uniqueId('anthropic');
    const limiter = createRateLimiter({ redis, limits: { [provider]: { requests: 2, windowMs: 150 } } });
    await limiter.acquire({ provider });
    await limiter.acquire({ provider });
    expect((await limiter.acquire({ provider })).admitted).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect((await limiter.acquire({ provider })).admitted).toBe(true);
  });

  it('limits providers independently and shares one limit across clients', async () => {
    const a = uniqueId('a');
    const b = uniqueId('b');
    const limits = { [a]: { requests: 5 }, [b]: { requests: 5 } };
    const other = testRedis();
    try {
      const one = createRateLimiter({ redis, limits });
      const two = createRateLimiter({ redis: other, limits });
      const admitted = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).acquire({ provider: a })),
      );
      expect(admitted.filter((r) => r.admitted)).toHaveLength(5);
      expect((await one.acquire({ provider: b })).admitted).toBe(true);
    } finally {
      await other.quit();
    }
  });

  it('does not limit providers without a configured limit', async () => {
    const limiter = createRateLimiter({ redis, limits: {} });
    for (let i = 0; i < 20; i++)
      expect((await limiter.acquire({ provider: 'unlimited' })).admitted).toBe(true);
  });
});
