import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createWorkspaces } from '../../activities/tools/workspace';
import type { CapsuleRunResult } from '../../workflows/shared';

/**
 * What `npm start` prints after the sample run: on success the deliverable (the summary file, and
 * where it is); on failure the failing step, why, and what to try. Returns the exit code.
 */
export async function reportSampleOutcome({
  run,
  workspaceRoot,
  print,
}: {
  run: Promise<CapsuleRunResult>;
  workspaceRoot: string;
  print: (line: string) => void;
}): Promise<number> {
  let result: CapsuleRunResult;
  try {
    result = await run;
  } catch (err) {
    const failure = err instanceof WorkflowFailedError ? err.cause : undefined;
    if (!(failure instanceof ApplicationFailure)) throw err;
    const failed = failure.details?.[0] as CapsuleRunResult | undefined;
    print(`sample run failed: ${failure.type ?? 'Error'}`);
    print(`  ${failure.message}`);
    if (failed)
      print(
        `  workflow ${failed.workflowId}: ${failed.usage.totalTokens} tokens, $${failed.usage.costUsd.toFixed(4)}`,
      );
    for (const hint of hintsFor(failure.type ?? '')) print(`  try: ${hint}`);
    const child =
      failed && Object.values(failed.steps).find((step) => step.state === 'failed')?.childWorkflowId;
    if (child)
      print(`  the persona's turns are in the history of workflow ${child} (its slmComplete results)`);
    return 1;
  }
  print(`sample run completed: ${result.usage.totalTokens} tokens, $${result.usage.costUsd.toFixed(4)}`);
  print(
    `  steps: ${Object.entries(result.steps)
      .map(([id, step]) => `${id} ${step.state}`)
      .join(', ')}`,
  );
  const workspace = await createWorkspaces({ root: workspaceRoot }).open(result.workflowId);
  for (const artifact of result.artifacts) {
    const { content } = await workspace.read({ path: artifact.path });
    print(`--- ${artifact.path} (${workspace.dir}/${artifact.path}) ---`);
    print(content.trimEnd());
  }
  if (result.artifacts.length === 0) {
    print('  the run completed but wrote no file; its step outputs:');
    for (const [id, step] of Object.entries(result.steps)) print(`  ${id}: ${JSON.stringify(step.output)}`);
  }
  return 0;
}

/** What a user can do about each way the sample fails. */
function hintsFor(type: string): string[] {
  switch (type) {
    case 'OutputSchemaMismatch':
      return [
        'a model that supports tool calls (function calling) and JSON schemas; the step told it the schema',
      ];
    case 'MaxTurnsReached':
      return ['a stronger model: it never called `finish` within the turn limit'];
    case 'SlmNotConfigured':
    case 'SlmAuthFailed':
      return ['check OPENAI_API_KEY and OPENAI_BASE_URL (`npx somagent config` prints what is in force)'];
    case 'BudgetExceeded':
      return ['`npx somagent budget show local` and `npx somagent budget set local <usd>`'];
    default:
      return ['the run history in the Temporal Web UI, or `npx somagent audit query` for gate decisions'];
  }
}
