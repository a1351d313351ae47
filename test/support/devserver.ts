/**
 * Test harness for the embedded Temporal-compatible devserver, driven by the official, unmodified
 * `@temporalio/client` and `@temporalio/worker`.
 *
 * One harness per test file (`beforeAll`): it starts a devserver (in memory or on PostgreSQL),
 * connects a `Client` and a `NativeConnection`, bundles the fixture workflows once and hands out
 * workers on unique task queues. `close()` (in `afterAll`) shuts everything down in reverse order.
 * `spawnDevServer` runs the CLI as a child process for tests that SIGKILL and restart the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowClientInterceptor, type WorkflowHandle } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogLevel,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { startDevServer, type DevServer, type DevServerOptions } from '../../services/devserver';
import { createLogger } from '../../services/logger';

const REPO_ROOT = path.resolve(__dirname, '../..');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test/fixtures/devserver');
export const FIXTURE_WORKFLOWS = path.join(FIXTURES_DIR, 'workflows.ts');

let runtimeInstalled = false;

/**
 * Warnings the tests provoke on purpose (failing activities and workflows, late completions of
 * timed-out activities or terminated runs); dropped at WARN.
 */
const EXPECTED_WARNINGS = [
  'Activity failed',
  'Workflow failed',
  'Activity not found on completion',
  'Task not found when completing',
];

/**
 * The SDK's Runtime logs every worker state change at INFO, and every failing activity (which
 * many tests cause on purpose) at WARN with a stack. Keep real warnings, one line each. Installed
 * once per module registry (jest gives each test file its own). `TEMPORAL_TEST_LOG=DEBUG` shows
 * everything.
 */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.TEMPORAL_TEST_LOG ?? 'WARN') as LogLevel;
  const verbose = level !== 'WARN';
  const logger = new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
    if (!verbose && EXPECTED_WARNINGS.some((w) => message.startsWith(w))) return;
    const error = meta?.error instanceof Error ? ` ${meta.error.name}: ${meta.error.message}` : '';
    const where = meta?.workflowId ? ` workflowId=${String(meta.workflowId)}` : '';
    process.stderr.write(`[temporal ${entryLevel}] ${message}${where}${error}\n`);
  });
  try {
    // Forward core's own (Rust) logs through the same filter instead of letting it print to stderr.
    Runtime.install({
      logger,
      telemetryOptions: { logging: { forward: {}, filter: { core: level, other: 'ERROR' } } },
    });
  } catch {
    // Already installed by an earlier file in this process: keep that one.
  }
}

/**
 * Bundles workflow code once and caches it on disk, keyed by the content of the fixture folder
 * and the SDK version, so every test file (and the next run) reuses the same bundle instead of
 * paying webpack again.
 */
export async function bundleFixtureWorkflows(workflowsPath = FIXTURE_WORKFLOWS): Promise<{ code: string }> {
  const hash = createHash('sha256');
  hash.update(workflowsPath);
  hash.update(readFileSync(path.join(REPO_ROOT, 'node_modules/@temporalio/workflow/package.json')));
  const dir = path.dirname(workflowsPath);
  for (const file of readdirSync(dir).sort()) {
    if (file.endsWith('.ts')) hash.update(file).update(readFileSync(path.join(dir, file)));
  }
  const cached = path.join(tmpdir(), `somagent-wf-bundle-${hash.digest('hex').slice(0, 24)}.js`);
  if (existsSync(cached)) return { code: readFileSync(cached, 'utf8') };
  const bundle: WorkflowBundleWithSourceMap = await bundleWorkflowCode({
    workflowsPath,
    logger: new DefaultLogger('WARN'),
  });
  const partial = `${cached}.${process.pid}.tmp`;
  writeFileSync(partial, bundle.code);
  renameSync(partial, cached);
  return { code: bundle.code };
}

/** Short unique suffix for ids and queue names. */
export function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}

/** A worker running in the background on its own task queue. */
export interface RunningWorker {
  worker: Worker;
  taskQueue: string;
  /** Graceful shutdown (calls the server's ShutdownWorker); resolves when `run()` returned. */
  stop(): Promise<void>;
}

export type HarnessWorkerOptions = Partial<Omit<WorkerOptions, 'connection'>> & { taskQueue?: string };

export interface DevServerHarness {
  /** `host:port` of the devserver. */
  address: string;
  namespace: string;
  server: DevServer;
  client: Client;
  connection: NativeConnection;
  workflowBundle: { code: string };
  taskQueue(label?: string): string;
  workflowId(label?: string): string;
  /** Creates and runs a worker; defaults: fixture bundle, a fresh task queue, 2 s grace time. */
  startWorker(options?: HarnessWorkerOptions): Promise<RunningWorker>;
  /** Replays a finished run's history through the same bundle: fails on nondeterminism. */
  replay(handle: WorkflowHandle): Promise<void>;
  /**
   * Replays, in one `Worker.runReplayHistories` batch, every run this harness's client started,
   * their children and the later runs of their chains (continue-as-new, retry, cron). Throws one
   * error listing every run that did not replay; resolves with how many were replayed. `except`
   * leaves out workflow ids whose histories fail on purpose (e.g. workflow-task failures).
   */
  replayAll(options?: { except?: (workflowId: string) => boolean }): Promise<number>;
  /** Full history, typed (shorthand for `handle.fetchHistory()`). */
  history(handle: WorkflowHandle): Promise<temporal.api.history.v1.IHistoryEvent[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  persistence?: DevServerOptions['persistence'];
  /** Engine tunables, e.g. `{ longPollMs: 300 }` or `{ stickyEnabled: false }`. */
  engine?: DevServerOptions['engine'];
  namespace?: string;
  workflowsPath?: string;
  /** Connect to an already running server (e.g. a spawned CLI) instead of starting one. */
  address?: string;
  /** Also serve the HTTP/JSON API (e.g. `{ port: 0 }`); its address is `server.httpAddress`. */
  http?: DevServerOptions['http'];
}

/** One run of a workflow. */
interface RunRef {
  workflowId: string;
  runId: string;
}

/** A client interceptor that notes every run the client starts (start and signal-with-start). */
function recordStartedRuns(started: RunRef[]): WorkflowClientInterceptor {
  return {
    async startWithDetails(input, next) {
      const output = await next(input);
      started.push({ workflowId: input.options.workflowId, runId: output.runId });
      return output;
    },
    async signalWithStart(input, next) {
      const runId = await next(input);
      started.push({ workflowId: input.options.workflowId, runId });
      return runId;
    },
  };
}

/** The run a close event hands over to (continue-as-new, retry, cron), if any. */
function nextRunOf(event: temporal.api.history.v1.IHistoryEvent): string | undefined {
  return (
    event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
    event.workflowExecutionCompletedEventAttributes?.newExecutionRunId ??
    event.workflowExecutionFailedEventAttributes?.newExecutionRunId ??
    event.workflowExecutionTimedOutEventAttributes?.newExecutionRunId ??
    undefined
  );
}

/** Histories of `roots`, their children and their chains' later runs, each run once. */
async function collectRunHistories(
  client: Client,
  roots: RunRef[],
  except: (workflowId: string) => boolean,
): Promise<{ workflowId: string; history: temporal.api.history.v1.IHistory }[]> {
  const seen = new Set<string>();
  const queue = [...roots];
  const histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[] = [];
  for (let ref = queue.shift(); ref; ref = queue.shift()) {
    const key = `${ref.workflowId}\u0000${ref.runId}`;
    if (seen.has(key) || except(ref.workflowId)) continue;
    seen.add(key);
    const history = await client.workflow.getHandle(ref.workflowId, ref.runId).fetchHistory();
    histories.push({ workflowId: ref.workflowId, history });
    for (const event of history.events ?? []) {
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId && child.runId) queue.push({ workflowId: child.workflowId, runId: child.runId });
      const next = nextRunOf(event);
      if (next) queue.push({ workflowId: ref.workflowId, runId: next });
    }
  }
  return histories;
}

/** Starts (or attaches to) a devserver and connects the official client and worker runtime to it. */
export async function startDevServerHarness(options: HarnessOptions = {}): Promise<DevServerHarness> {
  installQuietRuntime();
  const namespace = options.namespace ?? 'default';
  const bundlePromise = bundleFixtureWorkflows(options.workflowsPath);
  const server: DevServer = options.address
    ? { address: options.address, stop: () => Promise.resolve() }
    : await startDevServer({
        port: 0,
        host: '127.0.0.1',
        persistence: options.persistence ?? { kind: 'memory' },
        ...(options.engine ? { engine: options.engine } : {}),
        ...(options.http ? { http: options.http } : {}),
        logger: createLogger({ level: process.env.DEVSERVER_TEST_LOG ?? 'warn', name: 'devserver-test' }),
      });
  const workers = new Set<RunningWorker>();
  let clientConnection: Connection | undefined;
  let connection: NativeConnection | undefined;
  try {
    clientConnection = await Connection.connect({ address: server.address });
    connection = await NativeConnection.connect({ address: server.address });
    const started: RunRef[] = [];
    const client = new Client({
      connection: clientConnection,
      namespace,
      interceptors: { workflow: [recordStartedRuns(started)] },
    });
    const workflowBundle = await bundlePromise;
    const nativeConnection = connection;

    const harness: DevServerHarness = {
      address: server.address,
      namespace,
      server,
      client,
      connection: nativeConnection,
      workflowBundle,
      taskQueue: (label = 'tq') => `${label}-${uniqueSuffix()}`,
      workflowId: (label = 'wf') => `${label}-${uniqueSuffix()}`,
      async startWorker(workerOptions = {}) {
        const taskQueue = workerOptions.taskQueue ?? harness.taskQueue();
        const worker = await Worker.create({
          workflowBundle,
          shutdownGraceTime: '2s',
          ...workerOptions,
          connection: nativeConnection,
          namespace,
          taskQueue,
        });
        const running = worker.run();
        const handle: RunningWorker = {
          worker,
          taskQueue,
          async stop() {
            workers.delete(handle);
            if (worker.getState() === 'RUNNING') worker.shutdown();
            await running;
          },
        };
        workers.add(handle);
        // Surface a crashed worker in the test that owns it rather than as an unhandled rejection.
        running.catch(() => workers.delete(handle));
        return handle;
      },
      async replay(handle) {
        await Worker.runReplayHistory({ workflowBundle }, await handle.fetchHistory(), handle.workflowId);
      },
      async replayAll({ except = () => false } = {}) {
        const histories = await collectRunHistories(client, started, except);
        const failures: string[] = [];
        for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
          if (result.error) failures.push(`${result.workflowId} (${result.runId}): ${result.error.message}`);
        }
        if (failures.length > 0) {
          throw new Error(
            `${failures.length} of ${histories.length} histories did not replay:\n${failures.join('\n')}`,
          );
        }
        return histories.length;
      },
      async history(handle) {
        const history = await handle.fetchHistory();
        return history.events ?? [];
      },
      async close() {
        await Promise.allSettled([...workers].map((w) => w.stop()));
        await nativeConnection.close();
        await clientConnection?.close();
        await server.stop();
      },
    };
    return harness;
  } catch (err) {
    await connection?.close().catch(() => undefined);
    await clientConnection?.close().catch(() => undefined);
    await server.stop();
    throw err;
  }
}

/** Event type names, e.g. `ACTIVITY_TASK_SCHEDULED`, of a history in order. */
export function eventTypes(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
  return events.map((e) => eventTypeName(e.eventType));
}

export function eventTypeName(type: temporal.api.enums.v1.EventType | null | undefined): string {
  // The client decodes enums as numbers; map back through the proto enum for readable asserts.
  return (temporal.api.enums.v1.EventType[type ?? 0] ?? String(type)).replace(/^EVENT_TYPE_/, '');
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes (then throws `what`). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once the run's history contains every listed event type (polls fetchHistory). */
export async function waitForEvents(
  harness: DevServerHarness,
  handle: WorkflowHandle,
  types: string[],
  timeoutMs = 10_000,
): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  let events: temporal.api.history.v1.IHistoryEvent[] = [];
  await waitFor(
    `events ${types.join(', ')} in ${handle.workflowId}`,
    async () => {
      events = await harness.history(handle);
      const seen = new Set(eventTypes(events));
      return types.every((t) => seen.has(t));
    },
    timeoutMs,
  );
  return events;
}

/** A devserver CLI running as a child process. */
export interface SpawnedDevServer {
  address: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr), for failure messages. */
  output(): string;
  /** Sends `signal` and resolves with the exit code/signal once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const READY_LINE = /devserver listening on (\S+)/;

/**
 * Runs `services/devserver/main.ts` in a plain `node --import tsx` process (not the tsx CLI, which
 * forks a grandchild that a SIGKILL would orphan) and resolves with the address from its
 * `devserver listening on <host:port>` line. Rejects (and kills the child) if the process exits
 * or stays silent for `readyTimeoutMs`.
 */
export async function spawnDevServer({
  args = [],
  readyTimeoutMs = 30_000,
}: { args?: string[]; readyTimeoutMs?: number } = {}): Promise<SpawnedDevServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/devserver/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.DEVSERVER_TEST_LOG ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`devserver CLI printed no ready line within ${readyTimeoutMs} ms:\n${output}`));
    }, readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = READY_LINE.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`devserver CLI exited (code ${code}, signal ${signal}) before ready:\n${output}`));
    });
  });
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return {
    address,
    port,
    child,
    output: () => output,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Awaits a promise that must reject and returns the rejection (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err,
  );
}

/**
 * Workflow-task boundaries the SDK relies on: every WORKFLOW_TASK_STARTED is directly followed by
 * its COMPLETED / FAILED / TIMED_OUT (or ends the history). Returns the offending indexes.
 */
export function interleavedTaskEvents(events: temporal.api.history.v1.IHistoryEvent[]): number[] {
  const types = eventTypes(events);
  const closing = new Set(['WORKFLOW_TASK_COMPLETED', 'WORKFLOW_TASK_FAILED', 'WORKFLOW_TASK_TIMED_OUT']);
  return types.flatMap((type, i) =>
    type === 'WORKFLOW_TASK_STARTED' && i + 1 < types.length && !closing.has(types[i + 1]!) ? [i] : [],
  );
}
