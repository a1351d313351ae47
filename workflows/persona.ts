import {
  ApplicationFailure,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExecutionActivities, SlmCompleteResult, SlmMessage, SlmToolCall } from '../activities';
import {
  SLM_ACTIVITY_OPTIONS,
  STORE_ACTIVITY_OPTIONS,
  TOOL_ACTIVITY_OPTIONS,
} from '../activities/shared/activity-options';
import { DEFAULT_PRICES, priceOf } from '../capsules/prices';
import { DELEGATE_TOOL, FINISH_TOOL, decideNextTurn, triageToolCalls, type ToolCall } from './agent-loop';
import { withApproval, type GrantedApproval } from './approval-interceptor';
import { IDENTITY_PATCH, receiveApproval } from './approval-proof';
import { startIdentity } from './identity-interceptor';
import { ApprovalRegistry, type ApprovalDecision, type PendingApproval } from './approvals';
import { BudgetLedger, type BudgetAmount } from './budget-ledger';
import {
  compact,
  needsCompaction,
  packContext,
  selectForCompaction,
  totalTokens,
  type ContextMessage,
} from './context-window';
import { describeFailure } from './failures';
import {
  compileOutputValidator,
  finishOutput,
  formatIssues,
  jsonFromText,
  outputInstruction,
  typedFinishTool,
  type OutputCheck,
} from './output-schema';
import { parsePersonaWorkflowInput } from './persona-input';
import { buildGateContext, recordGateOutcome } from './gate-context';
import { setGateContextProvider } from './gate-context-interceptor';
import {
  approvalRequestedSignal,
  approvalSettledSignal,
  approveSignal,
  cancelSignal,
  injectSignal,
  transcriptQuery,
  usageReportSignal,
  type InjectSignal,
} from './shared/definitions';
import { WORKFLOW_ERROR_TYPES } from './shared/errors';
import {
  CHILD_WORKFLOW_RETRY_POLICY,
  DEFAULT_APPROVAL_TIMEOUT,
  PERSONA_TURNS_BEFORE_CONTINUE_AS_NEW,
} from './shared/presets';
import { checkSpawn, withRemainingBudget } from './spawn-policy';
import { mergeTaint, taintFromResults } from './taint';
import type {
  ArtifactRef,
  DecisionsSummary,
  JsonValue,
  PersonaResult,
  PersonaWorkflowInput,
  Usage,
} from './shared/types';

/**
 * `personaWorkflow`: one persona's agent loop. Recall memory, then per turn: compact the context
 * when it passes 80 % of its budget (summary from `slmComplete` purpose `summary`), pack it,
 * reserve the call in the run's ledger, call the model, reconcile, and run its tool calls —
 * activities through the constitution gate, `delegate` as a child persona, `finish` ends the loop.
 * Gate outcomes never crash the loop: a denial goes back to the model as a tool error, a review
 * waits for an `approve` signal and re-schedules the same call with the approval header.
 */

/** Context budget when the input gives none (tokens). */
export const DEFAULT_CONTEXT_TOKENS = 16_000;
/** Cap on generated tokens per model call. */
export const PERSONA_MAX_OUTPUT_TOKENS = 1024;
/** Cap on generated tokens of a compaction summary. */
export const SUMMARY_MAX_OUTPUT_TOKENS = 512;
/** Tool results longer than this are cut before they enter the context (characters). */
export const TOOL_RESULT_MAX_CHARS = 20_000;
/** Memories recalled into the context at the start. */
export const RECALL_LIMIT = 5;
/** Answers off the step's output schema that get a correction turn before the step fails. */
export const MAX_OUTPUT_CORRECTIONS = 2;
/** Patch id: a model call in the gate's review band asks a human instead of failing the step. */
export const MODEL_CALL_APPROVAL_PATCH = 'persona-model-call-approval';

const SUMMARY_INSTRUCTION =
  'Summarize the conversation below for yourself: keep facts, decisions, tool results that matter, ' +
  'open questions and what remains to do. Be concise; this summary replaces the messages.';

/** A context message with what the model API needs to pair tool calls with their results. */
export interface PersonaMessage extends ContextMessage {
  toolCalls?: SlmToolCall[];
  toolCallId?: string;
  isError?: boolean;
}

const { slmComplete } = proxyActivities<ExecutionActivities>(SLM_ACTIVITY_OPTIONS);
const { executeTool, listTools } = proxyActivities<ExecutionActivities>(TOOL_ACTIVITY_OPTIONS);
const { memoryRecall } = proxyActivities<ExecutionActivities>(STORE_ACTIVITY_OPTIONS);

type StopStatus = PersonaResult['status'];

export async function personaWorkflow(rawInput: PersonaWorkflowInput): Promise<PersonaResult> {
  const input = parsePersonaWorkflowInput(rawInput);
  const info = workflowInfo();
  const { persona, tenant, capsule, guardrails, limits, carry } = input;
  const ownId = info.workflowId;
  const isRoot = input.rootWorkflowId === ownId;
  // New runs apply an approval only once `verifyApproval` holds its proof, and a persona started
  // by a client (not a child) acts only for its caller's tenant; replays of older runs do not.
  const identityProof = patched(IDENTITY_PATCH);
  const caller = startIdentity();
  if (
    identityProof &&
    info.parent === undefined &&
    caller.kind === 'identity' &&
    caller.identity.tenant !== undefined &&
    caller.identity.tenant !== tenant
  ) {
    throw ApplicationFailure.create({
      type: WORKFLOW_ERROR_TYPES.RunUnauthorized,
      message: `input.tenant "${tenant}" is not the caller's tenant: ${caller.identity.subject} acts for tenant "${caller.identity.tenant}"`,
      nonRetryable: true,
    });
  }
  const contextTokens = input.contextTokens ?? DEFAULT_CONTEXT_TOKENS;
  const model = splitModel(persona.model);
  const usdLimit =
    guardrails.maxSpendUsd === undefined
      ? limits.usd
      : limits.usd === null
        ? guardrails.maxSpendUsd
        : Math.min(limits.usd, guardrails.maxSpendUsd);

  const ledger = carry
    ? BudgetLedger.restore(carry.ledger)
    : new BudgetLedger({ tokens: limits.tokens, usd: usdLimit });
  const approvals = carry ? ApprovalRegistry.restore(ownId, carry.approvals) : new ApprovalRegistry(ownId);
  const settled = new Map<string, ApprovalDecision>();
  const decisions: DecisionsSummary = carry
    ? { ...carry.decisions }
    : { allow: 0, review: 0, deny: 0, approvalsGranted: 0, approvalsRejected: 0 };
  let messages: PersonaMessage[] = carry ? [...carry.messages] : [];
  let taint = mergeTaint(input.taint, carry?.taint);
  let turns = carry?.turns ?? 0;
  let childrenStarted = carry?.childrenStarted ?? 0;
  let summary = '';
  let denialHistory: boolean[] = [];
  let denials = { recent: 0, window: 0 };
  let cancelled = false;
  const injections: InjectSignal[] = [];

  // Compiled once per execution; the schema travels in the input (and across continue-as-new).
  const validateOutput = input.output ? compileOutputValidator(input.output) : undefined;
  let corrections = carry?.corrections ?? 0;
  const artifacts: ArtifactRef[] = carry?.artifacts ? [...carry.artifacts] : [];

  const deniedTools = new Set(guardrails.deniedTools ?? []);
  const allowedTools = limits.tools.filter((tool) => !deniedTools.has(tool));

  setGateContextProvider(() =>
    buildGateContext({
      tenant,
      capsule,
      persona: { id: persona.id, trustLevel: persona.trustLevel },
      guardrails,
      tools: allowedTools,
      spent: ledger.spent(),
      limits: ledger.getLimits(),
      taint,
      trainingMode: input.trainingMode ?? false,
      denials,
      workflowId: ownId,
      runId: info.runId,
      rootWorkflowId: input.rootWorkflowId,
      depth: input.depth,
    }),
  );

  setHandler(approveSignal, async (decision) => {
    if (identityProof) {
      const outcome = await receiveApproval(approvals, decision, {
        tenant,
        workflowId: ownId,
        runId: info.runId,
      });
      if (outcome.kind === 'applied') settled.set(outcome.decision.approvalId, outcome.decision);
      else if (outcome.kind === 'refused' && !isRoot) {
        // The root run lists the approval: it records the refusal where watchers see it.
        await getExternalWorkflowHandle(input.rootWorkflowId)
          .signal(approvalSettledSignal, {
            approvalId: decision.approvalId,
            approved: null,
            refused: outcome.reason,
          })
          .catch(() => undefined);
      }
      return;
    }
    const route = approvals.resolve(decision);
    if (route.kind === 'local') settled.set(decision.approvalId, decision);
    else if (route.kind === 'forward') {
      void getExternalWorkflowHandle(route.targetWorkflowId).signal(approveSignal, decision);
    }
  });
  setHandler(injectSignal, (signal) => {
    injections.push(signal);
  });
  setHandler(cancelSignal, () => {
    cancelled = true;
  });
  setHandler(transcriptQuery, () => ({
    workflowId: ownId,
    turns,
    summary,
    messages: messages.map((m) => ({ ...m })),
    pendingApprovals: approvals.list(),
  }));

  const gateOutcome = (denied: boolean) => {
    ({ history: denialHistory, denials } = recordGateOutcome(denialHistory, denied));
    if (denied) decisions.deny += 1;
    else decisions.allow += 1;
  };

  const reportUsage = async () => {
    if (isRoot) return;
    await getExternalWorkflowHandle(input.rootWorkflowId).signal(usageReportSignal, {
      workflowId: ownId,
      stepId: input.stepId,
      own: ownUsage(ledger.snapshot().own),
    });
  };

  if (!carry) {
    messages.push({ role: 'system', content: persona.systemPrompt });
    const recalled = await recallMemory();
    if (recalled) messages.push({ role: 'system', content: recalled });
    messages.push({
      role: 'user',
      content: input.output
        ? `${input.instruction}\n\n${outputInstruction(FINISH_TOOL, input.output)}`
        : input.instruction,
    });
  } else {
    summary = messages.find((m) => m.kind === 'summary')?.content ?? '';
  }

  const toolIds = [...new Set([...allowedTools, FINISH_TOOL])].filter(
    (id) => id !== DELEGATE_TOOL || limits.depth > 0,
  );
  const listed = await listTools({ ids: toolIds });
  const definitions = input.output
    ? listed.definitions.map((d) =>
        d.name === FINISH_TOOL ? typedFinishTool(FINISH_TOOL, input.output!) : d,
      )
    : listed.definitions;

  let finalAnswer: JsonValue | undefined;
  let stop: { status: StopStatus; reason: string } | undefined;
  let turnsThisExecution = 0;

  for (;;) {
    for (const injected of injections.splice(0)) {
      messages.push({ role: 'user', content: `Guidance from ${injected.by ?? 'a human'}: ${injected.text}` });
    }
    const decision = decideNextTurn({
      turns,
      turnsThisExecution,
      maxTurns: persona.maxTurns,
      continueAsNewAfter: PERSONA_TURNS_BEFORE_CONTINUE_AS_NEW,
      continueAsNewSuggested: workflowInfo().continueAsNewSuggested,
      finished: finalAnswer !== undefined,
      cancelled,
      remaining: ledger.remaining(),
      nextCallEstimate: estimateCall(
        Math.min(totalTokens(messages), contextTokens),
        PERSONA_MAX_OUTPUT_TOKENS,
      ),
    });
    if (decision.kind === 'stop') {
      stop = { status: decision.status, reason: decision.reason };
      break;
    }
    if (decision.kind === 'continue_as_new') {
      await reportUsage();
      return continueAsNew<typeof personaWorkflow>({
        ...input,
        taint,
        carry: {
          turns,
          messages,
          ledger: ledger.snapshot(),
          approvals: approvals.snapshot(),
          taint,
          childrenStarted,
          decisions,
          corrections,
          artifacts,
        },
      });
    }

    if (needsCompaction(messages, contextTokens)) {
      const compacted = await compactContext();
      if (compacted === 'budget') {
        stop = { status: 'budget_exhausted', reason: 'no budget left to summarize the context' };
        break;
      }
    }

    const packed = packContext(messages, contextTokens);
    const response = await callModel(
      `slm-${info.runId}-${turns}`,
      {
        messages: packed.messages.map(toSlmMessage),
        tools: definitions,
        maxOutputTokens: PERSONA_MAX_OUTPUT_TOKENS,
        temperature: persona.temperature,
        purpose: 'implementation',
      },
      estimateCall(packed.tokens, PERSONA_MAX_OUTPUT_TOKENS),
    );
    if (response.kind === 'budget') {
      stop = { status: 'budget_exhausted', reason: response.reason };
      break;
    }
    const result = response.result;
    turns += 1;
    turnsThisExecution += 1;
    await reportUsage();

    if (result.toolCalls.length === 0) {
      messages.push({ role: 'assistant', content: result.text, tokens: result.usage.outputTokens });
      if (!validateOutput) {
        finalAnswer = result.text;
        continue;
      }
      // A typed step answered in text: take the JSON in it, else ask for the `finish` call.
      const parsed = jsonFromText(result.text);
      const checked: OutputCheck =
        parsed === undefined
          ? {
              ok: false,
              issues: [{ path: '$', message: `expected a \`${FINISH_TOOL}\` call with the result` }],
            }
          : validateOutput(parsed);
      const verdict = acceptOutput(checked);
      if (verdict.kind === 'accepted') finalAnswer = verdict.value;
      else if (verdict.kind === 'retry') messages.push({ role: 'user', content: verdict.correction });
      else {
        stop = verdict.stop;
        break;
      }
      continue;
    }
    const group = `turn-${turns}`;
    messages.push({
      role: 'assistant',
      content: result.text,
      toolCalls: result.toolCalls,
      group,
    });
    const calls: ToolCall[] = result.toolCalls.map((c) => ({ id: c.id, tool: c.name, args: c.arguments }));
    const triaged = triageToolCalls(calls, allowedTools);
    const refused = new Map(triaged.refused.map((c) => [c.id, c.reason]));
    let budgetStop: string | undefined;
    let outputStop: { status: StopStatus; reason: string } | undefined;
    for (const [callIndex, call] of calls.entries()) {
      const reason = refused.get(call.id);
      if (reason !== undefined) {
        pushToolResult(call, `refused: ${reason}`, group, true);
      } else if (call.tool === FINISH_TOOL) {
        if (finalAnswer !== undefined || outputStop !== undefined) {
          pushToolResult(call, 'ignored: the task already finished', group, true);
        } else if (!validateOutput || !input.output) {
          finalAnswer = finishAnswer(call.args) ?? result.text;
          pushToolResult(call, 'finished', group, false);
        } else {
          const verdict = acceptOutput(validateOutput(finishOutput(input.output, call.args)));
          if (verdict.kind === 'accepted') {
            finalAnswer = verdict.value;
            pushToolResult(call, 'finished', group, false);
          } else if (verdict.kind === 'retry') {
            pushToolResult(call, verdict.correction, group, true);
          } else {
            outputStop = verdict.stop;
            pushToolResult(call, verdict.stop.reason, group, true);
          }
        }
      } else if (call.tool === DELEGATE_TOOL) {
        await delegate(call, group);
      } else if (budgetStop === undefined && !cancelled) {
        budgetStop = await runTool(call, callIndex, group);
      } else {
        const why = cancelled ? 'the run was cancelled' : 'the budget is exhausted';
        pushToolResult(call, `not run: ${why}`, group, true);
      }
    }
    if (outputStop !== undefined) {
      stop = outputStop;
      break;
    }
    if (budgetStop !== undefined && finalAnswer === undefined) {
      stop = { status: 'budget_exhausted', reason: budgetStop };
      break;
    }
  }

  await reportUsage();
  return {
    status: stop.status,
    reason: stop.reason,
    output: finalAnswer ?? lastAssistantText(messages),
    artifacts,
    usage: ownUsage(ledger.spent()),
    turns,
    taint,
    decisions: {
      ...decisions,
      approvalsGranted: approvals.counts().granted,
      approvalsRejected: approvals.counts().rejected,
    },
  };

  /**
   * What to do with a typed answer: accept it, give the model a correction turn quoting the
   * issues with their paths, or, after {@link MAX_OUTPUT_CORRECTIONS} corrections, stop.
   */
  function acceptOutput(
    checked: OutputCheck,
  ):
    | { kind: 'accepted'; value: JsonValue }
    | { kind: 'retry'; correction: string }
    | { kind: 'stop'; stop: { status: StopStatus; reason: string } } {
    if (checked.ok) return { kind: 'accepted', value: checked.value };
    const issues = formatIssues(checked.issues);
    if (corrections >= MAX_OUTPUT_CORRECTIONS) {
      return {
        kind: 'stop',
        stop: {
          status: 'invalid_output',
          reason: `the answer does not match the step's output schema after ${corrections + 1} tries: ${issues}`,
        },
      };
    }
    corrections += 1;
    return {
      kind: 'retry',
      correction:
        `Your result does not match the required output schema: ${issues}. ` +
        `Call \`${FINISH_TOOL}\` again with the corrected result (the whole result, every field).`,
    };
  }

  async function recallMemory(): Promise<string | undefined> {
    try {
      const { memories } = await memoryRecall({
        scope: { tenant, capsule: capsule.id, persona: persona.id },
        query: input.instruction.slice(0, 2000),
        limit: RECALL_LIMIT,
      });
      gateOutcome(false);
      if (memories.length === 0) return undefined;
      return `Relevant memories:\n${memories.map((m) => `- ${m.content}`).join('\n')}`;
    } catch (err) {
      // Memory is an aid, not a requirement: a denied or failing recall leaves it out.
      if (describeFailure(err).type === WORKFLOW_ERROR_TYPES.ConstitutionDenied) gateOutcome(true);
      return undefined;
    }
  }

  /** One model call under a ledger reservation; `budget` when the run or tenant cannot pay. */
  async function callModel(
    reservationId: string,
    request: Omit<Parameters<ExecutionActivities['slmComplete']>[0], 'tenant' | 'model' | 'runBudget'>,
    estimate: BudgetAmount,
  ): Promise<{ kind: 'ok'; result: SlmCompleteResult } | { kind: 'budget'; reason: string }> {
    const reserved = ledger.reserve(reservationId, estimate);
    if (!reserved.ok) return { kind: 'budget', reason: reserved.reason };
    const slmInput = {
      ...request,
      tenant,
      model,
      ...(usdLimit !== null
        ? { runBudget: { maxSpendUsd: usdLimit, spentUsd: ledger.spent().costUsd } }
        : {}),
    };
    let result: SlmCompleteResult;
    let approval: GrantedApproval | undefined;
    for (;;) {
      try {
        const granted = approval;
        result = await (granted
          ? withApproval('slmComplete', granted, () => slmComplete(slmInput))
          : slmComplete(slmInput));
        break;
      } catch (err) {
        const failure = describeFailure(err);
        const approvalId = failure.details?.approvalId;
        // A model call in the review band waits for a human like a tool call does, instead of
        // failing the step (runs recorded before this patch failed here; they replay as they ran).
        if (
          failure.type === WORKFLOW_ERROR_TYPES.ApprovalRequired &&
          approval === undefined &&
          typeof approvalId === 'string' &&
          patched(MODEL_CALL_APPROVAL_PATCH)
        ) {
          const answer = await askHuman(approvalId, failure, 'slmComplete');
          if ('granted' in answer) {
            approval = answer.granted;
            continue;
          }
          ledger.release(reservationId);
          throw ApplicationFailure.create({
            type: WORKFLOW_ERROR_TYPES.ApprovalRejected,
            message: `a human rejected the model call${answer.rejected}; the step cannot go on without it`,
            nonRetryable: true,
          });
        }
        ledger.release(reservationId);
        if (failure.type === WORKFLOW_ERROR_TYPES.BudgetExceeded)
          return { kind: 'budget', reason: failure.message };
        throw err;
      }
    }
    gateOutcome(false);
    ledger.reconcile(reservationId, {
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costUsd: result.costUsd,
    });
    return { kind: 'ok', result };
  }

  async function compactContext(): Promise<'ok' | 'budget'> {
    const { fold } = selectForCompaction(messages);
    if (fold.length === 0) return 'ok';
    const transcript = fold.map(renderForSummary).join('\n');
    const response = await callModel(
      `summary-${info.runId}-${turns}`,
      {
        messages: [
          { role: 'system', content: SUMMARY_INSTRUCTION },
          { role: 'user', content: transcript },
        ],
        maxOutputTokens: SUMMARY_MAX_OUTPUT_TOKENS,
        purpose: 'summary',
      },
      estimateCall(totalTokens(fold) + 64, SUMMARY_MAX_OUTPUT_TOKENS),
    );
    if (response.kind === 'budget') return 'budget';
    messages = compact(messages, { text: response.result.text, tokens: response.result.usage.outputTokens });
    summary = messages.find((m) => m.kind === 'summary')?.content ?? '';
    return 'ok';
  }

  /** Runs one tool call through the gate; returns a reason when the budget stops the loop. */
  async function runTool(call: ToolCall, callIndex: number, group: string): Promise<string | undefined> {
    const request = {
      toolId: call.tool,
      arguments: call.args,
      callIndex,
      context: {
        tenant,
        capsule: capsule.id,
        persona: persona.id,
        workspaceId: input.rootWorkflowId,
        ...(guardrails.allowedHosts ? { guardrails: { allowedHosts: guardrails.allowedHosts } } : {}),
      },
    };
    let approval: GrantedApproval | undefined;
    for (;;) {
      try {
        const granted = approval;
        const result = await (granted
          ? withApproval('executeTool', granted, () => executeTool(request))
          : executeTool(request));
        gateOutcome(false);
        taint = taintFromResults(taint, [dataClassesOf(result.output)]);
        if (call.tool === WORKSPACE_WRITE_TOOL) recordArtifact(result.output);
        pushToolResult(call, stringify(result.output), group, false);
        return undefined;
      } catch (err) {
        const failure = describeFailure(err);
        if (failure.type === WORKFLOW_ERROR_TYPES.ApprovalRequired && approval === undefined) {
          const approvalId = failure.details?.approvalId;
          if (typeof approvalId !== 'string') {
            decisions.review += 1;
            pushToolResult(
              call,
              `needs approval, but the gate gave no approval id: ${failure.message}`,
              group,
              true,
            );
            return undefined;
          }
          const answer = await askHuman(approvalId, failure, 'executeTool', call.tool);
          if ('rejected' in answer) {
            pushToolResult(call, `a human rejected this call${answer.rejected}`, group, true);
            return undefined;
          }
          approval = answer.granted;
          continue;
        }
        if (failure.type === WORKFLOW_ERROR_TYPES.ConstitutionDenied) {
          gateOutcome(true);
          pushToolResult(call, `denied by the constitution: ${failure.message}`, group, true);
          return undefined;
        }
        if (failure.type === WORKFLOW_ERROR_TYPES.BudgetExceeded) {
          pushToolResult(call, `not run: ${failure.message}`, group, true);
          return failure.message;
        }
        pushToolResult(call, `${failure.type}: ${failure.message}`, group, true);
        return undefined;
      }
    }
  }

  /**
   * Puts a review-band call (the gate's `ApprovalRequired` failure) before a human and waits.
   * Granted: the approval to re-schedule the call with; rejected: ` (by): comment` for the reason.
   */
  async function askHuman(
    approvalId: string,
    failure: ReturnType<typeof describeFailure>,
    activityType: string,
    toolId?: string,
  ): Promise<{ granted: GrantedApproval } | { rejected: string }> {
    decisions.review += 1;
    const decision = await awaitApproval({
      approvalId,
      workflowId: ownId,
      stepId: input.stepId,
      personaId: persona.id,
      activityType,
      ...(toolId !== undefined ? { toolId } : {}),
      reason: failure.message,
      requestedAt: new Date().toISOString(),
      ...(failure.details?.explanation !== undefined
        ? { explanation: failure.details.explanation as PendingApproval['explanation'] }
        : {}),
    });
    if (decision.approved) {
      return { granted: { approvalId, ...(decision.by !== undefined ? { approvedBy: decision.by } : {}) } };
    }
    return {
      rejected: `${decision.by ? ` (${decision.by})` : ''}${decision.comment ? `: ${decision.comment}` : ''}`,
    };
  }

  async function awaitApproval(pending: PendingApproval): Promise<ApprovalDecision> {
    approvals.add(pending);
    if (!isRoot) {
      await getExternalWorkflowHandle(input.rootWorkflowId).signal(approvalRequestedSignal, pending);
    }
    // A cancel ends the wait too: the call is then treated as rejected and the loop stops.
    await condition(() => settled.has(pending.approvalId) || cancelled, DEFAULT_APPROVAL_TIMEOUT);
    const decision = settled.get(pending.approvalId) ?? {
      approvalId: pending.approvalId,
      approved: false,
      comment: cancelled ? 'the run was cancelled' : 'no decision before the approval timeout',
    };
    const withdrawn = approvals.withdraw(pending.approvalId);
    settled.delete(pending.approvalId);
    if (!isRoot) {
      await getExternalWorkflowHandle(input.rootWorkflowId).signal(approvalSettledSignal, {
        approvalId: pending.approvalId,
        approved: withdrawn ? null : decision.approved,
        ...(!withdrawn && decision.by !== undefined ? { by: decision.by } : {}),
        ...(!withdrawn && decision.verified !== undefined ? { verified: decision.verified } : {}),
      });
    }
    return decision;
  }

  /** `delegate`: a child persona under the spawn policy; its answer becomes the call's result. */
  async function delegate(call: ToolCall, group: string): Promise<void> {
    const args = (call.args ?? {}) as { persona?: unknown; task?: unknown };
    const task = typeof args.task === 'string' ? args.task : '';
    const spawn = checkSpawn(
      withRemainingBudget(limits, ledger.remaining()),
      { started: childrenStarted, running: 0 },
      {},
    );
    if (!spawn.allowed || task.length === 0) {
      const reason = spawn.allowed ? '"task" must be a non-empty string' : spawn.reason;
      pushToolResult(call, `delegation refused: ${reason}`, group, true);
      return;
    }
    childrenStarted += 1;
    const childId = `${ownId}.d${childrenStarted}`;
    try {
      const child = await executeChild(personaWorkflow, {
        workflowId: childId,
        retry: CHILD_WORKFLOW_RETRY_POLICY,
        args: [
          {
            ...input,
            parentWorkflowId: ownId,
            instruction: typeof args.persona === 'string' ? `(acting as ${args.persona}) ${task}` : task,
            limits: spawn.limits,
            depth: input.depth + 1,
            taint,
            // A delegate answers its delegator in text; the step's schema applies to this persona.
            output: undefined,
            carry: undefined,
          },
        ],
      });
      ledger.rollUp(childId, child.usage);
      taint = mergeTaint(taint, child.taint);
      for (const artifact of child.artifacts) recordArtifact(artifact);
      pushToolResult(call, stringify(child.output), group, child.status !== 'final');
    } catch (err) {
      const failure = describeFailure(err);
      pushToolResult(call, `delegation failed: ${failure.type}: ${failure.message}`, group, true);
    }
  }

  /** A file the persona wrote: the latest write of a path wins. */
  function recordArtifact(output: unknown): void {
    if (output === null || typeof output !== 'object') return;
    const { path, bytes } = output as { path?: unknown; bytes?: unknown };
    if (typeof path !== 'string') return;
    const existing = artifacts.findIndex((a) => a.path === path);
    if (existing >= 0) artifacts.splice(existing, 1);
    artifacts.push({ stepId: input.stepId, path, ...(typeof bytes === 'number' ? { bytes } : {}) });
  }

  function pushToolResult(call: ToolCall, content: string, group: string, isError: boolean): void {
    messages.push({
      role: 'tool',
      toolCallId: call.id,
      content:
        content.length > TOOL_RESULT_MAX_CHARS ? `${content.slice(0, TOOL_RESULT_MAX_CHARS)}…` : content,
      group,
      ...(isError ? { isError } : {}),
    });
  }

  function estimateCall(promptTokens: number, maxOutput: number): BudgetAmount {
    const price = priceOf(DEFAULT_PRICES, persona.model);
    const usd = price ? (promptTokens * price.inputPerMTok + maxOutput * price.outputPerMTok) / 1e6 : 0;
    return { tokens: promptTokens + maxOutput, usd };
  }
}

function splitModel(model: string): { provider: string; model: string } {
  const slash = model.indexOf('/');
  return slash < 0
    ? { provider: model, model }
    : { provider: model.slice(0, slash), model: model.slice(slash + 1) };
}

function toSlmMessage(message: PersonaMessage): SlmMessage {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant':
      return message.toolCalls && message.toolCalls.length > 0
        ? { role: 'assistant', content: message.content, toolCalls: message.toolCalls }
        : { role: 'assistant', content: message.content };
    case 'tool':
      return {
        role: 'tool',
        toolCallId: message.toolCallId ?? '',
        content: message.content,
        ...(message.isError ? { isError: true } : {}),
      };
  }
}

function renderForSummary(message: PersonaMessage): string {
  const calls = message.toolCalls?.map((c) => `${c.name}(${stringify(c.arguments)})`).join(', ');
  return `${message.role}${message.isError ? ' (error)' : ''}: ${message.content}${calls ? ` [calls: ${calls}]` : ''}`;
}

function finishAnswer(args: unknown): string | undefined {
  if (args !== null && typeof args === 'object' && 'result' in args) {
    const result = args.result;
    return typeof result === 'string' ? result : stringify(result);
  }
  return undefined;
}

function dataClassesOf(output: unknown): { dataClasses?: readonly string[] } {
  if (output !== null && typeof output === 'object' && 'dataClasses' in output) {
    const classes = output.dataClasses;
    if (Array.isArray(classes))
      return { dataClasses: classes.filter((c): c is string => typeof c === 'string') };
  }
  return {};
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
}

/** Tool whose successful calls are the persona's artifacts. */
const WORKSPACE_WRITE_TOOL = 'workspace.write';

function lastAssistantText(messages: readonly PersonaMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role === 'assistant' && message.content.length > 0) return message.content;
  }
  return '';
}

function ownUsage(usage: Usage): Usage {
  return { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: usage.costUsd };
}
