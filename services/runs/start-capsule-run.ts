import { createHash } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { bindParams, type Capsule } from '../../capsules';
import type { VersionRecord } from '../../capsules/registry/registry-store';
import { inputFilesIssues, inputPathProblem, type RunInputFile } from '../../workflows/shared/run-inputs';
import { WORKFLOW_TYPES } from '../../workflows/shared/constants';
import type { RunIdentity } from '../../workflows/shared/identity';
import { asCaller, identityForwardingClient } from '../identity';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import { runSummary } from '../../workflows/shared/run-summary';
import type { CapsuleTrigger, CapsuleWorkflowInput, JsonValue } from '../../workflows/shared/types';
import { CapsuleRunRequestError } from './errors';

/**
 * Starts a capsule run the way every entry point does (gateway, CLI, event triggers): resolves
 * the capsule reference in the registry, checks parameters and input files against the capsule
 * before anything starts, pins the resolved version, and starts `capsuleWorkflow` with its search
 * attributes and memo set from the first event, so the Web UI and visibility filters see the run
 * at once.
 *
 * Idempotency: a caller's request id (or an event id) maps to one workflow id per tenant, and no
 * second run may take an id, running or closed, so a retried request returns the run the first
 * attempt started, never a second one. Reusing a request id for different input is refused
 * rather than silently answered with the other run.
 */

/** What the registry lookup needs: the capsule registry's `show`. */
export interface CapsuleLookup {
  show<T>(kind: 'capsule', ref: string): Promise<VersionRecord<T> | undefined>;
}

export interface StartCapsuleRunRequest {
  /** `id@range`, e.g. `meetings.transcript-summary@^1`. */
  capsule: string;
  params?: Record<string, unknown>;
  files?: RunInputFile[];
  tenant: string;
  trigger: CapsuleTrigger;
  /** Idempotency key: the same key (per tenant) always names the same run. */
  requestId?: string;
  /** An explicit workflow id (CLI `--workflow-id`); wins over `requestId`. */
  workflowId?: string;
  /** The registry record of `capsule` when the caller has looked it up already. */
  resolved?: VersionRecord<Capsule>;
  /**
   * The verified caller the run acts for (the gateway's token holder, an event's publisher): sent
   * in the identity header, so the run's tenant is checked against it. Omitted: no header (a
   * Temporal frontend in auth mode stamps the start call's own token).
   */
  caller?: RunIdentity;
}

export interface StartedCapsuleRun {
  workflowId: string;
  runId: string;
  capsule: { id: string; version: string };
}

export interface StartCapsuleRunDeps {
  client: Client;
  registry: CapsuleLookup;
  taskQueue: string;
  /** Random suffix source for runs without a request id (tests pin it). */
  randomSuffix?: () => string;
}

/** The run's details in the Web UI (markdown): the capsule's title and who or what started it. */
function runStartDetails(record: VersionRecord<Capsule>, request: StartCapsuleRunRequest): string {
  const { trigger } = request;
  const source =
    trigger.kind === 'schedule' && trigger.scheduleId
      ? `schedule \`${trigger.scheduleId}\``
      : trigger.kind === 'event' && trigger.event
        ? `event \`${trigger.event.type}\``
        : trigger.kind;
  const lines = [
    `**${record.document.title}** (\`${record.id}@${record.version}\`)`,
    '',
    `Started by ${source}${trigger.by ? ` for \`${trigger.by}\`` : ''}, tenant \`${request.tenant}\`.`,
  ];
  if (request.requestId !== undefined) lines.push(`Request id \`${request.requestId}\`.`);
  return lines.join('\n');
}

const REF = /^([^@\s]+)@(\S.*)$/;

/** Workflow id of the run a tenant's request id names: readable prefix, collision-proof hash. */
export function requestWorkflowId(capsuleId: string, tenant: string, requestId: string): string {
  const digest = createHash('sha256').update(`${tenant}\n${requestId}`).digest('hex').slice(0, 24);
  return `${capsuleId}-${digest}`;
}

/** Digest of what was asked for: a reused request id must carry the same request. */
function requestDigest(request: StartCapsuleRunRequest): string {
  return createHash('sha256')
    .update(
      JSON.stringify({ capsule: request.capsule, params: request.params ?? {}, files: request.files ?? [] }),
    )
    .digest('hex');
}

/** Resolves, validates and starts; @throws {CapsuleRunRequestError} before anything starts. */
export async function startCapsuleRun(
  {
    client,
    registry,
    taskQueue,
    randomSuffix = () => Math.random().toString(36).slice(2, 10),
  }: StartCapsuleRunDeps,
  request: StartCapsuleRunRequest,
): Promise<StartedCapsuleRun> {
  if (!REF.test(request.capsule)) {
    throw new CapsuleRunRequestError(
      'invalid_argument',
      'capsule',
      `expected a capsule reference id@range, e.g. meetings.transcript-summary@^1 (got "${request.capsule}")`,
    );
  }
  const record = request.resolved ?? (await registry.show<Capsule>('capsule', request.capsule));
  if (!record) {
    throw new CapsuleRunRequestError(
      'not_found',
      'capsule',
      `capsule ${request.capsule} not found: no published, non-deprecated version matches ` +
        '(publish it with `somagent capsule publish <file>`; `somagent capsule list` shows what is there)',
    );
  }
  const specs = record.document.params ?? {};
  const bound = bindParams(specs, request.params ?? {});
  if (bound.problems.length > 0) {
    const first = bound.problems[0]!;
    throw new CapsuleRunRequestError(
      'invalid_argument',
      `params.${first.param}`,
      `${record.id}@${record.version}: ${bound.problems.map((p) => `params.${p.param}: ${p.message}`).join('; ')}`,
    );
  }
  const files = request.files ?? [];
  const fileIssues = [
    ...files.flatMap((file, index) => {
      const problem = inputPathProblem(file.path);
      return problem ? [{ path: [index, 'path'], message: `workspace path ${problem}` }] : [];
    }),
    ...inputFilesIssues(files),
  ];
  if (fileIssues.length > 0) {
    const first = fileIssues[0]!;
    throw new CapsuleRunRequestError(
      'invalid_argument',
      ['files', ...first.path].join('.'),
      fileIssues.map((i) => `${['files', ...i.path].join('.')}: ${i.message}`).join('; '),
    );
  }

  const workflowId =
    request.workflowId ??
    (request.requestId !== undefined
      ? requestWorkflowId(record.id, request.tenant, request.requestId)
      : `${record.id}-${randomSuffix()}`);
  const digest = requestDigest(request);
  const input: CapsuleWorkflowInput = {
    capsule: `${record.id}@${record.version}`,
    ...(request.params && Object.keys(request.params).length > 0
      ? { params: request.params as { [key: string]: JsonValue } }
      : {}),
    ...(request.files && request.files.length > 0 ? { files: request.files } : {}),
    trigger: {
      ...request.trigger,
      ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    },
    tenant: request.tenant,
  };
  const capsule = { id: record.id, version: record.version };
  try {
    // A running or closed run holding the id makes the start fail: the fresh start (the common
    // case) costs one call, a retry one more to find the run and check it was the same request.
    const start = () =>
      (request.caller ? identityForwardingClient(client) : client).workflow.start(WORKFLOW_TYPES.capsule, {
        taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.capsuleId, value: record.id },
          { key: SEARCH_ATTRIBUTES.capsuleVersion, value: record.version },
          { key: SEARCH_ATTRIBUTES.tenant, value: request.tenant },
          { key: SEARCH_ATTRIBUTES.trigger, value: request.trigger.kind },
        ],
        memo: { capsule: `${record.id}@${record.version}`, requestDigest: digest },
        // What the Web UI's list and run header show of the run.
        staticSummary: runSummary(capsule, request.tenant),
        staticDetails: runStartDetails(record, request),
      });
    const handle = await (request.caller ? asCaller(request.caller, start) : start());
    return { workflowId, runId: handle.firstExecutionRunId, capsule };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    if (request.requestId === undefined && request.workflowId === undefined) throw err;
  }
  const { runId, memo } = await client.workflow.getHandle(workflowId).describe();
  if (memo?.requestDigest !== digest) {
    throw new CapsuleRunRequestError(
      'already_exists',
      request.requestId !== undefined ? 'request_id' : 'workflow_id',
      `${request.requestId !== undefined ? 'request id' : 'workflow id'} already names run ${workflowId}, ` +
        'started with a different capsule, parameters or files; use a new one for a new run',
    );
  }
  return { workflowId, runId, capsule };
}
