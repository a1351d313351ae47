import type { StepState } from './shared/types';
import type { RunPhase, RunStatus } from './status';

/**
 * What the Temporal Web UI shows of a capsule run beside its history: the run's phase as a
 * search attribute (so an admin can list "runs waiting for me") and a short markdown status as
 * the run's current details (the UI's "Current Details" panel, read through the SDK's built-in
 * metadata query, so it costs no history event).
 */

/** Patch id: runs keep the `SomagentStatus` search attribute on their phase. */
export const RUN_STATUS_ATTRIBUTE_PATCH = 'capsule-run-status-attribute';

/** The `SomagentStatus` values: the run's phase, spelled as the filter would be typed. */
export function statusAttribute(phase: RunPhase): string {
  return phase.replace(/_/g, '-');
}

/** A phase or step state as words: `awaiting_review` → `awaiting review`. */
const words = (name: string) => name.replace(/_/g, ' ');

const STEP_MARK: Record<StepState, string> = {
  pending: '○',
  running: '▶',
  awaiting_review: '⏸',
  succeeded: '✓',
  failed: '✗',
  skipped: '–',
};

/** The run's current details, markdown: phase, what waits for a human, each step's state. */
export function runDetails(status: RunStatus): string {
  const lines: string[] = [];
  const capsule = status.capsule ? `${status.capsule.id} v${status.capsule.version}` : 'capsule';
  lines.push(`**${capsule}** for tenant \`${status.tenant ?? '?'}\`: ${words(status.phase)}`);
  for (const pending of status.pendingApprovals) {
    const what = pending.toolId ? `tool \`${pending.toolId}\`` : pending.activityType;
    lines.push(
      `- waiting for approval \`${pending.approvalId}\`${pending.stepId ? ` (step ${pending.stepId}, ${what})` : ''}: ` +
        `${pending.reason}. Send the \`approve\` signal with \`{"approvalId": "${pending.approvalId}", "approved": true}\`.`,
    );
  }
  // A list, not a table: the UI renders CommonMark, without the GFM table extension.
  if (status.steps.length > 0) lines.push('');
  for (const step of status.steps) {
    lines.push(
      `- ${STEP_MARK[step.state]} **${step.id}** (${step.persona ?? step.kind}): ${words(step.state)}`,
    );
  }
  const { usage } = status;
  if (usage.totalTokens > 0) lines.push('', `${usage.totalTokens} tokens, $${usage.costUsd.toFixed(4)}`);
  return lines.join('\n');
}
