import type { Metadata } from '@grpc/grpc-js';
import {
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
  status,
} from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { JwtVerifier } from '../auth';
import type { Logger } from '../logger';
import { type CapsuleLookup, startCapsuleRun } from '../runs';
import {
  approveSignal,
  cancelSignal,
  injectSignal,
  reviewSignal,
  statusQuery,
} from '../../workflows/shared/definitions';
import type { RunStatus } from '../../workflows/status';
import { reviewApprovalId } from '../../workflows/shared/identity';
import { sendDecision } from '../runs/approval-verdict';
import { approvalProof, refusedAsError } from './approval-proof';
import { authenticate, CAPABILITIES, type Caller, type Capability } from './caller';
import { GatewayError, toServiceError } from './gateway-error';
import { listRuns, type ListRunsRequest } from './list-runs';
import { capsuleRunMessage, closedRunOutcome, describeTenantRun } from './run-view';
import { fromProtoStruct, type ProtoStruct, toProtoValue } from './struct';
import type { TenantLimits } from './tenant-limits';
import { decodeCursor } from './watch-cursor';
import { approvalMessage, usageMessage, watchRun } from './watch-run';

export interface CapsuleServiceDeps {
  client: Client;
  pool: Pool;
  registry: CapsuleLookup;
  verifier: JwtVerifier;
  limits: TenantLimits;
  taskQueue: string;
  logger: Logger;
  /** Pause between polls of a watched run. @default 250 ms */
  watchPollMs?: number;
}

/** How long a status query of a run may take before GetCapsuleRun answers without it. */
const QUERY_DEADLINE_MS = 5000;
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * The handlers of `somagent.v1.CapsuleService`. Every call is authenticated, checked for its
 * capability, admitted by the tenant's rate limit and concurrency cap, and scoped to the token's
 * tenant; refusals are gRPC status codes with a message that says what to fix.
 */
export function createCapsuleService(deps: CapsuleServiceDeps): UntypedServiceImplementation {
  const { client, verifier, limits, logger } = deps;

  async function admitted<T>(
    call: { metadata: Metadata },
    capability: Capability,
    work: (caller: Caller) => Promise<T>,
  ) {
    const caller = await authenticate(verifier, call.metadata, capability);
    const admission = await limits.admit(caller.tenant);
    if (!admission.admitted) {
      const seconds = (admission.retryAfterMs / 1000).toFixed(3);
      throw new GatewayError(status.RESOURCE_EXHAUSTED, `${admission.reason}: retry in ${seconds} s`, {
        'retry-after-ms': String(admission.retryAfterMs),
      });
    }
    try {
      return await work(caller);
    } finally {
      // The answer need not wait for the lease to be handed back.
      void admission.release().catch(() => undefined);
    }
  }

  /** A run of the caller's tenant and its current status: what every steering call checks first. */
  async function runAndStatus(caller: Caller, workflowId: string) {
    const description = await describeTenantRun(client, workflowId, caller.tenant);
    const handle = client.workflow.getHandle(description.workflowId);
    return { handle, run: await handle.query(statusQuery) };
  }

  function fail(method: string, err: unknown): ReturnType<typeof toServiceError>['error'] {
    const { error, known } = toServiceError(err);
    if (!known) logger.error({ err, method }, 'gateway call failed');
    return error;
  }

  function unary<Req, Res>(
    method: string,
    capability: Capability,
    handler: (caller: Caller, request: Req) => Promise<Res>,
  ) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      admitted(call, capability, (caller) => handler(caller, call.request)).then(
        (response) => callback(null, response),
        (err: unknown) => callback(fail(method, err)),
      );
    };
  }

  return {
    StartCapsuleRun: unary(
      'StartCapsuleRun',
      CAPABILITIES.run,
      async (
        caller,
        request: {
          capsule: string;
          params: ProtoStruct | null;
          tenant: string;
          requestId: string;
          files: Array<{ path: string; content: string }>;
        },
      ) => {
        if (request.tenant && request.tenant !== caller.tenant) {
          throw new GatewayError(
            status.PERMISSION_DENIED,
            `tenant "${request.tenant}" is not the token's tenant "${caller.tenant}": a caller starts runs in its own tenant only`,
            { 'somagent-field': 'tenant' },
          );
        }
        if (!request.capsule) {
          throw new GatewayError(
            status.INVALID_ARGUMENT,
            'capsule is required: a published capsule as id@range, e.g. meetings.transcript-summary@^1',
            { 'somagent-field': 'capsule' },
          );
        }
        if (request.requestId && !REQUEST_ID.test(request.requestId)) {
          throw new GatewayError(
            status.INVALID_ARGUMENT,
            'request_id must be 1 to 200 printable ASCII characters without spaces, e.g. a UUID',
            { 'somagent-field': 'request_id' },
          );
        }
        const started = await startCapsuleRun(
          { client, registry: deps.registry, taskQueue: deps.taskQueue },
          {
            capsule: request.capsule,
            params: fromProtoStruct(request.params),
            files: request.files.map((f) => ({ path: f.path, content: f.content })),
            tenant: caller.tenant,
            trigger: { kind: 'api', by: caller.subject },
            caller: {
              subject: caller.subject,
              tenant: caller.tenant,
              capabilities: [...caller.capabilities],
            },
            ...(request.requestId ? { requestId: request.requestId } : {}),
          },
        );
        return {
          workflowId: started.workflowId,
          runId: started.runId,
          capsuleId: started.capsule.id,
          capsuleVersion: started.capsule.version,
        };
      },
    ),

    GetCapsuleRun: unary(
      'GetCapsuleRun',
      CAPABILITIES.read,
      async (caller, request: { workflowId: string }) => {
        const description = await describeTenantRun(client, request.workflowId, caller.tenant);
        const handle = client.workflow.getHandle(description.workflowId, description.runId);
        const runStatus = await client.connection
          .withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(statusQuery))
          .catch(() => undefined);
        const closed = description.status.name !== 'RUNNING';
        const outcome = closed
          ? await closedRunOutcome(client, description.workflowId, description.runId)
          : null;
        return {
          run: capsuleRunMessage({ ...description, statusName: description.status.name }),
          ...(runStatus ? statusFields(runStatus) : { phase: closed ? 'closed' : 'unknown' }),
          result: outcome?.result ?? null,
          failure: outcome?.failure ?? null,
        };
      },
    ),

    ListCapsuleRuns: unary('ListCapsuleRuns', CAPABILITIES.read, (caller, request: ListRunsRequest) =>
      listRuns(client, caller.tenant, request),
    ),

    ApproveRun: unary(
      'ApproveRun',
      CAPABILITIES.approve,
      async (
        caller,
        request: {
          workflowId: string;
          approvalId: string;
          approved: boolean;
          comment: string;
          approvalToken: string;
        },
      ) => {
        const {
          handle,
          run: { pendingApprovals },
        } = await runAndStatus(caller, request.workflowId);
        if (!pendingApprovals.some((a) => a.approvalId === request.approvalId)) {
          const open = pendingApprovals.map((a) => a.approvalId);
          throw new GatewayError(
            status.FAILED_PRECONDITION,
            `run ${request.workflowId} has no pending approval "${request.approvalId}"` +
              (open.length > 0 ? `; pending: ${open.join(', ')}` : '; nothing is waiting for approval'),
            { 'somagent-field': 'approval_id' },
          );
        }
        const token = approvalProof(caller, request.approvalToken, request.approvalId);
        refusedAsError(
          await sendDecision(handle, request.approvalId, () =>
            handle.signal(approveSignal, {
              approvalId: request.approvalId,
              approved: request.approved,
              by: caller.subject,
              ...(request.comment ? { comment: request.comment } : {}),
              ...(token !== undefined ? { token } : {}),
            }),
          ),
        );
        return {};
      },
    ),

    ReviewStep: unary(
      'ReviewStep',
      CAPABILITIES.approve,
      async (
        caller,
        request: {
          workflowId: string;
          stepId: string;
          approved: boolean;
          comment: string;
          approvalToken: string;
        },
      ) => {
        const {
          handle,
          run: { steps },
        } = await runAndStatus(caller, request.workflowId);
        const step = steps.find((s) => s.id === request.stepId);
        if (!step) {
          throw new GatewayError(
            status.INVALID_ARGUMENT,
            `run ${request.workflowId} has no step "${request.stepId}"; its steps: ${steps.map((s) => s.id).join(', ')}`,
            { 'somagent-field': 'step_id' },
          );
        }
        const reviewId = reviewApprovalId(handle.workflowId, request.stepId);
        const token = approvalProof(caller, request.approvalToken, reviewId);
        refusedAsError(
          await sendDecision(handle, reviewId, () =>
            handle.signal(reviewSignal, {
              stepId: request.stepId,
              verdict: request.approved ? 'approve' : 'reject',
              by: caller.subject,
              ...(request.comment ? { comment: request.comment } : {}),
              ...(token !== undefined ? { token } : {}),
            }),
          ),
        );
        return {};
      },
    ),

    InjectGuidance: unary(
      'InjectGuidance',
      CAPABILITIES.approve,
      async (caller, request: { workflowId: string; stepId: string; text: string }) => {
        if (!request.text.trim()) {
          throw new GatewayError(status.INVALID_ARGUMENT, 'text is required: the guidance to add', {
            'somagent-field': 'text',
          });
        }
        const {
          run: { steps },
        } = await runAndStatus(caller, request.workflowId);
        const step = steps.find((s) => s.id === request.stepId);
        if (!step || step.state !== 'running' || !step.childWorkflowId || step.kind !== 'persona') {
          const running = steps.filter((s) => s.state === 'running' && s.kind === 'persona').map((s) => s.id);
          throw new GatewayError(
            status.FAILED_PRECONDITION,
            `step "${request.stepId}" has no running persona to guide` +
              (running.length > 0 ? `; running: ${running.join(', ')}` : '; no persona step is running'),
            { 'somagent-field': 'step_id' },
          );
        }
        await client.workflow.getHandle(step.childWorkflowId).signal(injectSignal, {
          text: request.text,
          by: caller.subject,
        });
        return {};
      },
    ),

    CancelRun: unary(
      'CancelRun',
      CAPABILITIES.run,
      async (caller, request: { workflowId: string; reason: string }) => {
        const description = await describeTenantRun(client, request.workflowId, caller.tenant);
        if (description.status.name !== 'RUNNING') {
          throw new GatewayError(
            status.FAILED_PRECONDITION,
            `run ${request.workflowId} has already ended (${description.status.name.toLowerCase()})`,
          );
        }
        await client.workflow.getHandle(description.workflowId).signal(cancelSignal, {
          by: caller.subject,
          ...(request.reason ? { reason: request.reason } : {}),
        });
        return {};
      },
    ),

    WatchCapsuleRun: (call: ServerWritableStream<{ workflowId: string; cursor: string }, unknown>) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      admitted(call, CAPABILITIES.read, async (caller) => {
        const from = decodeCursor(call.request.cursor);
        const description = await describeTenantRun(client, call.request.workflowId, caller.tenant);
        for await (const message of watchRun({
          client,
          pool: deps.pool,
          workflowId: description.workflowId,
          runId: description.runId,
          from,
          signal: abort.signal,
          ...(deps.watchPollMs !== undefined ? { pollMs: deps.watchPollMs } : {}),
        })) {
          if (!call.write(message)) await new Promise((resolve) => call.once('drain', resolve));
        }
      }).then(
        () => call.end(),
        (err: unknown) => {
          if (abort.signal.aborted) return;
          call.emit('error', fail('WatchCapsuleRun', err));
        },
      );
    },
  };
}

function statusFields(run: RunStatus) {
  return {
    phase: run.phase,
    steps: run.steps.map((s) => ({
      id: s.id,
      title: s.title ?? '',
      state: s.state,
      persona: s.persona ?? '',
      reason: s.reason ?? '',
      ...(s.output !== undefined ? { output: toProtoValue(s.output) } : {}),
      usage: usageMessage({ ...s.usage, totalTokens: s.usage.inputTokens + s.usage.outputTokens }),
    })),
    usage: usageMessage(run.usage),
    pendingApprovals: run.pendingApprovals.map(approvalMessage),
  };
}
