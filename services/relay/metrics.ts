import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../logger';
import { sampleBacklog } from './outbox-store';

export interface RelayMetrics {
  published: Counter<'topic'>;
  publishErrors: Counter;
  rejected: Counter<'topic'>;
  batchSeconds: Histogram;
}

/**
 * Relay metrics on the given registry. Lag (pending rows, age of the oldest) is read from the
 * outbox when scraped, so it is right even while the relay itself is stuck or down.
 */
export function createRelayMetrics(registry: Registry, pool: Pool, logger: Logger): RelayMetrics {
  let sample: Promise<{ pending: number; oldestAgeSeconds: number }> | undefined;
  // Both lag gauges are scraped together: share one query per scrape.
  const backlog = () => {
    sample ??= sampleBacklog(pool).finally(() => setTimeout(() => (sample = undefined), 500).unref());
    return sample;
  };
  const readBacklog = async (apply: (b: { pending: number; oldestAgeSeconds: number }) => void) => {
    try {
      apply(await backlog());
    } catch (err) {
      logger.warn({ err }, 'could not sample the outbox backlog');
    }
  };

  new Gauge({
    name: 'somagent_relay_unpublished_events',
    help: 'Outbox rows not yet published to Kafka',
    registers: [registry],
    async collect() {
      await readBacklog((b) => this.set(b.pending));
    },
  });
  new Gauge({
    name: 'somagent_relay_oldest_unpublished_age_seconds',
    help: 'Age of the oldest outbox row not yet published (0 when none)',
    registers: [registry],
    async collect() {
      await readBacklog((b) => this.set(b.oldestAgeSeconds));
    },
  });
  return {
    published: new Counter({
      name: 'somagent_relay_published_total',
      help: 'Events published to Kafka and marked published in the outbox',
      labelNames: ['topic'],
      registers: [registry],
    }),
    publishErrors: new Counter({
      name: 'somagent_relay_publish_errors_total',
      help: 'Failed publish attempts (each retried after a backoff)',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'somagent_relay_rejected_total',
      help: 'Outbox rows rejected because their envelope is invalid',
      labelNames: ['topic'],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'somagent_relay_batch_duration_seconds',
      help: 'Time to claim, publish and mark one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
