import { Client } from 'pg';
import Redis from 'ioredis';
import { ADMIN_URL } from './postgres';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.SOMAGENT_TEST_DATABASE;
  if (name && !process.env.SOMAGENT_KEEP_TEST_DATABASE) {
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  const prefix = process.env.REDIS_KEY_PREFIX;
  if (prefix && process.env.REDIS_URL) {
    const redis = new Redis(process.env.REDIS_URL);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
}
