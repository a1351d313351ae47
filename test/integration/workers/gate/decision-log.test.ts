import { parseEnvelope } from '../../../../services/events';
import { createGroupCommitter, createPool } from '../../../../services/postgres';
import { createDecisionLog, explainFailClosed, type GateDecisionData } from '../../../../workers/gate';
import { activityInfo } from '../../../fixtures/workers/gate';
import { createGateTestStore, type GateTestStore } from './constitution-store';

let store: GateTestStore;

beforeAll(async () => {
  store = await createGateTestStore('gate_decision_log');
});

afterAll(async () => {
  await store.close();
});

function decision(workflowId: string, activityId: string, attempt = 1): GateDecisionData {
  return {
    ...explainFailClosed(
      { reason: 'missing-context', message: 'no header' },
      { activityType: 'x', toolId: null, argsDigest: null, constitution: null },
    ),
    workflowId,
    runId: 'run-1',
    activityId,
    activityType: 'x',
    attempt,
    descriptor: null,
  };
}

describe('group commit of gate decisions', () => {
  it('commits decisions waiting at once together, each once, in order, as valid envelopes', async () => {
    const batches: number[] = [];
    const log = createDecisionLog(store.pool, { onWrite: (size) => batches.push(size) });
    const workflowId = activityInfo().workflowExecution!.workflowId;
    const ids = Array.from({ length: 60 }, (_, i) => String(i));
    // 60 concurrent decisions plus a repeat of one attempt (a replayed task): 60 rows.
    await Promise.all([...ids, '7'].map((id) => log.record(decision(workflowId, id), { tenant: 'acme' })));

    const { rows } = await store.pool.query<{ key: string; topic: string; envelope: unknown }>(
      'SELECT key, topic, envelope FROM outbox WHERE key = $1 ORDER BY seq',
      [workflowId],
    );
    expect(rows.map((r) => parseEnvelope(r.envelope).data.activityId)).toEqual(ids);
    expect(new Set(rows.map((r) => r.topic))).toEqual(new Set(['somagent.audit.v1']));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(61);
    // Shared commits: far fewer round trips than decisions.
    expect(batches.length).toBeLessThan(10);
  });

  it('fails every decision of a commit that cannot be written, and writes nothing', async () => {
    const dead = createPool({ url: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
    try {
      const log = createDecisionLog(dead);
      const results = await Promise.allSettled(
        ['a', 'b', 'c'].map((id) => log.record(decision('wf-dead', id), { tenant: 'acme' })),
      );
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    } finally {
      await dead.end();
    }
  });

  it('keeps serving after a failed commit and splits batches above the limit', async () => {
    const written: number[][] = [];
    let fail = true;
    const committer = createGroupCommitter<number>({
      maxBatch: 4,
      write(batch) {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('database down'));
        }
        written.push([...batch]);
        return Promise.resolve();
      },
    });
    await expect(committer.submit(0)).rejects.toThrow('database down');
    await Promise.all(Array.from({ length: 10 }, (_, i) => committer.submit(i + 1)));
    expect(written).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ]);
    expect(committer.pending).toBe(0);
  });
});
