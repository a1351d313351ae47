import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the worker's constitution gate, registered on the worker's registry. */
export interface GateMetrics {
  /** Decisions by outcome (`allow`, `approved`, `review`, `refused`, `deny`, `fail-closed`) and activity type. */
  decisions: Counter<'outcome' | 'activity_type'>;
  /** Descriptor + evaluation time of one activity (the outbox write is measured apart). */
  evaluationSeconds: Histogram;
  /** Time to write one decision to the outbox. */
  recordSeconds: Histogram;
  /** Decisions per outbox commit (group commit: all decisions waiting at that moment). */
  recordBatchSize: Histogram;
  /** Decisions that could not be written (the activity did not run; Temporal retries it). */
  recordFailures: Counter;
  /** Version of the constitution in force (0 = none). */
  constitutionVersion: Gauge;
}

/** Registers the gate's metrics on `registry` (no global default registry). */
export function createGateMetrics(registry: Registry): GateMetrics {
  return {
    decisions: new Counter({
      name: 'somagent_gate_decisions_total',
      help: 'Gate decisions by outcome and activity type.',
      labelNames: ['outcome', 'activity_type'],
      registers: [registry],
    }),
    evaluationSeconds: new Histogram({
      name: 'somagent_gate_evaluation_seconds',
      help: 'Time to build the action descriptor and evaluate the constitution for one activity.',
      buckets: [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 1e-2],
      registers: [registry],
    }),
    recordSeconds: new Histogram({
      name: 'somagent_gate_record_seconds',
      help: 'Time from a gate decision to its commit in the Postgres outbox (group committed).',
      buckets: [2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.5],
      registers: [registry],
    }),
    recordBatchSize: new Histogram({
      name: 'somagent_gate_record_batch_size',
      help: 'Gate decisions written per outbox commit (decisions waiting at once share one commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
      registers: [registry],
    }),
    recordFailures: new Counter({
      name: 'somagent_gate_record_failures_total',
      help: 'Gate decisions that could not be written to the outbox (the activity did not run).',
      registers: [registry],
    }),
    constitutionVersion: new Gauge({
      name: 'somagent_gate_constitution_version',
      help: 'Version of the constitution the gate evaluates against (0 = none loaded).',
      registers: [registry],
    }),
  };
}
