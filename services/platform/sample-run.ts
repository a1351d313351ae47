import type { Client, WorkflowHandle } from '@temporalio/client';
import type { CapsuleRunResult, CapsuleWorkflowInput } from '../../workflows/shared';
import { statusQuery } from '../../workflows/shared/definitions';

/** The capsule `npm start` runs: small, read-and-summarise, no network tools. */
export const SAMPLE_CAPSULE = 'meetings.transcript-summary@^1';

/** Where the capsule reads its transcript (its `transcriptPath` parameter's default). */
const SAMPLE_TRANSCRIPT_PATH = 'meetings/transcript.txt';

const SAMPLE_TRANSCRIPT = `SomaGent launch sync — 12 November
Priya: The constitution service is live in staging. Decision: we ship the default constitution as is.
Marco: Pricing page still says beta. I'll update it by Friday.
Priya: Who owns the customer webinar? Nobody has picked it up.
Lee: I will, and I'll send invites on Monday.
Marco: Open question: do we support Azure OpenAI at launch? Needs a call with the partner team.
Priya: Decision: launch date stays 1 December.`;

/**
 * Starts the sample capsule on a sample transcript, prints each step as its state changes, and
 * returns the run's result. The transcript travels in the workflow input as an input file, which
 * the run writes into its workspace before the first step: the same path a remote client (the
 * Web UI, `somagent capsule run --file`) takes.
 */
export async function runSampleCapsule({
  client,
  taskQueue,
  print,
}: {
  client: Client;
  taskQueue: string;
  print: (line: string) => void;
}): Promise<CapsuleRunResult> {
  const workflowId = `sample-meeting-summary-${Date.now().toString(36)}`;
  const input: CapsuleWorkflowInput = {
    capsule: SAMPLE_CAPSULE,
    params: { meetingTitle: 'SomaGent launch sync' },
    files: [{ path: SAMPLE_TRANSCRIPT_PATH, content: SAMPLE_TRANSCRIPT }],
    trigger: { kind: 'manual', by: 'npm start' },
    tenant: 'local',
  };
  const handle = await client.workflow.start('capsuleWorkflow', {
    taskQueue,
    workflowId,
    args: [input],
    // What the Web UI's run page shows of it.
    staticSummary: `sample run of ${SAMPLE_CAPSULE} for tenant ${input.tenant}`,
    staticDetails: `Started by \`npm start\` on a sample transcript (\`${SAMPLE_TRANSCRIPT_PATH}\`).`,
  });
  print(`sample run started: ${SAMPLE_CAPSULE} as workflow ${workflowId}`);

  const follow = followStepStates(handle, (line) => print(`  ${line}`));
  try {
    return (await handle.result()) as CapsuleRunResult;
  } finally {
    await follow.stop();
  }
}

/**
 * Polls a capsule run's `status` query and prints `step <id>: <state>` whenever a step's state
 * changes, and once per wait what the run waits for (an approval, a review) with the command that
 * decides it, until `stop()` (which prints the changes of one last poll, so the final states show).
 */
export function followStepStates(
  handle: WorkflowHandle,
  print: (line: string) => void,
  intervalMs = 1_000,
): { stop(): Promise<void> } {
  const seen = new Map<string, string>();
  const announced = new Set<string>();
  const poll = () =>
    handle
      .query(statusQuery)
      .then((status) => {
        for (const step of status.steps) {
          if (seen.get(step.id) !== step.state) {
            seen.set(step.id, step.state);
            print(`step ${step.id}: ${step.state}`);
            if (step.state === 'awaiting_review' && !announced.has(`review:${step.id}`)) {
              announced.add(`review:${step.id}`);
              print(
                `  waiting for a review of step ${step.id}: npx somagent capsule review ${handle.workflowId} ${step.id} [--reject] [--token-file <reviewer's JWS>]`,
              );
            }
          }
        }
        for (const approval of status.pendingApprovals) {
          if (announced.has(approval.approvalId)) continue;
          announced.add(approval.approvalId);
          const what = approval.toolId ?? approval.activityType ?? 'the run';
          print(
            `  waiting for approval of ${what}${approval.stepId ? ` in step ${approval.stepId}` : ''}: ${approval.reason}`,
          );
          print(
            `    decide: npx somagent capsule approve ${handle.workflowId} ${approval.approvalId} [--reject] [--token-file <approver's JWS>]`,
          );
        }
      })
      .catch(() => undefined); // a query can race the run's close; the result decides
  const timer = setInterval(() => void poll(), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await poll();
    },
  };
}
