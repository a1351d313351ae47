import { createPool, migrate } from '../../services/postgres';
import { createTestDatabase } from './postgres';

/**
 * A private, migrated database for one Kafka test file. The relay publishes *every* pending
 * outbox row, so it must not share the run-wide database with other test files appending events.
 */
export async function createKafkaTestDatabase(label: string) {
  const db = await createTestDatabase(label);
  await migrate({ url: db.url });
  const pool = createPool({ url: db.url, max: 8, applicationName: `somagent-test-${label}` });
  return {
    pool,
    url: db.url,
    async drop() {
      await pool.end();
      await db.drop();
    },
  };
}
