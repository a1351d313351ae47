import type { AddressInfo } from 'node:net';
import {
  buildActionDescriptor,
  createTrustStore,
  DEFAULT_CONSTITUTION,
  evaluate,
  generateSigningKey,
  signConstitution,
  validateConstitution,
  verifyConstitution,
  type ActionDescriptor,
} from '../constitution';
import { createJwtVerifier } from '../services/auth';
import {
  createConstitutionMetrics,
  createConstitutionService,
  createConstitutionStore,
} from '../services/constitution';
import { createLogger } from '../services/logger';
import { createPool, migrate } from '../services/postgres';
import { createTestDatabase } from '../test/support/postgres';
import { percentile, report } from './format';

/** A realistic mix: reads, writes, egress with PII, tainted runs, model calls, guardrails. */
function descriptors(): ActionDescriptor[] {
  const capsule = {
    id: 'cap-1',
    toolSuite: ['workspace.read', 'workspace.write', 'http.request', 'memory.recall'],
    guardrails: {
      minThreshold: 0.7,
      allowedHosts: ['*.example.com'],
      requireApprovalFor: ['workspace.write'],
    },
  };
  const base = { activityType: 'runTool', tenant: 'acme', persona: { id: 'dev', trust: 0.8 }, capsule };
  return [
    buildActionDescriptor({
      ...base,
      tool: { id: 'workspace.read', risk: 'low', category: 'filesystem' },
      args: { path: 'src/a.ts' },
    }),
    buildActionDescriptor({
      ...base,
      tool: { id: 'workspace.write', risk: 'medium', category: 'filesystem' },
      args: { path: 'out.md', content: 'hello' },
    }),
    buildActionDescriptor({
      ...base,
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: { method: 'POST', url: 'https://api.example.com/v1', body: 'contact jane@example.com' },
      taint: ['pii'],
    }),
    buildActionDescriptor({
      ...base,
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: { url: 'https://evil.test/x' },
      taint: ['secret'],
      denials: { recent: 3, window: 10 },
    }),
    buildActionDescriptor({
      ...base,
      activityType: 'callSlm',
      tool: null,
      args: { prompt: 'summarise' },
      budget: { spentUsd: 4, limitUsd: 10 },
    }),
    buildActionDescriptor({
      ...base,
      tool: { id: 'shell.exec', risk: 'critical', category: 'exec' },
      args: { cmd: 'ls' },
    }),
    buildActionDescriptor({
      ...base,
      tool: { id: 'memory.recall', risk: 'low', category: 'memory' },
      args: { q: 'x' },
      trainingMode: true,
    }),
    buildActionDescriptor({
      ...base,
      capsule: null,
      persona: null,
      tool: { id: 'workspace.list', risk: 'low', category: 'filesystem' },
    }),
  ];
}

function inProcess(): void {
  const compiled = validateConstitution(DEFAULT_CONSTITUTION);
  const xs = descriptors();
  const n = xs.length;
  let sink = 0;
  for (let i = 0; i < 200_000; i += 1) sink += evaluate(compiled, xs[i % n]!).score; // warm-up (JIT)

  const iterations = 1_000_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) sink += evaluate(compiled, xs[i % n]!).score;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  report('in-process evaluate throughput', Math.round(iterations / seconds), 'evals/s', '≥ 100000 evals/s');

  const samples = 200_000;
  const latencies = new Float64Array(samples);
  for (let i = 0; i < samples; i += 1) {
    const t0 = process.hrtime.bigint();
    sink += evaluate(compiled, xs[i % n]!).score;
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  report('in-process evaluate p50', percentile(sorted, 50), 'µs');
  report('in-process evaluate p99', percentile(sorted, 99), 'µs', 'p99 < 50 µs');
  if (sink === -1) process.stdout.write('');
}

async function overHttp(): Promise<void> {
  const db = await createTestDatabase('bench_constitution');
  const pool = createPool({ url: db.url, max: 4 });
  const logger = createLogger({ level: 'silent' });
  const key = await generateSigningKey();
  const trustStore = createTrustStore({ keys: [key.publicJwk] });
  const app = createConstitutionService({
    pool,
    logger,
    trustStore,
    verifier: createJwtVerifier({ jwks: { keys: [] }, issuer: 'bench', audience: 'bench' }),
    metrics: createConstitutionMetrics({ defaultMetrics: false }),
  });
  try {
    await migrate({ url: db.url });
    const jws = await signConstitution(DEFAULT_CONSTITUTION, { privateJwk: key.privateJwk });
    await createConstitutionStore(pool).publish(await verifyConstitution(jws, trustStore), jws, 'bench');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/evaluate`;
    const bodies = descriptors().map((descriptor) => JSON.stringify({ descriptor }));
    const post = async (body: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (res.status !== 200) throw new Error(`evaluate returned ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < 500; i += 1) await post(bodies[i % bodies.length]!);
    const samples = 3000;
    const latencies: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      const t0 = process.hrtime.bigint();
      await post(bodies[i % bodies.length]!);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    report('HTTP POST /v1/evaluate p50 (sequential, keep-alive)', percentile(latencies, 50), 'ms');
    report('HTTP POST /v1/evaluate p99 (sequential, keep-alive)', percentile(latencies, 99), 'ms');
  } finally {
    await app.close();
    await pool.end();
    await db.drop();
  }
}

export default async function bench(): Promise<void> {
  inProcess();
  await overHttp();
}
