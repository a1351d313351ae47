import { ApplicationFailure } from '@temporalio/common';
import { WORKFLOW_ERROR_TYPES } from './shared/errors';

/**
 * Deterministic scheduling of a plan's task graph inside `capsuleWorkflow`. The scheduler owns no
 * timers or promises: the workflow asks which steps may start, starts them as children, and
 * reports each result back. Order is always the plan's declaration order, so replay sees the same
 * commands in the same sequence. Pure; sandbox-safe.
 */

/** The part of a plan step the scheduler needs. */
export interface SchedulableStep {
  id: string;
  dependsOn: readonly string[];
}

export type ScheduledState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** Where a step stands; `reason` explains failures and skips. */
export interface ScheduledStep {
  state: ScheduledState;
  reason?: string;
}

export interface GraphSchedulerOptions {
  /** Steps running at once; at least 1. */
  maxConcurrency: number;
}

/**
 * Tracks step states over a DAG. Start with {@link takeReady}; report results with
 * {@link complete} / {@link fail}; stop with {@link skipPending}. When a step fails, every step
 * that depends on it (directly or not) is skipped with a reason naming the failed step.
 */
export class GraphScheduler<S extends SchedulableStep> {
  private readonly steps: readonly S[];
  private readonly byId = new Map<string, S>();
  private readonly dependents = new Map<string, string[]>();
  private readonly status = new Map<string, ScheduledStep>();
  private readonly outputs = new Map<string, unknown>();
  private readonly maxConcurrency: number;
  private runningCount = 0;

  constructor(steps: readonly S[], options: GraphSchedulerOptions) {
    if (!Number.isInteger(options.maxConcurrency) || options.maxConcurrency < 1) {
      throw invalidPlan(`maxConcurrency must be an integer ≥ 1, got ${String(options.maxConcurrency)}`);
    }
    validateGraph(steps);
    this.steps = steps;
    this.maxConcurrency = options.maxConcurrency;
    for (const step of steps) {
      this.byId.set(step.id, step);
      this.status.set(step.id, { state: 'pending' });
      this.dependents.set(step.id, []);
    }
    for (const step of steps) for (const dep of step.dependsOn) this.dependents.get(dep)!.push(step.id);
  }

  /**
   * Steps whose dependencies all succeeded, in declaration order, up to the free concurrency.
   * They are marked `running`: call it once per scheduling round and start every step returned.
   */
  takeReady(): S[] {
    const ready: S[] = [];
    for (const step of this.steps) {
      if (this.runningCount + ready.length >= this.maxConcurrency) break;
      if (this.status.get(step.id)!.state !== 'pending') continue;
      if (step.dependsOn.every((dep) => this.status.get(dep)!.state === 'succeeded')) ready.push(step);
    }
    for (const step of ready) this.status.set(step.id, { state: 'running' });
    this.runningCount += ready.length;
    return ready;
  }

  /** Records a running step's success and output. */
  complete(id: string, output?: unknown): void {
    this.finishRunning(id, { state: 'succeeded' });
    this.outputs.set(id, output);
  }

  /**
   * Records a running step's failure; returns the ids of the pending steps skipped because they
   * depend on it, in declaration order.
   */
  fail(id: string, reason: string): string[] {
    this.finishRunning(id, { state: 'failed', reason });
    const skipped = new Set<string>();
    const queue = [...this.dependents.get(id)!];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (skipped.has(next) || this.status.get(next)!.state !== 'pending') continue;
      skipped.add(next);
      queue.push(...this.dependents.get(next)!);
    }
    const ordered = this.steps.filter((s) => skipped.has(s.id)).map((s) => s.id);
    for (const skippedId of ordered) {
      const chain = this.byId.get(skippedId)!.dependsOn.find((dep) => dep === id || skipped.has(dep)) ?? id;
      this.status.set(skippedId, {
        state: 'skipped',
        reason: chain === id ? `dependency "${id}" failed: ${reason}` : `dependency "${chain}" was skipped`,
      });
    }
    return ordered;
  }

  /** Skips every pending step (cancel, fail-fast); returns their ids in declaration order. */
  skipPending(reason: string): string[] {
    const ids = this.steps.filter((s) => this.status.get(s.id)!.state === 'pending').map((s) => s.id);
    for (const id of ids) this.status.set(id, { state: 'skipped', reason });
    return ids;
  }

  /** True when no step is pending or running. */
  get done(): boolean {
    return this.steps.every((s) => {
      const state = this.status.get(s.id)!.state;
      return state !== 'pending' && state !== 'running';
    });
  }

  /** Steps currently running. */
  get running(): number {
    return this.runningCount;
  }

  /** The step's state; throws for ids not in the plan. */
  stateOf(id: string): ScheduledStep {
    return { ...this.requireStatus(id) };
  }

  /** Outputs of succeeded steps, keyed by step id (for `{{steps.<id>.output}}`). */
  stepOutputs(): Record<string, { output: unknown }> {
    const result: Record<string, { output: unknown }> = {};
    for (const step of this.steps) {
      if (this.outputs.has(step.id)) result[step.id] = { output: this.outputs.get(step.id) };
    }
    return result;
  }

  /** Every step's state, in declaration order. */
  snapshot(): Array<{ id: string } & ScheduledStep> {
    return this.steps.map((s) => ({ id: s.id, ...this.status.get(s.id)! }));
  }

  private requireStatus(id: string): ScheduledStep {
    const status = this.status.get(id);
    if (!status) throw new Error(`unknown step "${id}"`);
    return status;
  }

  private finishRunning(id: string, next: ScheduledStep): void {
    const status = this.requireStatus(id);
    if (status.state !== 'running') {
      throw new Error(`step "${id}" is ${status.state}, not running: report each started step once`);
    }
    this.status.set(id, next);
    this.runningCount -= 1;
  }
}

/**
 * Checks that the steps form an executable DAG: unique ids, known dependencies, no cycles.
 * Throws a non-retryable `InvalidPlan` failure naming the offending step.
 */
export function validateGraph(steps: readonly SchedulableStep[]): void {
  const ids = new Set<string>();
  for (const [index, step] of steps.entries()) {
    if (ids.has(step.id)) throw invalidPlan(`steps[${index}]: duplicate step id "${step.id}"`);
    ids.add(step.id);
  }
  for (const [index, step] of steps.entries()) {
    for (const dep of step.dependsOn) {
      if (dep === step.id) throw invalidPlan(`steps[${index}] ("${step.id}") depends on itself`);
      if (!ids.has(dep)) {
        throw invalidPlan(`steps[${index}] ("${step.id}") depends on unknown step "${dep}"`);
      }
    }
  }
  const cycle = findCycle(steps);
  if (cycle) throw invalidPlan(`dependency cycle: ${cycle.join(' → ')}`);
}

function findCycle(steps: readonly SchedulableStep[]): string[] | undefined {
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn]));
  const color = new Map<string, 'grey' | 'black'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    color.set(id, 'grey');
    path.push(id);
    for (const dep of deps.get(id)!) {
      const c = color.get(dep);
      if (c === 'grey') return [...path.slice(path.indexOf(dep)), dep];
      if (c === undefined) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    path.pop();
    color.set(id, 'black');
    return undefined;
  };
  for (const step of steps) {
    if (color.get(step.id) === undefined) {
      const found = visit(step.id);
      if (found) return found;
    }
  }
  return undefined;
}

function invalidPlan(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: WORKFLOW_ERROR_TYPES.InvalidPlan, message, nonRetryable: true });
}
