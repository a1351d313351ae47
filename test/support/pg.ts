import { createPool } from '../../services/postgres';

/** A pool on this test run's private, migrated database (see global-setup.ts). */
export function testPool(max = 4) {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run tests through jest so global-setup runs');
  return createPool({ url, max, applicationName: 'somagent-test' });
}
