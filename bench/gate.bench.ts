import type { ActivityExecuteInput } from '@temporalio/worker';
import {
  createTrustStore,
  DEFAULT_CONSTITUTION,
  evaluate,
  generateSigningKey,
  signConstitution,
  verifyConstitution,
} from '../constitution';
import { createConstitutionStore } from '../services/constitution';
import { createLogger } from '../services/logger';
import { createPool, migrate } from '../services/postgres';
import { activityInfo, gateContext, headersWith, toolCatalog } from '../test/fixtures/workers/gate';
import { createTestDatabase } from '../test/support/postgres';
import {
  ConstitutionGateInterceptor,
  createConstitutionHolder,
  describeActivity,
  type GateActivityInfo,
} from '../workers/gate';
import { percentile, report } from './format';

/** A realistic mix of activities: reads, writes, egress, model calls, memory. */
function workload(): { info: GateActivityInfo; input: ActivityExecuteInput }[] {
  const calls: [string, unknown][] = [
    ['executeTool', { toolId: 'workspace.read', arguments: { path: 'src/index.ts' } }],
    [
      'executeTool',
      { toolId: 'workspace.write', arguments: { path: 'out/report.md', content: 'x'.repeat(2000) } },
    ],
    [
      'executeTool',
      { toolId: 'http.request', arguments: { url: 'https://api.example.com/v1', method: 'GET' } },
    ],
    ['memoryRecall', { scope: { tenant: 'acme' }, query: 'quarterly numbers' }],
    [
      'slmComplete',
      {
        tenant: 'acme',
        messages: [
          { role: 'system', content: 'You are an analyst.' },
          { role: 'user', content: 'Summarise the findings for bob@corp.io. '.repeat(20) },
        ],
      },
    ],
  ];
  return calls.map(([activityType, arg]) => {
    const info = activityInfo({ activityType });
    return { info, input: { args: [arg], headers: headersWith(gateContext(info)) } };
  });
}

export default async function bench(): Promise<void> {
  const db = await createTestDatabase('bench_gate');
  const pool = createPool({ url: db.url, max: 4 });
  const logger = createLogger({ level: 'silent' });
  try {
    await migrate({ url: db.url });
    const key = await generateSigningKey();
    const trustStore = createTrustStore({ keys: [key.publicJwk] });
    const jws = await signConstitution(DEFAULT_CONSTITUTION, { privateJwk: key.privateJwk });
    await createConstitutionStore(pool).publish(await verifyConstitution(jws, trustStore), jws, 'bench');
    const holder = createConstitutionHolder({ pool, trustStore, logger });
    await holder.start();
    const compiled = holder.current()!;
    const items = workload();
    const n = items.length;

    // Descriptor + evaluate: what the gate adds before the outbox write.
    let sink = 0;
    const judge = (i: number) => {
      const { info, input } = items[i % n]!;
      const d = describeActivity(info, input, { toolCatalog });
      if (d.ok) sink += evaluate(compiled, d.descriptor).score;
    };
    for (let i = 0; i < 20_000; i += 1) judge(i);
    const samples = 50_000;
    const inMemory: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      const t0 = process.hrtime.bigint();
      judge(i);
      inMemory.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    inMemory.sort((a, b) => a - b);
    report('gate without outbox (descriptor + evaluate) p50', percentile(inMemory, 50), 'µs');
    report('gate without outbox (descriptor + evaluate) p99', percentile(inMemory, 99), 'µs', 'p99 < 100 µs');

    // The whole interceptor: descriptor + evaluate + outbox insert, before the activity runs.
    const deps = { pool, holder, logger, toolCatalog };
    const next = () => Promise.resolve(null);
    let attempt = 0;
    const gate = async (i: number) => {
      const { info, input } = items[i % n]!;
      attempt += 1;
      try {
        await new ConstitutionGateInterceptor(deps, { ...info, attempt }).execute(input, next);
      } catch {
        // Denials and approvals are recorded like allows; their cost is what is measured.
      }
    };
    for (let i = 0; i < 300; i += 1) await gate(i);
    const full: number[] = [];
    for (let i = 0; i < 3000; i += 1) {
      const t0 = process.hrtime.bigint();
      await gate(i);
      full.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    full.sort((a, b) => a - b);
    report('gate with outbox insert p50 (sequential)', percentile(full, 50), 'µs');
    report('gate with outbox insert p99 (sequential)', percentile(full, 99), 'µs', 'p99 < 5 ms');
    if (sink === -1) process.stdout.write('');
  } finally {
    await pool.end();
    await db.drop();
  }
}
