import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { createBudgetStore } from '../activities/budget/budget-store';
import { createPostgresPayloadCodec } from '../services/payloads';
import { createPool, migrate } from '../services/postgres';
import { createTestDatabase } from '../test/support/postgres';
import { createRedis } from '../services/redis';
import { percentile, report } from './format';

/**
 * Budget reserve+commit round trips against the local Redis, and the Postgres payload codec on
 * 1 MB payloads (a private, migrated database that is dropped afterwards).
 */
export default async function benchActivities(): Promise<void> {
  await benchBudgets();
  await benchCodec();
}

async function benchBudgets(): Promise<void> {
  const prefix = `somagent-bench-${randomBytes(4).toString('hex')}:`;
  const redis = createRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: prefix });
  try {
    const budgets = createBudgetStore({ redis });
    const tenant = 'bench';
    await budgets.setLimit({ tenant, limitUsd: 1e9 });
    for (let i = 0; i < 200; i++) {
      await budgets.reserve({ tenant, reservationId: `w${i}`, amountUsd: 0.01 });
      await budgets.commit({ tenant, reservationId: `w${i}`, actualUsd: 0.005 });
    }

    const n = 3000;
    const latencies: number[] = [];
    let start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await budgets.reserve({ tenant, reservationId: `s${i}`, amountUsd: 0.01 });
      await budgets.commit({ tenant, reservationId: `s${i}`, actualUsd: 0.005 });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    let seconds = Number(process.hrtime.bigint() - start) / 1e9;
    latencies.sort((a, b) => a - b);
    report('budget reserve+commit, sequential', n / seconds, 'pairs/s');
    report('budget reserve+commit p50', percentile(latencies, 50), 'ms');
    report('budget reserve+commit p99', percentile(latencies, 99), 'ms', '< 5 ms');

    const concurrency = 32;
    const total = 6400;
    let next = 0;
    start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const id = `c${next++}`;
          await budgets.reserve({ tenant, reservationId: id, amountUsd: 0.01 });
          await budgets.commit({ tenant, reservationId: id, actualUsd: 0.005 });
        }
      }),
    );
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
    report(`budget reserve+commit, ${concurrency} concurrent`, total / seconds, 'pairs/s', '> 2000 pairs/s');
    const state = await budgets.state({ tenant });
    report('budget reserved after all commits (must be 0)', state.reservedUsd, 'USD');
  } finally {
    // SCAN patterns are not prefixed by ioredis: clean up with a raw connection.
    let cursor = '0';
    const raw = createRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: '' });
    do {
      const [nextCursor, found] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = nextCursor;
      if (found.length) await raw.del(...found);
    } while (cursor !== '0');
    raw.disconnect();
    redis.disconnect();
  }
}

async function benchCodec(): Promise<void> {
  const db = await createTestDatabase('bench');
  await migrate({ url: db.url });
  const pool = createPool({ url: db.url, max: 4, applicationName: 'somagent-bench' });
  const codec = createPostgresPayloadCodec({ pool });
  try {
    const rounds = 30;
    const payloads = Array.from({ length: rounds }, () =>
      defaultPayloadConverter.toPayload(new Uint8Array(randomBytes(1024 * 1024))),
    );
    const encoded = [];
    let start = process.hrtime.bigint();
    for (const p of payloads) encoded.push((await codec.encode([p]))[0]!);
    let seconds = Number(process.hrtime.bigint() - start) / 1e9;
    // 1 MB payloads: payloads/s and MB/s are the same number.
    report('codec encode 1 MB payloads (hash + insert)', rounds / seconds, 'MB/s');
    start = process.hrtime.bigint();
    for (const e of encoded) await codec.decode([e]);
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
    report('codec decode 1 MB payloads (select + verify)', rounds / seconds, 'MB/s');
    start = process.hrtime.bigint();
    for (const p of payloads) await codec.encode([p]);
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
    report('codec re-encode 1 MB payloads (already stored)', rounds / seconds, 'MB/s');
  } finally {
    await pool.end();
    await db.drop();
  }
}
