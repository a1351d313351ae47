import { ApplicationFailure } from '@temporalio/common';
import {
  CancellationScope,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CapsuleLoaderActivities, LoadCapsulePlanResult } from '../activities/capsule-loader';
import type { CapsulePlan, CapsulePlanStep, PersonaPlanStep, PlanStep } from '../capsules/plan';
import { DEFAULT_PERSONA_TRUST } from '../capsules/persona-schema';
import { IDENTITY_PATCH, proofOf, receiveApproval, reviewApprovalId, verifyDecision } from './approval-proof';
import { ApprovalRegistry, type ApprovalDecision, type PendingApproval } from './approvals';
import { BudgetLedger } from './budget-ledger';
import { describeFailure } from './failures';
import { buildGateContext } from './gate-context';
import { setGateContextProvider } from './gate-context-interceptor';
import { GraphScheduler } from './graph-scheduler';
import { startIdentity } from './identity-interceptor';
import { renderInstruction, type InstructionContext } from './instruction-template';
import { personaWorkflow } from './persona';
import { ReviewInbox, reviewOutcome, type ReviewCheckpoint } from './review-checkpoint';
import { buildRunResult } from './run-result';
import { loadRunMemory } from './memory-snapshots';
import { writeInputFiles } from './run-inputs';
import {
  approvalRequestedSignal,
  approvalSettledSignal,
  approveSignal,
  cancelSignal,
  planQuery,
  reviewSignal,
  statusQuery,
  eventsQuery,
  usageReportSignal,
  type CancelSignal,
} from './shared/definitions';
import { DEFAULT_TENANT } from './shared/constants';
import { WORKFLOW_ERROR_TYPES } from './shared/errors';
import { parseCapsuleWorkflowInput } from './shared/input-schema';
import {
  CAPSULE_LOAD_ACTIVITY_OPTIONS,
  CHILD_WORKFLOW_RETRY_POLICY,
  DEFAULT_APPROVAL_TIMEOUT,
} from './shared/presets';
import { SEARCH_ATTRIBUTES } from './shared/search-attributes';
import type {
  ArtifactRef,
  CapsuleRunResult,
  CapsuleWorkflowInput,
  JsonValue,
  RunLimits,
} from './shared/types';
import { checkSpawn, DEFAULT_SPAWN_POLICY, rootLimits, withRemainingBudget } from './spawn-policy';
import { initialStatus, reduceStatus, type RunEvent, type RunPhase, type RunStatus } from './status';
import { mergeTaint } from './taint';
import { RUN_STATUS_ATTRIBUTE_PATCH, runDetails, statusAttribute } from './run-details';
import { personaSummary, runSummary } from './shared/run-summary';

/**
 * `capsuleWorkflow`: one run of a Task Capsule. Validates its input, loads the compiled plan
 * (activity), waits for a human when the forecast is above the approval limit, then runs the
 * task graph with bounded concurrency, each step a `personaWorkflow` child (composite steps a
 * nested `capsuleWorkflow`), with review checkpoints between a step's answer and its dependents.
 * Signals only record; the loop acts. Queries: `status`, `plan`.
 */

/** Tenant of runs started without one. */
export { DEFAULT_TENANT };
/**
 * Patch id: a run that does not complete ends Failed (an `ApplicationFailure` carrying the run
 * result) instead of completing with `status: "failed"`, and reports the files its steps wrote.
 */
export const HONEST_RUN_OUTCOME_PATCH = 'capsule-run-honest-outcome';
/** Approval id of the forecast-over-limit approval of a run. */
export const forecastApprovalId = (workflowId: string) => `${workflowId}:forecast`;

/** Events that change what the Web UI's current details and status attribute show. */
const DETAIL_EVENTS: ReadonlySet<RunEvent['type']> = new Set([
  'run.started',
  'run.phase',
  'plan.loaded',
  'approval.requested',
  'approval.resolved',
  'approval.withdrawn',
  'step.started',
  'step.awaiting_review',
  'step.succeeded',
  'step.failed',
  'step.skipped',
  'run.finished',
]);

const { loadCapsulePlan } = proxyActivities<CapsuleLoaderActivities>(CAPSULE_LOAD_ACTIVITY_OPTIONS);

export async function capsuleWorkflow(rawInput: CapsuleWorkflowInput): Promise<CapsuleRunResult> {
  // Runs from before the patch carry no status attribute; new ones keep it on their phase, also
  // when they end by an early failure (invalid input, refused start, rejected forecast).
  const shown: ShownStatus = { enabled: patched(RUN_STATUS_ATTRIBUTE_PATCH) };
  try {
    return await runCapsule(rawInput, shown);
  } catch (err) {
    showStatus(shown, isCancellation(err) ? 'cancelled' : 'failed');
    throw err;
  }
}

/** The `SomagentStatus` value a run shows, and whether this run shows one at all. */
interface ShownStatus {
  enabled: boolean;
  value?: string;
}

function showStatus(shown: ShownStatus, phase: RunPhase): void {
  const value = statusAttribute(phase);
  if (!shown.enabled || phase === 'starting' || shown.value === value) return;
  shown.value = value;
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value }]);
}

async function runCapsule(rawInput: CapsuleWorkflowInput, shown: ShownStatus): Promise<CapsuleRunResult> {
  const info = workflowInfo();
  const workflowId = info.workflowId;
  let status: RunStatus = initialStatus();
  const events: RunEvent[] = [];
  const record = (event: RunEvent) => {
    events.push(event);
    status = reduceStatus(status, event);
    if (!DETAIL_EVENTS.has(event.type)) return;
    setCurrentDetails(runDetails(status));
    showStatus(shown, status.phase);
  };
  const now = () => new Date().toISOString();
  let plan: CapsulePlan | null = null;
  const approvals = new ApprovalRegistry(workflowId);
  const settled = new Map<string, ApprovalDecision>();
  const reviewInbox = new ReviewInbox();
  const checkpoints = new Map<string, ReviewCheckpoint>();
  let cancelled: CancelSignal | undefined;
  let changed = false;
  // New runs verify approvals and reviews and check their caller; replays of older runs do not.
  const identityProof = patched(IDENTITY_PATCH);
  const caller = startIdentity();
  // Read by signal handlers; set from the input below, before the first await.
  let runTenant: string = DEFAULT_TENANT;
  const proofRun = () => ({ tenant: runTenant, workflowId, runId: info.runId });

  // Handlers first: a signal may arrive with the first workflow task.
  setHandler(statusQuery, () => status);
  setHandler(eventsQuery, ({ after = 0, limit = 1000 } = {}) => {
    const from = Math.max(0, Math.floor(after));
    return { events: events.slice(from, from + Math.max(1, Math.floor(limit))), from, total: events.length };
  });
  setHandler(planQuery, () => (plan === null ? null : (plan as unknown as { [key: string]: JsonValue })));
  setHandler(approveSignal, async (decision) => {
    if (identityProof) {
      const outcome = await receiveApproval(approvals, decision, proofRun());
      if (outcome.kind === 'refused') {
        record({
          type: 'approval.refused',
          at: now(),
          approvalId: decision.approvalId,
          reason: outcome.reason,
        });
      } else if (outcome.kind === 'applied') {
        const { approvalId, approved, by, verified } = outcome.decision;
        record({ type: 'approval.resolved', at: now(), approvalId, approved, by, verified });
        settled.set(approvalId, outcome.decision);
      }
      return;
    }
    const route = approvals.resolve(decision);
    if (route.kind === 'unknown') return;
    record({
      type: 'approval.resolved',
      at: now(),
      approvalId: decision.approvalId,
      approved: decision.approved,
    });
    if (route.kind === 'local') settled.set(decision.approvalId, decision);
    else void getExternalWorkflowHandle(route.targetWorkflowId).signal(approveSignal, decision);
  });
  setHandler(reviewSignal, async (signal) => {
    if (!identityProof) {
      if (reviewInbox.offer(signal, checkpoints).accepted) changed = true;
      return;
    }
    const reviewId = reviewApprovalId(workflowId, signal.stepId);
    const verdict = await verifyDecision({
      approvalId: reviewId,
      kind: 'review',
      approved: signal.verdict === 'approve',
      ...proofOf(signal, proofRun()),
    });
    if (!verdict.ok) {
      record({ type: 'approval.refused', at: now(), approvalId: reviewId, reason: verdict.reason });
      return;
    }
    const { token: _token, ...rest } = signal;
    const offered = reviewInbox.offer({ ...rest, by: verdict.subject }, checkpoints);
    if (!offered.accepted) {
      record({ type: 'approval.refused', at: now(), approvalId: reviewId, reason: offered.reason });
      return;
    }
    changed = true;
    record({
      type: 'approval.resolved',
      at: now(),
      approvalId: reviewId,
      approved: signal.verdict === 'approve',
      by: verdict.subject,
      verified: verdict.verified,
    });
  });
  setHandler(cancelSignal, (signal) => {
    cancelled ??= signal;
  });
  setHandler(approvalRequestedSignal, (approval) => {
    approvals.add(approval);
    record({ type: 'approval.requested', at: now(), approval });
  });
  setHandler(approvalSettledSignal, ({ approvalId, approved, by, verified, refused }) => {
    if (identityProof && refused !== undefined) {
      record({ type: 'approval.refused', at: now(), approvalId, reason: refused });
      return;
    }
    if (identityProof && approved !== null && approvals.has(approvalId)) {
      // A persona applied a verified decision on an approval this run routed to it.
      approvals.resolve({ approvalId, approved });
      record({
        type: 'approval.resolved',
        at: now(),
        approvalId,
        approved,
        ...(by !== undefined ? { by } : {}),
        ...(verified !== undefined ? { verified } : {}),
      });
      return;
    }
    if (approvals.withdraw(approvalId)) record({ type: 'approval.withdrawn', at: now(), approvalId });
  });
  setHandler(usageReportSignal, ({ workflowId: reporter, stepId, own }) => {
    record({ type: 'usage', at: now(), workflowId: reporter, stepId, own });
  });

  const input = parseCapsuleWorkflowInput(rawInput);
  if (
    identityProof &&
    (input.plan !== undefined || input.parent !== undefined) &&
    info.parent === undefined
  ) {
    // A plan in the input skips the registry and the caller check: only a parent run may pass one.
    throw ApplicationFailure.create({
      type: WORKFLOW_ERROR_TYPES.RunUnauthorized,
      message:
        'input.plan and input.parent are set by a parent capsule run only: start a capsule by ' +
        '"id@version" (or an inline document, with the capsule:inline capability) instead',
      nonRetryable: true,
    });
  }
  // The tenant comes from the verified caller; input naming another is refused when the plan loads.
  const callerTenant = identityProof && caller.kind === 'identity' ? caller.identity.tenant : undefined;
  const tenant = input.tenant ?? callerTenant ?? DEFAULT_TENANT;
  runTenant = tenant;
  const trigger = input.trigger?.kind ?? 'manual';
  const depth = input.parent ? input.parent.depth + 1 : 0;
  const rootWorkflowId = input.parent ? rootOf(input) : workflowId;
  const requested = capsuleRef(input.capsule);
  let taint = mergeTaint(input.taint);
  let ledger = new BudgetLedger({ tokens: input.limits?.tokens ?? null, usd: input.limits?.usd ?? null });
  let limits: RunLimits | undefined = input.limits;

  setGateContextProvider(() =>
    buildGateContext({
      tenant,
      capsule: plan ? { id: plan.capsule.id, version: plan.capsule.version } : requested,
      persona: null,
      guardrails: plan?.guardrails ?? {},
      tools: plan?.tools ?? [],
      spent: ledger.spent(),
      limits: ledger.getLimits(),
      taint,
      trainingMode: false,
      denials: { recent: 0, window: 0 },
      workflowId,
      runId: info.runId,
      rootWorkflowId,
      depth,
    }),
  );
  record({ type: 'run.started', at: now(), capsule: requested, tenant, trigger });
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.tenant, value: tenant },
    { key: SEARCH_ATTRIBUTES.trigger, value: trigger },
    { key: SEARCH_ATTRIBUTES.capsuleId, value: requested.id },
  ]);

  // 1. The plan.
  let loaded: Pick<LoadCapsulePlanResult, 'forecast' | 'params'> | undefined;
  if (input.plan) {
    plan = input.plan as unknown as CapsulePlan;
  } else {
    try {
      const result = await loadCapsulePlan({
        capsule: input.capsule,
        ...(input.params ? { params: input.params } : {}),
        tenant,
        ...(identityProof && info.parent === undefined
          ? {
              start: {
                caller,
                ...(input.tenant !== undefined ? { requestedTenant: input.tenant } : {}),
                workflowId,
                runId: info.runId,
              },
            }
          : {}),
      });
      plan = result.plan;
      loaded = result;
    } catch (err) {
      const failure = describeFailure(err);
      throw ApplicationFailure.create({
        type: failure.type,
        message: failure.message,
        nonRetryable: true,
        ...(failure.details ? { details: [failure.details] } : {}),
      });
    }
  }
  const runPlan = plan;
  // A nested run gets its plan inline (no load activity): its parameter defaults apply here.
  const params: Record<string, unknown> = loaded?.params ?? {
    ...paramDefaults(runPlan),
    ...input.params,
  };
  for (const step of runPlan.steps) if (step.review) checkpoints.set(step.id, step.review);
  limits ??= rootLimits(
    {
      ...DEFAULT_SPAWN_POLICY,
      maxChildrenPerParent: Math.max(DEFAULT_SPAWN_POLICY.maxChildrenPerParent, runPlan.steps.length),
    },
    {
      tokens: runPlan.budget.tokens,
      usd:
        runPlan.guardrails.maxSpendUsd === undefined
          ? runPlan.budget.costUsd
          : Math.min(runPlan.budget.costUsd, runPlan.guardrails.maxSpendUsd),
      tools: runPlan.tools,
    },
  );
  const runLimits = limits;
  ledger = new BudgetLedger({ tokens: runLimits.tokens, usd: runLimits.usd });
  record({
    type: 'plan.loaded',
    at: now(),
    capsule: { id: runPlan.capsule.id, version: runPlan.capsule.version },
    planHash: runPlan.hash,
    steps: runPlan.steps.map((s) => ({
      id: s.id,
      ...(s.title !== undefined ? { title: s.title } : {}),
      kind: s.kind,
      ...(s.kind === 'persona' ? { persona: s.persona } : {}),
      dependsOn: [...s.dependsOn],
    })),
    budget: { limitUsd: runLimits.usd, limitTokens: runLimits.tokens },
  });
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.capsuleId, value: runPlan.capsule.id },
    { key: SEARCH_ATTRIBUTES.capsuleVersion, value: runPlan.capsule.version },
  ]);
  upsertMemo({
    capsule: `${runPlan.capsule.id}@${runPlan.capsule.version}`,
    title: runPlan.capsule.title,
    planHash: runPlan.hash,
  });

  // 2. A forecast above the approval limit waits for a human before any step starts.
  if (loaded?.forecast.budget.needsApproval) {
    const pending: PendingApproval = {
      approvalId: forecastApprovalId(workflowId),
      workflowId,
      activityType: 'capsuleWorkflow',
      reason: `forecast cost up to $${loaded.forecast.costUsd.high.toFixed(4)} exceeds the approval limit of $${String(runPlan.budget.approvalLimitUsd)}`,
      requestedAt: now(),
    };
    approvals.add(pending);
    record({ type: 'approval.requested', at: now(), approval: pending });
    record({ type: 'run.phase', at: now(), phase: 'awaiting_approval' });
    const decided = await condition(
      () => settled.has(pending.approvalId) || cancelled !== undefined,
      DEFAULT_APPROVAL_TIMEOUT,
    );
    const decision = settled.get(pending.approvalId);
    if (!decision?.approved) {
      if (approvals.withdraw(pending.approvalId)) {
        record({ type: 'approval.withdrawn', at: now(), approvalId: pending.approvalId });
      }
      const why = cancelled
        ? `cancelled${cancelled.by ? ` by ${cancelled.by}` : ''} while waiting for approval`
        : !decided
          ? 'nobody approved the forecast before the approval timeout'
          : `the forecast was rejected${decision?.by ? ` by ${decision.by}` : ''}${decision?.comment ? `: ${decision.comment}` : ''}`;
      throw ApplicationFailure.create({
        type: cancelled ? WORKFLOW_ERROR_TYPES.RunCancelled : WORKFLOW_ERROR_TYPES.ApprovalRejected,
        message: why,
        nonRetryable: true,
      });
    }
  }

  // Input files land in the run's workspace (the root's id, as personas' tools use) before any step.
  await writeInputFiles(input, rootWorkflowId);
  // Memory snapshots are read once, so every step sees the same versions.
  const memory = await loadRunMemory(runPlan, tenant);
  if (runPlan.memory.length > 0) record({ type: 'memory.loaded', at: now(), pinned: memory.pinned });

  // 3. The task graph.
  record({ type: 'run.phase', at: now(), phase: 'running' });
  const scheduler = new GraphScheduler<PlanStep>(runPlan.steps, { maxConcurrency: runLimits.maxConcurrency });
  const outputs: Record<string, JsonValue> = {};
  const errorTypes: Record<string, string> = {};
  const artifacts: ArtifactRef[] = [];
  const scopes = new Map<string, CancellationScope>();
  let childrenStarted = 0;
  let cancelHandled = false;

  const failStep = (stepId: string, type: string, reason: string) => {
    errorTypes[stepId] = type;
    record({ type: 'step.failed', at: now(), stepId, reason });
    for (const skipped of scheduler.fail(stepId, reason)) {
      record({
        type: 'step.skipped',
        at: now(),
        stepId: skipped,
        reason: `depends on failed step "${stepId}"`,
      });
    }
  };

  const runStep = async (step: PlanStep): Promise<void> => {
    const childWorkflowId = `${workflowId}.${step.id}`;
    try {
      const spawn = checkSpawn(
        withRemainingBudget(runLimits, ledger.remaining()),
        { started: childrenStarted, running: scheduler.running - 1 },
        step.kind === 'persona' ? { tools: step.tools } : {},
      );
      if (!spawn.allowed) {
        failStep(step.id, WORKFLOW_ERROR_TYPES.SpawnDenied, spawn.reason);
        return;
      }
      childrenStarted += 1;
      record({ type: 'step.started', at: now(), stepId: step.id, childWorkflowId });
      const output =
        step.kind === 'persona'
          ? await runPersonaStep(step, childWorkflowId, spawn.limits)
          : await runCapsuleStep(step, childWorkflowId, spawn.limits);
      if (output.failed) {
        failStep(step.id, output.failed.type, output.failed.reason);
        return;
      }
      if (step.review) {
        record({ type: 'step.awaiting_review', at: now(), stepId: step.id });
        await condition(() => reviewInbox.has(step.id) || cancelled !== undefined, step.review.timeoutMs);
        const outcome = reviewOutcome(step.review, reviewInbox.take(step.id));
        if (!outcome.passed) {
          failStep(step.id, outcome.errorType, outcome.reason);
          return;
        }
      }
      outputs[step.id] = output.value;
      scheduler.complete(step.id, output.value);
      record({ type: 'step.succeeded', at: now(), stepId: step.id, output: output.value });
    } catch (err) {
      const failure = describeFailure(err);
      failStep(step.id, failure.type, failure.message);
    } finally {
      scopes.delete(step.id);
      changed = true;
    }
  };

  /** What step instructions and nested capsules' parameter bindings may reference. */
  const templateContext = (): InstructionContext => ({
    params,
    steps: scheduler.stepOutputs(),
    capsule: { id: runPlan.capsule.id, version: runPlan.capsule.version, title: runPlan.capsule.title },
    run: { workflowId, tenant },
    memory: memory.values,
    ...(input.trigger ? { trigger: input.trigger as unknown as Record<string, unknown> } : {}),
  });

  type StepOutput = { value: JsonValue; failed?: undefined } | { failed: { type: string; reason: string } };

  const runPersonaStep = async (
    step: PersonaPlanStep,
    childWorkflowId: string,
    childLimits: RunLimits,
  ): Promise<StepOutput> => {
    const persona = runPlan.personas[step.persona];
    if (!persona) {
      return {
        failed: { type: WORKFLOW_ERROR_TYPES.InvalidPlan, reason: `unknown persona alias "${step.persona}"` },
      };
    }
    const instruction = renderInstruction(step.instruction, templateContext());
    record({
      type: 'persona.started',
      at: now(),
      workflowId: childWorkflowId,
      stepId: step.id,
      personaId: persona.id,
      parentWorkflowId: workflowId,
      depth: depth + 1,
    });
    const result = await executeChild(personaWorkflow, {
      workflowId: childWorkflowId,
      retry: CHILD_WORKFLOW_RETRY_POLICY,
      searchAttributes: {
        [SEARCH_ATTRIBUTES.persona.name]: [persona.id],
        [SEARCH_ATTRIBUTES.tenant.name]: [tenant],
        ...(shown.enabled ? { [SEARCH_ATTRIBUTES.step.name]: [step.id] } : {}),
      },
      ...(shown.enabled
        ? {
            staticSummary: personaSummary(persona, step.id),
            staticDetails: `Step **${step.id}** of ${runSummary(runPlan.capsule, tenant)}.`,
          }
        : {}),
      args: [
        {
          rootWorkflowId,
          parentWorkflowId: workflowId,
          stepId: step.id,
          tenant,
          capsule: { id: runPlan.capsule.id, version: runPlan.capsule.version },
          persona: {
            alias: persona.alias,
            id: persona.id,
            version: persona.version,
            systemPrompt: persona.systemPrompt,
            model: step.model,
            temperature: persona.temperature,
            // From the persona template; plans compiled before templates had `trust` lack it.
            trustLevel: persona.trust ?? DEFAULT_PERSONA_TRUST,
            maxTurns: step.maxTurns,
          },
          instruction,
          ...(step.output ? { output: step.output } : {}),
          guardrails: runPlan.guardrails,
          limits: childLimits,
          depth: depth + 1,
          taint,
        },
      ],
    });
    ledger.rollUp(childWorkflowId, result.usage);
    taint = mergeTaint(taint, result.taint);
    addArtifacts(result.artifacts);
    // No `usage` event from `result.usage` here: it includes the child's delegates, which report
    // their own usage to this root run, so it would count them twice. Every persona (this child
    // too) reports its own usage with `usageReportSignal` before it completes.
    record({ type: 'persona.finished', at: now(), workflowId: childWorkflowId, state: result.status });
    for (const decision of ['allow', 'review', 'deny'] as const) {
      for (let i = 0; i < result.decisions[decision]; i++)
        record({ type: 'gate.decision', at: now(), decision });
    }
    if (result.status !== 'final') {
      const type =
        result.status === 'max_turns'
          ? WORKFLOW_ERROR_TYPES.MaxTurnsReached
          : result.status === 'budget_exhausted'
            ? WORKFLOW_ERROR_TYPES.BudgetExceeded
            : result.status === 'invalid_output'
              ? WORKFLOW_ERROR_TYPES.OutputSchemaMismatch
              : WORKFLOW_ERROR_TYPES.RunCancelled;
      return { failed: { type, reason: result.reason } };
    }
    return { value: result.output };
  };

  const runCapsuleStep = async (
    step: CapsulePlanStep,
    childWorkflowId: string,
    childLimits: RunLimits,
  ): Promise<StepOutput> => {
    const result = await executeChild(capsuleWorkflow, {
      workflowId: childWorkflowId,
      retry: CHILD_WORKFLOW_RETRY_POLICY,
      args: [
        {
          capsule: step.ref,
          plan: step.plan as unknown as { [key: string]: JsonValue },
          params: renderParams(step.params, templateContext()),
          tenant,
          trigger: { kind: trigger },
          parent: { workflowId, runId: info.runId, stepId: step.id, depth, rootWorkflowId },
          limits: childLimits,
          taint,
        },
      ],
    });
    ledger.rollUp(childWorkflowId, result.usage);
    taint = mergeTaint(taint, result.taint);
    addArtifacts(result.artifacts);
    if (result.status !== 'completed') {
      return {
        failed: { type: WORKFLOW_ERROR_TYPES.StepFailed, reason: `nested capsule run ${result.status}` },
      };
    }
    return { value: result.steps as unknown as JsonValue };
  };

  /** Files steps wrote, latest write of a path first-seen order kept; reported with the result. */
  const addArtifacts = (refs: readonly ArtifactRef[]) => {
    for (const ref of refs) {
      const existing = artifacts.findIndex((a) => a.path === ref.path);
      if (existing >= 0) artifacts[existing] = { ...ref };
      else artifacts.push({ ...ref });
    }
  };

  while (!scheduler.done) {
    // Reset before starting steps: a step can settle synchronously (spawn denied) and set it.
    changed = false;
    if (cancelled && !cancelHandled) {
      cancelHandled = true;
      const reason = `run cancelled${cancelled.by ? ` by ${cancelled.by}` : ''}${cancelled.reason ? `: ${cancelled.reason}` : ''}`;
      for (const skipped of scheduler.skipPending(reason)) {
        errorTypes[skipped] = WORKFLOW_ERROR_TYPES.RunCancelled;
        record({ type: 'step.skipped', at: now(), stepId: skipped, reason });
      }
      for (const scope of scopes.values()) scope.cancel();
    }
    if (!cancelled) {
      for (const step of scheduler.takeReady()) {
        const scope = new CancellationScope();
        scopes.set(step.id, scope);
        void scope.run(() => runStep(step));
      }
    }
    if (scheduler.done) break;
    await condition(() => changed || (cancelled !== undefined && !cancelHandled));
  }

  const steps = scheduler.snapshot();
  const runStatus: CapsuleRunResult['status'] = cancelled
    ? 'cancelled'
    : steps.every((s) => s.state === 'succeeded')
      ? 'completed'
      : 'failed';
  record({ type: 'run.finished', at: now(), status: runStatus });
  const honest = patched(HONEST_RUN_OUTCOME_PATCH);
  const result = buildRunResult(status, {
    status: runStatus,
    workflowId,
    runId: info.runId,
    capsule: { id: runPlan.capsule.id, version: runPlan.capsule.version },
    outputs,
    errorTypes,
    artifacts: honest ? artifacts : [],
    taint,
    finishedAt: now(),
  });
  if (!honest) return result;
  const cancelReason = cancelled
    ? `run cancelled${cancelled.by ? ` by ${cancelled.by}` : ''}${cancelled.reason ? `: ${cancelled.reason}` : ''}`
    : undefined;
  upsertMemo({ outcome: runOutcomeMemo(result, runPlan, cancelReason) });
  if (runStatus === 'completed') return result;
  const failed = firstFailure(result, runPlan, cancelReason);
  throw ApplicationFailure.create({
    type: failed.type,
    message: failed.message,
    nonRetryable: true,
    details: [result],
  });
}

/**
 * Why a run did not complete, for the failure that ends it: the first failed step in plan order
 * (skipped steps only follow from it), with its error type, or the cancellation.
 */
function firstFailure(
  result: CapsuleRunResult,
  plan: CapsulePlan,
  cancelReason: string | undefined,
): { type: string; message: string } {
  if (cancelReason !== undefined) return { type: WORKFLOW_ERROR_TYPES.RunCancelled, message: cancelReason };
  const failed = plan.steps.filter((s) => result.steps[s.id]?.state === 'failed');
  const first = failed[0];
  const error = first ? result.steps[first.id]?.error : undefined;
  if (first && error) {
    const others = failed.length - 1;
    const skipped = plan.steps.filter((s) => result.steps[s.id]?.state === 'skipped').length;
    const tail = [
      others > 0 ? `${others} more step${others === 1 ? '' : 's'} failed` : '',
      skipped > 0 ? `${skipped} step${skipped === 1 ? '' : 's'} skipped` : '',
    ].filter((t) => t.length > 0);
    return {
      type: error.type,
      message: `step "${first.id}" failed: ${error.type}: ${error.message}${tail.length > 0 ? ` (${tail.join(', ')})` : ''}`,
    };
  }
  const withError = Object.values(result.steps).find((s) => s.error);
  return {
    type: WORKFLOW_ERROR_TYPES.CapsuleRunFailed,
    message: withError?.error?.message ?? `capsule run ${result.status}`,
  };
}

/** A short outcome for the memo, so lists and the Web UI show how a run ended without the result. */
function runOutcomeMemo(
  result: CapsuleRunResult,
  plan: CapsulePlan,
  cancelReason: string | undefined,
): { [key: string]: JsonValue } {
  const steps: { [id: string]: JsonValue } = {};
  for (const [id, step] of Object.entries(result.steps)) {
    steps[id] = step.error ? `${step.state}: ${step.error.type}` : step.state;
  }
  return {
    status: result.status,
    ...(result.status === 'completed'
      ? {}
      : { failure: firstFailure(result, plan, cancelReason).message.slice(0, 500) }),
    steps,
    artifacts: result.artifacts.map((a) => a.path),
    usage: { ...result.usage },
  };
}

/** The capsule id and range (or inline id and version) as the run first knows it. */
function capsuleRef(capsule: CapsuleWorkflowInput['capsule']): { id: string; version: string } {
  if (typeof capsule === 'string') {
    const at = capsule.indexOf('@');
    return { id: capsule.slice(0, at), version: capsule.slice(at + 1) };
  }
  const id = typeof capsule.id === 'string' && capsule.id.length > 0 ? capsule.id : 'inline';
  const version =
    typeof capsule.version === 'string' && capsule.version.length > 0 ? capsule.version : '0.0.0';
  return { id, version };
}

/** A nested run's root (the parent stands in for it when an older parent did not say). */
function rootOf(input: CapsuleWorkflowInput): string {
  return input.parent?.rootWorkflowId ?? input.parent?.workflowId ?? workflowInfo().workflowId;
}

/** Defaults of the plan's declared parameters. */
function paramDefaults(plan: CapsulePlan): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(plan.params ?? {})) {
    if (spec.default !== undefined) defaults[name] = spec.default;
  }
  return defaults;
}

/** A composite step's parameter bindings, their `{{ }}` templates rendered over the parent's context. */
function renderParams(
  bindings: CapsulePlanStep['params'],
  context: InstructionContext,
): Record<string, JsonValue> {
  const rendered: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(bindings)) {
    rendered[name] =
      typeof value === 'string'
        ? renderInstruction(value, context)
        : Array.isArray(value)
          ? value.map((item) => renderInstruction(item, context))
          : value;
  }
  return rendered;
}
