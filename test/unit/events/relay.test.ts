import { Pool } from 'pg';
import { backoff, createRelay } from '../../../services/relay';
import { createKafka, createProducer } from '../../../services/kafka';
import { createLogger } from '../../../services/logger';

describe('backoff', () => {
  it('doubles per failure within [50%, 100%] of the step and stays under the cap', () => {
    for (let failures = 1; failures <= 40; failures += 1) {
      const step = Math.min(30_000, 250 * 2 ** (failures - 1));
      for (let i = 0; i < 20; i += 1) {
        const delay = backoff(failures, 250, 30_000);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(step / 2));
        expect(delay).toBeLessThanOrEqual(step);
      }
    }
  });
});

describe('createRelay', () => {
  it('fails fast on a bad batch size', () => {
    const logger = createLogger({ level: 'silent' });
    // Neither connects: the relay is rejected before it touches them.
    const pool = new Pool({ connectionString: 'postgres://127.0.0.1:1/none' });
    const producer = createProducer(createKafka({ brokers: ['127.0.0.1:1'], clientId: 'x', logger }));
    for (const batchSize of [0, -1, 1.5]) {
      expect(() => createRelay({ pool, producer, logger, batchSize })).toThrow(
        /batchSize must be a positive integer/,
      );
    }
  });
});
