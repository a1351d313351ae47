import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CallOptions,
  type Client as GrpcClient,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import type { JsonValue } from '../../workflows/shared/types';
import { capsuleServiceConstructor } from './proto';
import { fromProtoStruct, fromProtoValue, type ProtoValue, toProtoStruct } from './struct';

/**
 * A TypeScript client of the gateway (`somagent.v1.CapsuleService`): plain JSON in and out
 * (params, outputs and results are `google.protobuf.Struct` on the wire), typed errors, and a
 * watch that reconnects by itself and resumes from its cursor.
 */

export type RunStatusName =
  'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELED' | 'TERMINATED' | 'TIMED_OUT' | 'UNSPECIFIED';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
}

export interface CapsuleRunInfo {
  workflowId: string;
  runId: string;
  capsuleId: string;
  capsuleVersion: string;
  tenant: string;
  trigger: string;
  status: RunStatusName;
  startTime: Date | null;
  closeTime: Date | null;
}

export interface PendingApprovalInfo {
  approvalId: string;
  workflowId: string;
  activityType: string;
  reason: string;
}

export interface CapsuleRunView {
  run: CapsuleRunInfo;
  phase: string;
  steps: Array<{
    id: string;
    title: string;
    state: string;
    persona: string;
    reason: string;
    output: JsonValue;
    usage: Usage;
  }>;
  usage: Usage | null;
  pendingApprovals: PendingApprovalInfo[];
  result: { [key: string]: JsonValue } | null;
  failure: { type: string; message: string } | null;
}

export interface GateDecisionInfo {
  workflowId: string;
  activityType: string;
  toolId: string;
  decision: string;
  outcome: string;
  reason: string;
  score: number;
  threshold: number;
  contributions: Array<{ feature: string; phi: number; weight: number; product: number }>;
  rules: string[];
  constitutionHash: string;
}

export type WatchEvent = { cursor: string; time: Date | null } & (
  | { kind: 'step'; step: { stepId: string; state: string; reason: string; output: JsonValue } }
  | { kind: 'phase'; phase: { phase: string; capsuleVersion: string } }
  | { kind: 'gateDecision'; gateDecision: GateDecisionInfo }
  | { kind: 'usage'; usage: Usage }
  | { kind: 'approval'; approval: { state: string; approval: PendingApprovalInfo } }
  | {
      kind: 'finished';
      finished: {
        status: RunStatusName;
        result: { [key: string]: JsonValue } | null;
        failure: { type: string; message: string } | null;
      };
    }
);

/** A refused call: the gRPC code, the gateway's message, the field at fault, the retry delay. */
export class GatewayCallError extends Error {
  override readonly name = 'GatewayCallError';

  constructor(
    readonly code: status,
    message: string,
    readonly field: string | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }

  /** The code's name, e.g. `PERMISSION_DENIED`. */
  get codeName(): string {
    return status[this.code] ?? String(this.code);
  }
}

export interface CapsuleClientOptions {
  /** `host:port` of the gateway. */
  address: string;
  /** The bearer token, or a function returning a fresh one per call. */
  token: string | (() => string | Promise<string>);
  /** Per-call deadline of unary calls. @default 30 s */
  timeoutMs?: number;
}

interface Timestamp {
  seconds: number;
  nanos: number;
}
type Raw = Record<string, unknown>;
type UnaryMethod = (
  req: Raw,
  md: Metadata,
  opts: CallOptions,
  cb: (err: ServiceError | null, res: Raw) => void,
) => void;

const dateOf = (ts: Timestamp | null | undefined): Date | null =>
  ts ? new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6)) : null;
const statusName = (value: unknown): RunStatusName =>
  (typeof value === 'string' ? value : '').replace('CAPSULE_RUN_STATUS_', '') as RunStatusName;
const structOrNull = (value: unknown) => (value ? fromProtoStruct(value) : null);

function toCallError(err: ServiceError): GatewayCallError {
  const field = err.metadata?.get('somagent-field')[0];
  const retry = err.metadata?.get('retry-after-ms')[0];
  return new GatewayCallError(
    err.code,
    err.details || err.message,
    typeof field === 'string' ? field : undefined,
    typeof retry === 'string' ? Number(retry) : undefined,
  );
}

function runInfo(raw: Raw): CapsuleRunInfo {
  return {
    workflowId: raw.workflowId as string,
    runId: raw.runId as string,
    capsuleId: raw.capsuleId as string,
    capsuleVersion: raw.capsuleVersion as string,
    tenant: raw.tenant as string,
    trigger: raw.trigger as string,
    status: statusName(raw.status),
    startTime: dateOf(raw.startTime as Timestamp | null),
    closeTime: dateOf(raw.closeTime as Timestamp | null),
  };
}

function watchEvent(raw: Raw): WatchEvent {
  const base = { cursor: raw.cursor as string, time: dateOf(raw.time as Timestamp | null) };
  const kind = raw.event as string;
  const body = raw[kind] as Raw;
  switch (kind) {
    case 'step':
      return {
        ...base,
        kind,
        step: {
          ...(body as { stepId: string; state: string; reason: string }),
          output: fromProtoValue(body.output as ProtoValue),
        },
      };
    case 'usage':
      return { ...base, kind, usage: body.usage as Usage };
    case 'finished':
      return {
        ...base,
        kind,
        finished: {
          status: statusName(body.status),
          result: structOrNull(body.result),
          failure: (body.failure as { type: string; message: string } | null) ?? null,
        },
      };
    default:
      return { ...base, kind, [kind]: body } as WatchEvent;
  }
}

export function createCapsuleClient({ address, token, timeoutMs = 30_000 }: CapsuleClientOptions) {
  const Constructor = capsuleServiceConstructor();
  const grpc = new Constructor(address, credentials.createInsecure()) as GrpcClient &
    Record<string, UnaryMethod>;

  async function metadata(): Promise<Metadata> {
    const md = new Metadata();
    md.set('authorization', `Bearer ${typeof token === 'string' ? token : await token()}`);
    return md;
  }

  async function call(method: string, request: Raw): Promise<Raw> {
    const md = await metadata();
    return new Promise((resolve, reject) => {
      grpc[method]!.call(grpc, request, md, { deadline: Date.now() + timeoutMs }, (err, response) =>
        err ? reject(toCallError(err)) : resolve(response),
      );
    });
  }

  return {
    async startRun(request: {
      capsule: string;
      params?: { [key: string]: JsonValue };
      requestId?: string;
      tenant?: string;
      files?: Array<{ path: string; content: string }>;
    }): Promise<{ workflowId: string; runId: string; capsuleId: string; capsuleVersion: string }> {
      const response = await call('StartCapsuleRun', {
        capsule: request.capsule,
        params: toProtoStruct(request.params ?? {}),
        requestId: request.requestId ?? '',
        tenant: request.tenant ?? '',
        files: request.files ?? [],
      });
      return response as never;
    },

    async getRun(workflowId: string): Promise<CapsuleRunView> {
      const raw = await call('GetCapsuleRun', { workflowId });
      return {
        run: runInfo(raw.run as Raw),
        phase: raw.phase as string,
        steps: ((raw.steps as Raw[]) ?? []).map(
          (s) =>
            ({ ...s, output: fromProtoValue(s.output as ProtoValue) }) as CapsuleRunView['steps'][number],
        ),
        usage: (raw.usage as Usage | null) ?? null,
        pendingApprovals: (raw.pendingApprovals as PendingApprovalInfo[]) ?? [],
        result: structOrNull(raw.result),
        failure: (raw.failure as CapsuleRunView['failure']) ?? null,
      };
    },

    async listRuns(
      request: {
        pageSize?: number;
        pageToken?: Buffer;
        capsuleId?: string;
        status?: RunStatusName;
        trigger?: string;
      } = {},
    ): Promise<{ runs: CapsuleRunInfo[]; nextPageToken: Buffer }> {
      const raw = await call('ListCapsuleRuns', {
        pageSize: request.pageSize ?? 0,
        nextPageToken: request.pageToken ?? Buffer.alloc(0),
        capsuleId: request.capsuleId ?? '',
        status: request.status ? `CAPSULE_RUN_STATUS_${request.status}` : 'CAPSULE_RUN_STATUS_UNSPECIFIED',
        trigger: request.trigger ?? '',
      });
      return { runs: (raw.runs as Raw[]).map(runInfo), nextPageToken: raw.nextPageToken as Buffer };
    },

    /**
     * Decides an approval; `approvalToken` is the approver's signed token for it (empty: the
     * call's own token, when it names this approval). Resolves once the run has applied it.
     */
    async approve(
      workflowId: string,
      approvalId: string,
      { approved = true, comment = '', approvalToken = '' } = {},
    ): Promise<void> {
      await call('ApproveRun', { workflowId, approvalId, approved, comment, approvalToken });
    },

    /** Passes or fails a review checkpoint, with the reviewer's token as for `approve`. */
    async review(
      workflowId: string,
      stepId: string,
      { approved = true, comment = '', approvalToken = '' } = {},
    ): Promise<void> {
      await call('ReviewStep', { workflowId, stepId, approved, comment, approvalToken });
    },

    async inject(workflowId: string, stepId: string, text: string): Promise<void> {
      await call('InjectGuidance', { workflowId, stepId, text });
    },

    async cancel(workflowId: string, reason = ''): Promise<void> {
      await call('CancelRun', { workflowId, reason });
    },

    /**
     * Follows a run until it ends. A dropped connection (UNAVAILABLE) is retried with the last
     * cursor, so no event is missed or repeated; other errors end the iteration with a
     * {@link GatewayCallError}.
     */
    async *watch(
      workflowId: string,
      {
        cursor = '',
        signal,
        reconnects = 10,
      }: { cursor?: string; signal?: AbortSignal; reconnects?: number } = {},
    ): AsyncGenerator<WatchEvent> {
      let last = cursor;
      for (let attempt = 0; ; attempt++) {
        const stream = (
          grpc as unknown as Record<
            string,
            (req: Raw, md: Metadata) => NodeJS.ReadableStream & { cancel(): void }
          >
        ).WatchCapsuleRun!.call(grpc, { workflowId, cursor: last }, await metadata());
        const onAbort = () => stream.cancel();
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          for await (const raw of stream as AsyncIterable<Raw>) {
            attempt = 0;
            const event = watchEvent(raw);
            last = event.cursor;
            yield event;
            if (event.kind === 'finished') return;
          }
          return;
        } catch (err) {
          const e = err as ServiceError;
          if (signal?.aborted) return;
          if (e.code !== status.UNAVAILABLE || attempt >= reconnects) throw toCallError(e);
          await sleep(Math.min(200 * 2 ** attempt, 5000));
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
      }
    },

    close(): void {
      grpc.close();
    },
  };
}

export type CapsuleClient = ReturnType<typeof createCapsuleClient>;
