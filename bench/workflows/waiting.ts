/**
 * Baseline workflow of `bench/persona-memory.bench.ts`: the smallest workflow that, like a persona
 * in review, stays open and cached in the worker waiting for an `approve` signal. Bundled alone
 * (only `@temporalio/workflow`), so its per-workflow memory is the SDK's floor.
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const approveWaitingSignal = defineSignal('approve');

export async function waitingWorkflow(): Promise<void> {
  let approved = false;
  setHandler(approveWaitingSignal, () => {
    approved = true;
  });
  await condition(() => approved);
}
