import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { GraphScheduler, validateGraph, type SchedulableStep } from '../../../workflows/graph-scheduler';

const step = (id: string, ...dependsOn: string[]): SchedulableStep => ({ id, dependsOn });

function failureOf(fn: () => unknown): ApplicationFailure {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('GraphScheduler', () => {
  it('starts independent steps together and dependents once their dependencies succeed', () => {
    const s = new GraphScheduler([step('a'), step('b'), step('c', 'a', 'b'), step('d', 'c')], {
      maxConcurrency: 4,
    });
    expect(s.takeReady().map((x) => x.id)).toEqual(['a', 'b']);
    expect(s.takeReady()).toEqual([]);
    s.complete('a', 'A');
    expect(s.takeReady()).toEqual([]);
    s.complete('b', 'B');
    expect(s.takeReady().map((x) => x.id)).toEqual(['c']);
    s.complete('c', { n: 1 });
    expect(s.takeReady().map((x) => x.id)).toEqual(['d']);
    expect(s.done).toBe(false);
    s.complete('d');
    expect(s.done).toBe(true);
    expect(s.stepOutputs()).toEqual({
      a: { output: 'A' },
      b: { output: 'B' },
      c: { output: { n: 1 } },
      d: { output: undefined },
    });
  });

  it('never runs more than maxConcurrency steps and fills freed slots in declaration order', () => {
    const s = new GraphScheduler([step('e'), step('a'), step('d'), step('b')], { maxConcurrency: 2 });
    expect(s.takeReady().map((x) => x.id)).toEqual(['e', 'a']);
    expect(s.running).toBe(2);
    expect(s.takeReady()).toEqual([]);
    s.complete('a');
    expect(s.takeReady().map((x) => x.id)).toEqual(['d']);
    s.complete('e');
    s.complete('d');
    expect(s.takeReady().map((x) => x.id)).toEqual(['b']);
  });

  it('skips every transitive dependent of a failed step with a reason, and keeps unrelated steps going', () => {
    const s = new GraphScheduler(
      [step('a'), step('b', 'a'), step('c', 'b'), step('x'), step('y', 'x', 'c')],
      { maxConcurrency: 5 },
    );
    expect(s.takeReady().map((x) => x.id)).toEqual(['a', 'x']);
    expect(s.fail('a', 'persona gave up')).toEqual(['b', 'c', 'y']);
    expect(s.stateOf('b')).toEqual({ state: 'skipped', reason: 'dependency "a" failed: persona gave up' });
    expect(s.stateOf('c')).toEqual({ state: 'skipped', reason: 'dependency "b" was skipped' });
    expect(s.stateOf('y').state).toBe('skipped');
    expect(s.done).toBe(false);
    s.complete('x');
    expect(s.takeReady()).toEqual([]);
    expect(s.done).toBe(true);
    expect(s.snapshot().map((x) => `${x.id}:${x.state}`)).toEqual([
      'a:failed',
      'b:skipped',
      'c:skipped',
      'x:succeeded',
      'y:skipped',
    ]);
  });

  it('skipPending stops the run without touching running steps', () => {
    const s = new GraphScheduler([step('a'), step('b', 'a'), step('c')], { maxConcurrency: 1 });
    s.takeReady();
    expect(s.skipPending('cancelled by ops')).toEqual(['b', 'c']);
    expect(s.stateOf('a').state).toBe('running');
    expect(s.done).toBe(false);
    s.complete('a');
    expect(s.done).toBe(true);
    expect(s.takeReady()).toEqual([]);
  });

  it('refuses to report a step that is not running', () => {
    const s = new GraphScheduler([step('a'), step('b', 'a')], { maxConcurrency: 1 });
    expect(() => s.complete('a')).toThrow('step "a" is pending, not running');
    s.takeReady();
    s.complete('a');
    expect(() => s.fail('a', 'x')).toThrow('step "a" is succeeded, not running');
    expect(() => s.complete('nope')).toThrow('unknown step "nope"');
  });

  it('rejects bad concurrency and bad graphs with non-retryable InvalidPlan failures naming the step', () => {
    expect(failureOf(() => new GraphScheduler([step('a')], { maxConcurrency: 0 })).message).toMatch(
      /maxConcurrency/,
    );
    const dup = failureOf(() => validateGraph([step('a'), step('a')]));
    expect(dup.type).toBe('InvalidPlan');
    expect(dup.nonRetryable).toBe(true);
    expect(dup.message).toBe('steps[1]: duplicate step id "a"');
    expect(failureOf(() => validateGraph([step('a', 'ghost')])).message).toBe(
      'steps[0] ("a") depends on unknown step "ghost"',
    );
    expect(failureOf(() => validateGraph([step('a', 'a')])).message).toBe('steps[0] ("a") depends on itself');
    expect(failureOf(() => validateGraph([step('a', 'c'), step('b', 'a'), step('c', 'b')])).message).toBe(
      'dependency cycle: a → c → b → a',
    );
  });

  // Random DAGs (each step depends only on earlier ones) with random outcomes: the scheduler must
  // respect dependencies and the concurrency cap, terminate, and explain every non-success.
  it('on random DAGs: respects dependencies and concurrency, always terminates', () => {
    const dag = fc
      .integer({ min: 1, max: 12 })
      .chain((n) =>
        fc.tuple(
          fc.tuple(
            ...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j))),
          ),
          fc.array(fc.boolean(), { minLength: n, maxLength: n }),
          fc.integer({ min: 1, max: 4 }),
        ),
      );
    fc.assert(
      fc.property(dag, ([deps, succeeds, maxConcurrency]) => {
        const steps = deps.map((d, i) => step(`s${i}`, ...d.map((j) => `s${j}`)));
        const s = new GraphScheduler(steps, { maxConcurrency });
        const succeeded = new Set<string>();
        let rounds = 0;
        while (!s.done) {
          rounds += 1;
          if (rounds > 100) throw new Error('no progress');
          const ready = s.takeReady();
          expect(s.running).toBeLessThanOrEqual(maxConcurrency);
          for (const r of ready) expect(r.dependsOn.every((d) => succeeded.has(d))).toBe(true);
          // finish the oldest running step (first in declaration order)
          const running = s.snapshot().find((x) => x.state === 'running');
          if (!running) continue;
          const index = Number(running.id.slice(1));
          if (succeeds[index]) {
            s.complete(running.id);
            succeeded.add(running.id);
          } else s.fail(running.id, 'boom');
        }
        const final = new Map(s.snapshot().map((x) => [x.id, x]));
        for (const x of final.values()) {
          expect(['succeeded', 'failed', 'skipped']).toContain(x.state);
          if (x.state !== 'succeeded') expect(x.reason).toBeTruthy();
          // a step is skipped exactly when one of its dependencies did not succeed
          const deps = steps.find((st) => st.id === x.id)!.dependsOn;
          expect(x.state === 'skipped').toBe(deps.some((d) => final.get(d)!.state !== 'succeeded'));
        }
      }),
    );
  });
});
