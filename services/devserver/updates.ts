import { appendEvent, scheduleWorkflowTask, type EngineContext } from './context';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from './errors';
import { eventAttributes } from './history';
import { decodeMessage, messageType, packAny, type Msg } from './proto';
import { RUNNING, type Run } from './state';

/**
 * Workflow update (DEVSERVER.md §5.10): the per-run registry of updates, their delivery as
 * protocol messages on workflow tasks, and the worker's answers turned into history.
 *
 * Durability follows the real server: an update becomes durable when it is accepted — the
 * `WorkflowExecutionUpdateAccepted` / `…Completed` events are the record. Admitted requests and
 * rejections live only in memory (the registry below); after a restart the registry is rebuilt
 * lazily from history, and a client still waiting for an admitted update re-sends it (the SDK
 * loops until the stage is at least ACCEPTED).
 */

/** Lifecycle stages in the API's order; the response's `stage` field. */
export const STAGE = {
  unspecified: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED',
  admitted: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED',
  accepted: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED',
  completed: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED',
} as const;

const STAGE_RANK: Record<string, number> = {
  [STAGE.unspecified]: 0,
  [STAGE.admitted]: 1,
  [STAGE.accepted]: 2,
  [STAGE.completed]: 3,
};

/** Rank of a lifecycle stage name (unknown / unset = 0). */
export function stageRank(stage: unknown): number {
  return STAGE_RANK[String(stage)] ?? 0;
}

/** The failures the real server writes into outcomes it decides itself (not the workflow). */
const SERVER_FAILURES = {
  unprocessed: {
    message:
      "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
    source: 'Server',
    applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
  },
  workflowClosed: {
    message: 'Workflow Update failed because the Workflow completed before the Update completed.',
    source: 'Server',
    applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
  },
} as const;

/** Workflow task attempts from which new updates fail fast (the workflow is crash-looping). */
const FAIL_UPDATE_AT_WORKFLOW_TASK_ATTEMPT = 3;

/** One update of one run, as far as this process knows it. */
interface UpdateRecord {
  updateId: string;
  /** The `temporal.api.update.v1.Request`; null for records rebuilt from history. */
  request: Msg | null;
  /** Scheduled event id of the workflow task that carried the request; 0 = not delivered yet. */
  deliveredIn: number;
  /** `WorkflowExecutionUpdateAccepted` event id; 0 = not accepted. */
  acceptedEventId: number;
  /** Set once completed (response or rejection). */
  outcome: Msg | null;
}

/** What a caller learns about an update: its stage and, once completed, the outcome. */
export interface UpdateView {
  stage: string;
  outcome?: Msg;
}

/** Runtime-only registry per in-memory run (rebuilt from history after a restart). */
const registries = new WeakMap<Run, Map<string, UpdateRecord>>();

function registry(run: Run): Map<string, UpdateRecord> {
  let updates = registries.get(run);
  if (!updates) {
    updates = new Map();
    registries.set(run, updates);
  }
  return updates;
}

/** Runs whose registry already holds every update of their history. */
const loadedFromHistory = new WeakSet<Run>();

/**
 * Fills the registry from the run's history once per in-memory run (after a restart, or for a
 * run loaded from the store): every later acceptance or completion goes through the registry.
 */
function loadFromHistory(run: Run, updates: Map<string, UpdateRecord>): void {
  loadedFromHistory.add(run);
  const byAcceptedEventId = new Map<number, UpdateRecord>();
  for (const event of run.events) {
    if (event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED') {
      const attrs = eventAttributes(event);
      const updateId = attrs.protocolInstanceId as string;
      if (updates.has(updateId)) continue;
      const record: UpdateRecord = {
        updateId,
        request: (attrs.acceptedRequest as Msg | undefined) ?? null,
        deliveredIn: 0,
        acceptedEventId: event.eventId,
        outcome: null,
      };
      updates.set(updateId, record);
      byAcceptedEventId.set(event.eventId, record);
    } else if (event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED') {
      const attrs = eventAttributes(event);
      const record = byAcceptedEventId.get(attrs.acceptedEventId as number);
      if (record) record.outcome = (attrs.outcome as Msg | undefined) ?? {};
    }
  }
}

/** Finds an update in memory (the registry, filled from history on first use). */
function findUpdate(run: Run, updateId: string): UpdateRecord | undefined {
  const updates = registry(run);
  if (!loadedFromHistory.has(run)) loadFromHistory(run, updates);
  return updates.get(updateId);
}

/**
 * Where an update stands. An admitted update of a run that closed before accepting it is
 * NOT_FOUND (the real server's "workflow execution already completed"); an accepted one that
 * never completed gets the server's "completed before the update" failure as its outcome.
 */
export function viewUpdate(run: Run, updateId: string): UpdateView | undefined {
  const record = findUpdate(run, updateId);
  if (!record) return undefined;
  if (record.outcome) return { stage: STAGE.completed, outcome: record.outcome };
  const open = run.state.status === RUNNING;
  if (record.acceptedEventId > 0) {
    return open
      ? { stage: STAGE.accepted }
      : { stage: STAGE.completed, outcome: { failure: SERVER_FAILURES.workflowClosed } };
  }
  if (!open) throw new NotFoundError('workflow execution already completed');
  return { stage: STAGE.admitted };
}

/** Checks the fields an update request needs; INVALID_ARGUMENT names the first missing one. */
export function validateUpdateRequest(req: Msg, prefix = ''): void {
  const execution = req.workflowExecution as { workflowId?: string } | undefined;
  if (!execution?.workflowId)
    throw new InvalidArgumentError(`${prefix}workflowExecution.workflowId is required`);
  const request = req.request as { meta?: { updateId?: string }; input?: { name?: string } } | undefined;
  if (!request?.meta?.updateId)
    throw new InvalidArgumentError(
      `${prefix}request.meta.updateId is required (a unique id for this update)`,
    );
  if (!request.input?.name)
    throw new InvalidArgumentError(`${prefix}request.input.name is required (the update handler to run)`);
}

/**
 * Registers an update request on an open run (a request with a known id joins the existing
 * update) and makes sure a workflow task will carry it: a scheduled task takes it along, a
 * started one is followed by another.
 */
export function admitUpdate(ctx: EngineContext, run: Run, request: Msg): void {
  const updateId = (request.meta as { updateId: string }).updateId;
  if (run.state.status !== RUNNING) {
    // A finished run still answers for an update it knows (same id, same outcome).
    if (findUpdate(run, updateId)) return;
    throw new NotFoundError('workflow execution already completed');
  }
  if (findUpdate(run, updateId)) return;
  if ((run.state.workflowTask?.attempt ?? 1) >= FAIL_UPDATE_AT_WORKFLOW_TASK_ATTEMPT) {
    throw new FailedPreconditionError(
      'Unable to perform workflow execution update due to Workflow Task in failed state.',
    );
  }
  registry(run).set(updateId, { updateId, request, deliveredIn: 0, acceptedEventId: 0, outcome: null });
  scheduleWorkflowTask(ctx, run);
}

/** True while an admitted request waits for a workflow task (a closing command must not win). */
export function hasUndeliveredUpdates(run: Run): boolean {
  for (const record of registries.get(run)?.values() ?? [])
    if (record.deliveredIn === 0 && record.acceptedEventId === 0 && !record.outcome && record.request)
      return true;
  return false;
}

/**
 * The protocol messages a starting workflow task carries: every admitted request not delivered
 * yet, sequenced after the event just before `WorkflowTaskStarted` (core insists on the id).
 */
export function takeUpdateMessages(run: Run, scheduledEventId: number, startedEventId: number): Msg[] {
  const messages: Msg[] = [];
  for (const record of registries.get(run)?.values() ?? []) {
    if (record.deliveredIn !== 0 || record.acceptedEventId !== 0 || record.outcome || !record.request)
      continue;
    record.deliveredIn = scheduledEventId;
    messages.push({
      id: `${record.updateId}/request`,
      protocolInstanceId: record.updateId,
      eventId: startedEventId - 1,
      body: packAny('temporal.api.update.v1.Request', record.request),
    });
  }
  return messages;
}

/** A failed or timed-out workflow task: its requests go out again on the next attempt. */
export function redeliverUpdates(run: Run, scheduledEventId: number): void {
  for (const record of registries.get(run)?.values() ?? [])
    if (record.deliveredIn === scheduledEventId && record.acceptedEventId === 0) record.deliveredIn = 0;
}

const BODY_TYPES = ['Acceptance', 'Rejection', 'Response'] as const;
type BodyType = (typeof BODY_TYPES)[number];

interface IncomingMessage {
  id: string;
  protocolInstanceId: string;
  type: BodyType;
  body: Msg;
}

/** The worker's protocol messages of one `RespondWorkflowTaskCompleted`, applied in order. */
export interface UpdateReplies {
  /** `[cause, message]` when a message or PROTOCOL_MESSAGE command is malformed. */
  problem?: [string, string];
  /** Writes the event of the message a PROTOCOL_MESSAGE command points at, where it stands. */
  applyCommand(ctx: EngineContext, command: Msg): void;
  /** Applies messages no command placed (rejections) and rejects requests the worker ignored. */
  finish(ctx: EngineContext): void;
}

const BAD_MESSAGE = 'WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE';

function decodeIncoming(raw: Msg, index: number): IncomingMessage | string {
  const body = raw.body as { type_url?: string; value?: Buffer } | undefined;
  const typeName = body?.type_url?.slice(body.type_url.lastIndexOf('/') + 1) ?? '';
  const type = BODY_TYPES.find((t) => typeName === `temporal.api.update.v1.${t}`);
  if (!type || !body?.value) {
    return `messages[${index}].body: expected a temporal.api.update.v1 Acceptance, Rejection or Response, got ${typeName || 'nothing'}`;
  }
  if (!raw.id) return `messages[${index}].id is required`;
  return {
    id: raw.id as string,
    protocolInstanceId: (raw.protocolInstanceId as string | undefined) ?? '',
    type,
    body: decodeMessage(messageType(`temporal.api.update.v1.${type}`), body.value),
  };
}

/**
 * Reads the protocol messages of a workflow-task completion. Validation happens here, before
 * anything is written, so a bad message fails the task instead of leaving half its effects.
 */
export function readUpdateReplies(run: Run, req: Msg, scheduledEventId: number): UpdateReplies {
  const byId = new Map<string, IncomingMessage>();
  const rawMessages = (req.messages ?? []) as Msg[];
  let problem: [string, string] | undefined;
  rawMessages.forEach((raw, index) => {
    const decoded = decodeIncoming(raw, index);
    if (typeof decoded === 'string') problem ??= [BAD_MESSAGE, decoded];
    else byId.set(decoded.id, decoded);
  });
  const commands = (req.commands ?? []) as Msg[];
  commands.forEach((command, index) => {
    if (command.commandType !== 'COMMAND_TYPE_PROTOCOL_MESSAGE') return;
    const messageId = (command.protocolMessageCommandAttributes as { messageId?: string } | undefined)
      ?.messageId;
    if (!messageId || !byId.has(messageId)) {
      problem ??= [
        BAD_MESSAGE,
        `commands[${index}]: ProtocolMessageCommandAttributes.messageId ${messageId ?? '(unset)'} names no message of this completion`,
      ];
    }
  });
  const acceptedHere = new Set<string>();
  for (const message of byId.values()) {
    if (message.type === 'Acceptance') {
      if (findUpdate(run, message.protocolInstanceId)?.acceptedEventId)
        problem ??= [
          BAD_MESSAGE,
          `message ${message.id}: update ${message.protocolInstanceId} is already accepted`,
        ];
      acceptedHere.add(message.protocolInstanceId);
    }
    if (message.type !== 'Response') continue;
    const updateId =
      (message.body.meta as { updateId?: string } | undefined)?.updateId || message.protocolInstanceId;
    const known = findUpdate(run, updateId);
    if (known?.outcome)
      problem ??= [BAD_MESSAGE, `message ${message.id}: update ${updateId} is already completed`];
    if (!acceptedHere.has(updateId) && !(known?.acceptedEventId ?? 0)) {
      problem ??= [
        BAD_MESSAGE,
        `message ${message.id}: a Response for update ${updateId}, which was never accepted`,
      ];
    }
  }
  const applied = new Set<string>();

  const apply = (ctx: EngineContext, message: IncomingMessage): void => {
    if (applied.has(message.id)) return;
    applied.add(message.id);
    const updates = registry(run);
    switch (message.type) {
      case 'Acceptance': {
        const body = message.body;
        const updateId = message.protocolInstanceId;
        const acceptedEventId = appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED', {
          protocolInstanceId: updateId,
          acceptedRequestMessageId: body.acceptedRequestMessageId,
          acceptedRequestSequencingEventId: body.acceptedRequestSequencingEventId,
          acceptedRequest: body.acceptedRequest,
        });
        // A request admitted before a restart is not in memory any more; the acceptance carries it.
        const record = findUpdate(run, updateId) ?? {
          updateId,
          request: (body.acceptedRequest as Msg | undefined) ?? null,
          deliveredIn: scheduledEventId,
          acceptedEventId: 0,
          outcome: null,
        };
        record.acceptedEventId = acceptedEventId;
        updates.set(updateId, record);
        return;
      }
      case 'Response': {
        const meta = (message.body.meta as { updateId?: string } | undefined) ?? {};
        const updateId = meta.updateId || message.protocolInstanceId;
        const record = findUpdate(run, updateId);
        const outcome = (message.body.outcome as Msg | undefined) ?? {};
        appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED', {
          meta: message.body.meta,
          acceptedEventId: record?.acceptedEventId ?? 0,
          outcome,
        });
        if (record) record.outcome = outcome;
        return;
      }
      case 'Rejection': {
        // No event: a rejected update leaves no trace in history beyond its workflow task.
        const record = findUpdate(run, message.protocolInstanceId);
        if (record && record.acceptedEventId === 0 && !record.outcome)
          record.outcome = { failure: message.body.failure ?? { message: 'update rejected' } };
        return;
      }
    }
  };

  return {
    ...(problem ? { problem } : {}),
    applyCommand(ctx, command) {
      const messageId = (command.protocolMessageCommandAttributes as { messageId: string }).messageId;
      const message = byId.get(messageId);
      if (message) apply(ctx, message);
    },
    finish(ctx) {
      for (const message of byId.values()) apply(ctx, message);
      for (const record of registries.get(run)?.values() ?? []) {
        if (record.deliveredIn === scheduledEventId && record.acceptedEventId === 0 && !record.outcome)
          record.outcome = { failure: SERVER_FAILURES.unprocessed };
      }
    },
  };
}
