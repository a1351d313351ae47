import { ApplicationFailure } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
import type { RunInputActivities, WriteRunInputsResult } from '../activities/tools/run-inputs';
import { RUN_INPUTS_ACTIVITY_OPTIONS } from '../activities/shared/activity-options';
import { describeFailure } from './failures';
import type { CapsuleWorkflowInput } from './shared/types';

const { writeRunInputs } = proxyActivities<RunInputActivities>(RUN_INPUTS_ACTIVITY_OPTIONS);

/**
 * Writes a root run's input files (`input.files`) into its workspace through the
 * `writeRunInputs` activity (gated like every activity), before the first step. Schedules
 * nothing when the input has no files, so histories of runs without them replay unchanged, and
 * nothing for nested runs: they share the root's workspace, which already has the files. A
 * failure fails the run non-retryably, naming the file.
 */
export async function writeInputFiles(
  input: Pick<CapsuleWorkflowInput, 'files' | 'parent'>,
  workspaceId: string,
): Promise<WriteRunInputsResult | undefined> {
  if (!input.files || input.files.length === 0 || input.parent) return undefined;
  try {
    return await writeRunInputs({ workspaceId, files: input.files });
  } catch (err) {
    const failure = describeFailure(err);
    throw ApplicationFailure.create({
      type: failure.type,
      message: `input files were not written: ${failure.message}`,
      nonRetryable: true,
      ...(failure.details ? { details: [failure.details] } : {}),
    });
  }
}
