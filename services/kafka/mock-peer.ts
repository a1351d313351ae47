import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Raised when the kcat mock cluster cannot be started; the message says how to fix it. */
export class KafkaMockPeerError extends Error {
  override readonly name = 'KafkaMockPeerError';
}

export interface KafkaMockPeer {
  /** Bootstrap address(es) of the mock cluster, `127.0.0.1:PORT`. */
  brokers: string[];
  /** Process id of kcat, for operators. */
  pid: number;
  /** Stops the cluster (SIGTERM, then SIGKILL after 5 s). Its data is gone afterwards. */
  stop(): Promise<void>;
}

export interface StartKafkaMockPeerOptions {
  /** @default 'kcat' (from PATH) */
  kcatPath?: string;
  /** @default 1 */
  numBrokers?: number;
  /** How long to wait for the bootstrap address. @default 10000 (10 s) */
  startTimeoutMs?: number;
}

/** librdkafka logs this once the mock cluster listens: "...replaced with 127.0.0.1:PORT". */
const BOOTSTRAP_PATTERN =
  /(?:bootstrap\.servers=|replaced with )(\d{1,3}(?:\.\d{1,3}){3}:\d+(?:,\d{1,3}(?:\.\d{1,3}){3}:\d+)*)/;

/**
 * Starts librdkafka's built-in mock cluster — a real Kafka-protocol peer — inside a `kcat`
 * process, for tests and local development where no broker can be installed. kcat runs as a
 * plain consumer of a keep-alive topic so it (and the cluster it hosts) lives until stopped.
 * Topics are auto-created with 4 partitions; the admin API and idempotent producers do not work
 * against it (it reports controller id 0).
 */
export async function startKafkaMockPeer({
  kcatPath = 'kcat',
  numBrokers = 1,
  startTimeoutMs = 10_000, // 10 s
}: StartKafkaMockPeerOptions = {}): Promise<KafkaMockPeer> {
  const child = spawn(
    kcatPath,
    [
      // kcat insists on -b; the mock cluster ignores and replaces it.
      '-b',
      '127.0.0.1:1',
      '-X',
      `test.mock.num.brokers=${numBrokers}`,
      '-q',
      '-C',
      '-t',
      'somagent.mock.keepalive',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );

  const brokers = await waitForBootstrap(child, kcatPath, startTimeoutMs);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Keep draining stderr so kcat never blocks on a full pipe.
  child.stderr.resume();
  // If this process exits without calling stop() (a crash, process.exit), take kcat with it.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  return {
    brokers,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function waitForBootstrap(
  child: ChildProcessByStdio<null, null, Readable>,
  kcatPath: string,
  timeoutMs: number,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (message: string, cause?: unknown) => {
      cleanup();
      child.kill('SIGKILL');
      reject(new KafkaMockPeerError(message, { cause }));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = BOOTSTRAP_PATTERN.exec(output);
      if (match) {
        cleanup();
        resolve(match[1]!.split(','));
      } else if (output.length > 64_000) {
        output = output.slice(-4_000);
      }
    };
    const onError = (err: NodeJS.ErrnoException) =>
      fail(
        err.code === 'ENOENT'
          ? `"${kcatPath}" not found: install kcat (Debian: apt-get install -y kcat) to run the Kafka mock peer`
          : `could not start ${kcatPath}: ${err.message}`,
        err,
      );
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(
        `${kcatPath} exited (${signal ?? `code ${code}`}) before the mock cluster reported its address: ${output.trim().slice(-500)}`,
      );
    const timer = setTimeout(
      () => fail(`${kcatPath} did not report a mock cluster address within ${timeoutMs} ms`),
      timeoutMs,
    );
    const cleanup = () => {
      clearTimeout(timer);
      child.stderr.off('data', onData);
      child.off('error', onError);
      child.off('exit', onExit);
    };
    child.stderr.on('data', onData);
    child.once('error', onError);
    child.once('exit', onExit);
  });
}
