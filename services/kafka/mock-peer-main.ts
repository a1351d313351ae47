import { onShutdownSignal } from '../shutdown-signal';
import { startKafkaMockPeer } from './mock-peer';

/**
 * `npm run kafka:mock`: runs librdkafka's mock cluster in the foreground for local development
 * and prints `KAFKA_BROKERS=...` to export. Ctrl-C (or SIGTERM) stops it; its data goes with it.
 */
async function main(): Promise<void> {
  const peer = await startKafkaMockPeer();
  process.stdout.write(`KAFKA_BROKERS=${peer.brokers.join(',')}\n`);
  await onShutdownSignal().stopping;
  await peer.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
