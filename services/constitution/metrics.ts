import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the constitution service, on a registry of its own (no globals). */
export interface ConstitutionMetrics {
  registry: Registry;
  decisions: Counter<'decision'>;
  evaluateSeconds: Histogram;
  publishes: Counter<'result'>;
  currentVersion: Gauge;
  httpSeconds: Histogram<'method' | 'route' | 'status'>;
}

export function createConstitutionMetrics({
  defaultMetrics = true,
}: { defaultMetrics?: boolean } = {}): ConstitutionMetrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'somagent_constitution_' });
  return {
    registry,
    decisions: new Counter({
      name: 'somagent_constitution_decisions_total',
      help: 'Evaluations served, by decision.',
      labelNames: ['decision'],
      registers: [registry],
    }),
    evaluateSeconds: new Histogram({
      name: 'somagent_constitution_evaluate_seconds',
      help: 'In-process evaluation time of one action.',
      buckets: [1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 5e-4, 1e-3],
      registers: [registry],
    }),
    publishes: new Counter({
      name: 'somagent_constitution_publish_total',
      help: 'Publish attempts, by result (published or the rejection reason).',
      labelNames: ['result'],
      registers: [registry],
    }),
    currentVersion: new Gauge({
      name: 'somagent_constitution_current_version',
      help: 'Version number of the constitution in force (0 = none).',
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: 'somagent_constitution_http_request_seconds',
      help: 'HTTP request duration by route.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
  };
}
