import { types } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import {
  canonicalHash,
  evaluate,
  type ActionDescriptor,
  type CompiledConstitution,
} from '../../constitution';
import { WORKFLOW_ERROR_TYPES } from '../../workflows/shared/errors';
import { approvalIdFor, readGateApproval } from './approval-header';
import type { ConstitutionHolder } from './constitution-holder';
import {
  describeActivity,
  type ActivityDescription,
  type DescribeActivityOptions,
  type GateActivityInfo,
} from './describe-activity';
import {
  explainEvaluation,
  explainFailClosed,
  explainRefusedBeforeReview,
  type GateExplanation,
} from './explanation';
import type { GateMetrics } from './gate-metrics';
import {
  createDecisionLog,
  decisionLogFor,
  UNKNOWN_TENANT,
  type DecisionLog,
  type GateAttempt,
  type GateDecisionData,
} from './record-decision';

/** Failure type when the decision could not be written: retryable, the activity did not run. */
export const GATE_UNAVAILABLE = 'GateUnavailable';

/** Details of an `ApprovalRequired` failure (its first `details` entry). */
export interface ApprovalRequiredDetails {
  /** Put it in `withGateApproval` when re-scheduling the activity after the `approve` signal. */
  approvalId: string;
  explanation: GateExplanation;
}

/**
 * An activity's own refusal of one call, without running it: the non-retryable failure the
 * activity would raise before any effect, or null. It must honour `signal`; a throw or a timeout
 * counts as "no refusal". `executeTool`'s is `createToolPrecheck` (activities/tools).
 */
export type ActivityPrecheck = (input: unknown, signal: AbortSignal) => Promise<ApplicationFailure | null>;

/** How long the gate waits for a pre-check (a DNS lookup, say) before asking the human anyway. */
export const DEFAULT_PRECHECK_TIMEOUT_MS = 5_000;

export interface ConstitutionGateDeps extends DescribeActivityOptions {
  /** Where decisions are recorded (the outbox). */
  pool: Pool;
  /** How decisions reach the outbox. @default the pool's shared, group-committed log */
  decisionLog?: DecisionLog;
  holder: Pick<ConstitutionHolder, 'current'>;
  logger: Logger;
  metrics?: GateMetrics;
  /**
   * Pre-checks by activity type, asked when an action lands in the review band: a call the
   * activity would refuse anyway fails with that refusal instead of `ApprovalRequired`, so no
   * human is asked to approve it. @default none
   */
  prechecks?: Readonly<Record<string, ActivityPrecheck>>;
  /** @default DEFAULT_PRECHECK_TIMEOUT_MS (5 s) */
  precheckTimeoutMs?: number;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * The constitution gate: an activity-inbound interceptor that runs before every activity. It
 * builds x(a) from the gate-context header, the activity's identity and arguments, evaluates the
 * constitution in force, writes the decision to the outbox, and only then runs the activity
 * (allow, or review with a matching approval), or fails it non-retryably with
 * `ConstitutionDenied` (deny, fail closed) or `ApprovalRequired` (review band) — unless the
 * activity's own pre-check refuses a review-band call, which then fails with that refusal.
 */
export class ConstitutionGateInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly deps: ConstitutionGateDeps,
    private readonly info: GateActivityInfo,
  ) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const { deps, info } = this;
    const started = process.hrtime.bigint();
    const constitution = deps.holder.current();
    deps.metrics?.constitutionVersion.set(constitution?.version ?? 0);
    const description = describeActivity(info, input, deps);
    let judged = judge(constitution, description, info, input);
    deps.metrics?.evaluationSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (judged.explanation.outcome === 'review') {
      // Asked before the decision is recorded, so the record says what happened: nobody approves
      // a call the activity refuses anyway. Deny still wins over a refusal; allowed and approved
      // calls meet the same checks inside the activity.
      const refusal = await this.precheck(input);
      if (refusal) {
        judged = {
          ...judged,
          refusal,
          explanation: explainRefusedBeforeReview(judged.explanation, refusal.type ?? 'Error'),
        };
      }
    }

    const attempt: GateAttempt = {
      workflowId: info.workflowExecution?.workflowId ?? `activity:${info.activityId}`,
      runId: info.workflowExecution?.runId ?? 'none',
      activityId: info.activityId,
      activityType: info.activityType,
      attempt: info.attempt,
    };
    const data: GateDecisionData = {
      ...judged.explanation,
      descriptor: judged.descriptor,
      ...attempt,
      ...(judged.approvalId ? { approvalId: judged.approvalId } : {}),
      ...(judged.approvedBy ? { approvedBy: judged.approvedBy } : {}),
    };
    const tenant = description.context?.tenant ?? judged.descriptor?.tenant ?? UNKNOWN_TENANT;
    await this.record(data, tenant);

    const { explanation } = judged;
    deps.metrics?.decisions.inc({ outcome: explanation.outcome, activity_type: info.activityType });
    if (explanation.outcome !== 'allow') {
      deps.logger.info(
        {
          outcome: explanation.outcome,
          activityType: info.activityType,
          toolId: explanation.toolId,
          score: explanation.score,
          rules: explanation.rulesFired.map((r) => r.id),
          ...(explanation.refusal ? { refusal: explanation.refusal.type } : {}),
          workflowId: attempt.workflowId,
          activityId: attempt.activityId,
          attempt: attempt.attempt,
        },
        'gate decision',
      );
    }

    switch (explanation.outcome) {
      case 'allow':
      case 'approved':
        return next(input);
      case 'review':
        throw ApplicationFailure.create({
          type: WORKFLOW_ERROR_TYPES.ApprovalRequired,
          message: `Approval required: ${explanation.reason}`,
          nonRetryable: true,
          details: [{ approvalId: judged.approvalId!, explanation } satisfies ApprovalRequiredDetails],
        });
      case 'refused':
        // The activity's own failure, as it would have raised it: type, message, details.
        throw judged.refusal!;
      case 'deny':
      case 'fail-closed':
        throw ApplicationFailure.create({
          type: WORKFLOW_ERROR_TYPES.ConstitutionDenied,
          message: `Denied by the constitution gate: ${explanation.reason}`,
          nonRetryable: true,
          details: [explanation],
        });
    }
  }

  /** The activity's own refusal of this call, if it has a pre-check and refuses definitively. */
  private async precheck(input: ActivityExecuteInput): Promise<ApplicationFailure | null> {
    const { deps, info } = this;
    const check = deps.prechecks?.[info.activityType];
    if (!check) return null;
    const timeoutMs = deps.precheckTimeoutMs ?? DEFAULT_PRECHECK_TIMEOUT_MS;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const refusal = await Promise.race([
        check(input.args.length === 1 ? input.args[0] : input.args, signal),
        new Promise<null>((resolve) => signal.addEventListener('abort', () => resolve(null), { once: true })),
      ]);
      // A retryable failure might not recur: that is for the human and the activity to meet.
      return refusal instanceof ApplicationFailure && refusal.nonRetryable ? refusal : null;
    } catch (err) {
      deps.logger.warn(
        { err, activityType: info.activityType, activityId: info.activityId },
        'activity pre-check failed; the review goes ahead and the activity checks again when it runs',
      );
      return null;
    }
  }

  private async record(data: GateDecisionData, tenant: string): Promise<void> {
    const { deps } = this;
    const started = process.hrtime.bigint();
    try {
      await (deps.decisionLog ?? decisionLogFor(deps.pool)).record(data, {
        tenant,
        time: deps.now?.() ?? new Date(),
      });
    } catch (err) {
      deps.metrics?.recordFailures.inc();
      deps.logger.error(
        { err, workflowId: data.workflowId, activityId: data.activityId, attempt: data.attempt },
        'gate decision could not be recorded; the activity does not run',
      );
      // Unaudited actions never run; Temporal retries the attempt once Postgres is back.
      throw ApplicationFailure.create({
        type: GATE_UNAVAILABLE,
        message: 'the gate could not record its decision in Postgres',
        nonRetryable: false,
        // isNativeError also recognises errors from another realm (node:net inside a VM context).
        cause: err instanceof Error || types.isNativeError(err) ? err : undefined,
      });
    } finally {
      deps.metrics?.recordSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

interface Judged {
  explanation: GateExplanation;
  descriptor: ActionDescriptor | null;
  approvalId?: string;
  approvedBy?: string;
  /** The activity's pre-check refusal (outcome `refused`), thrown after recording. */
  refusal?: ApplicationFailure;
}

function judge(
  constitution: CompiledConstitution | null,
  description: ActivityDescription,
  info: GateActivityInfo,
  input: ActivityExecuteInput,
): Judged {
  const version = constitution ? { hash: constitution.hash, version: constitution.version } : null;
  if (!description.ok) {
    return {
      descriptor: null,
      explanation: explainFailClosed(description.failure, {
        activityType: info.activityType,
        toolId: description.toolId,
        argsDigest: safeDigest(input.args.length === 1 ? input.args[0] : input.args),
        constitution: version,
      }),
    };
  }
  const { descriptor } = description;
  if (constitution === null) {
    return {
      descriptor,
      explanation: explainFailClosed(
        {
          reason: 'no-constitution',
          message: 'no constitution is loaded on this worker (nothing published yet)',
        },
        {
          activityType: info.activityType,
          toolId: description.toolId,
          argsDigest: descriptor.args.digest,
          constitution: null,
        },
      ),
    };
  }
  const evaluation = evaluate(constitution, descriptor);
  if (evaluation.decision !== 'review') {
    return { descriptor, explanation: explainEvaluation(evaluation, descriptor, evaluation.decision) };
  }
  const workflowId = info.workflowExecution?.workflowId ?? `activity:${info.activityId}`;
  const approvalId = approvalIdFor(workflowId, descriptor);
  const approval = readGateApproval(input.headers);
  const approved = approval?.approvalId === approvalId;
  return {
    descriptor,
    approvalId,
    ...(approved && approval.approvedBy ? { approvedBy: approval.approvedBy } : {}),
    explanation: explainEvaluation(evaluation, descriptor, approved ? 'approved' : 'review'),
  };
}

function safeDigest(value: unknown): string | null {
  try {
    return canonicalHash(value ?? null);
  } catch {
    return null;
  }
}

/**
 * The worker's interceptor factory: `Worker.create({ interceptors: { activity:
 * [createConstitutionGate(deps)] } })`. Put it first so no other interceptor acts before the gate.
 */
export function createConstitutionGate(deps: ConstitutionGateDeps): ActivityInterceptorsFactory {
  const { metrics } = deps;
  const withLog: ConstitutionGateDeps = {
    ...deps,
    decisionLog:
      deps.decisionLog ??
      (metrics
        ? createDecisionLog(deps.pool, { onWrite: (size) => metrics.recordBatchSize.observe(size) })
        : decisionLogFor(deps.pool)),
  };
  return (ctx) => ({ inbound: new ConstitutionGateInterceptor(withLog, ctx.info) });
}
