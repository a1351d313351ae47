import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { validateConstitution } from '../../../constitution';
import { runWhatIf } from '../../../services/constitution';
import { testPool } from '../../support/pg';
import { descriptor, simpleConstitution } from '../../fixtures/constitution/descriptors';
import { seedDecision } from '../../fixtures/constitution/decisions';

let pool: Pool;
beforeAll(() => {
  pool = testPool();
});
afterAll(async () => {
  await pool.end();
});

// Under simpleConstitution: S = 0.5·risk + 0.3·write + 0.2·trust, θ 0.8, θ_review 0.6.
const current = validateConstitution(simpleConstitution());

describe('runWhatIf', () => {
  it('finds every flip in the window, with transition, feature and rule counts', async () => {
    const tenant = `t-${randomUUID()}`;
    const now = new Date();
    const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
    // low-trust reads: S = 0.5 + 0.3 + 0.2·0.2 = 0.84 → allow now
    for (let i = 0; i < 5; i += 1) {
      await seedDecision(pool, current, descriptor({ tenant, persona: { id: `p${i}`, trust: 0.2 } }), {
        time: at(10 + i),
      });
    }
    // a high-risk read: S = 0.1 + 0.3 + 0.2 = 0.6 → review now
    await seedDecision(
      pool,
      current,
      descriptor({ tenant, tool: { id: 'x.y', risk: 'high', category: 'c' } }),
      { time: at(5) },
    );
    // outside the window and another tenant: never examined
    await seedDecision(pool, current, descriptor({ tenant, persona: { id: 'old', trust: 0.2 } }), {
      time: at(60 * 24 * 30),
    });
    await seedDecision(
      pool,
      current,
      descriptor({ tenant: `${tenant}-other`, persona: { id: 'o', trust: 0.2 } }),
      { time: at(3) },
    );
    // a row without a usable descriptor is counted as skipped, not fatal
    await pool.query(
      `INSERT INTO audit_events (id, type, source, tenant, subject, time, decision, data)
       VALUES ($1, 'gate.decision', 'test', $2, 'wf', $3, 'allow', $4)`,
      [randomUUID(), tenant, at(2), JSON.stringify({ decision: 'allow', descriptor: { activityType: 'x' } })],
    );

    // Candidate: trust matters more (0.4 instead of 0.2 of the weight) and a deny rule for tool x.y.
    const candidate = validateConstitution(
      simpleConstitution({
        version: 2,
        features: [
          {
            name: 'risk',
            kind: 'toolRisk',
            weight: 0.4,
            params: { scores: { low: 1, medium: 0.6, high: 0.2, critical: 0 } },
          },
          { name: 'writes', kind: 'writeSideEffects', weight: 0.2, params: { read: 1, write: 0.5 } },
          { name: 'trust', kind: 'personaTrust', weight: 0.4 },
        ],
        rules: [
          {
            id: 'no-xy',
            description: 'x.y is retired',
            when: 'tool != null && tool.id == "x.y"',
            effect: 'deny',
          },
        ],
      }),
    );
    const report = await runWhatIf({ pool, candidate, since: at(60), until: now, tenant, batchSize: 2 });

    // low-trust reads: 0.4 + 0.2 + 0.4·0.2 = 0.68 → review
    expect(report).toMatchObject({
      examined: 6,
      unchanged: 0,
      flipped: 6,
      truncated: false,
      limitReached: false,
    });
    expect(report.skipped).toEqual({ 'invalid descriptor': 1 });
    expect(report.skippedExamples).toEqual([
      {
        eventId: expect.any(String),
        reason: expect.stringMatching(/^invalid descriptor: descriptor\.\w+: /),
      },
    ]);
    expect(report.transitions).toEqual({ 'allow->review': 5, 'review->deny': 1 });
    // Toward the stricter result moved risk (0.5 → 0.4) and writes (0.3 → 0.2); trust rose.
    expect(report.byFeature).toEqual({ risk: 6, writes: 6 });
    expect(report.byRule).toEqual({ '+no-xy': 1 });
    expect(report.flips.map((f) => f.time)).toEqual([...report.flips.map((f) => f.time)].sort());
    expect(report.flips.every((f) => f.tenant === tenant)).toBe(true);
    expect(report.flips[0]!.recordedConstitutionHash).toBe(current.hash);
  });

  it('accepts fired rules recorded as bare ids', async () => {
    const tenant = `t-${randomUUID()}`;
    const x = descriptor({ tenant, tool: { id: 'db.prod', risk: 'low', category: 'db' } });
    await pool.query(
      `INSERT INTO audit_events (id, type, source, tenant, subject, time, decision, data)
       VALUES ($1, 'gate.decision', 'test', $2, 'wf', now(), 'deny', $3)`,
      [randomUUID(), tenant, JSON.stringify({ decision: 'deny', rulesFired: ['no-prod-db'], descriptor: x })],
    );
    const lenient = validateConstitution(simpleConstitution({ version: 2, rules: [] }));
    const report = await runWhatIf({
      pool,
      candidate: lenient,
      since: new Date(Date.now() - 60_000),
      tenant,
    });
    expect(report).toMatchObject({
      examined: 1,
      transitions: { 'deny->allow': 1 },
      byRule: { '-no-prod-db': 1 },
    });
  });

  it('stops at the limit and truncates the flip list but keeps counting', async () => {
    const tenant = `t-${randomUUID()}`;
    for (let i = 0; i < 4; i += 1) {
      await seedDecision(pool, current, descriptor({ tenant, persona: { id: `p${i}`, trust: 0.2 } }));
    }
    const strict = validateConstitution(
      simpleConstitution({ version: 2, threshold: 0.9, reviewThreshold: 0.85 }),
    );
    const since = new Date(Date.now() - 60_000);
    const all = await runWhatIf({ pool, candidate: strict, since, tenant, maxFlips: 1 });
    expect(all).toMatchObject({
      examined: 4,
      flipped: 4,
      truncated: true,
      transitions: { 'allow->deny': 4 },
    });
    expect(all.flips).toHaveLength(1);
    const limited = await runWhatIf({ pool, candidate: strict, since, tenant, limit: 3, batchSize: 2 });
    expect(limited).toMatchObject({ examined: 3, limitReached: true });
  });
});
