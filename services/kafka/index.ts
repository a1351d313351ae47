export {
  createKafka,
  createProducer,
  createConsumer,
  type CreateKafkaOptions,
  type CreateProducerOptions,
  type CreateConsumerOptions,
} from './client';
export { pinoLogCreator, kafkaLogLevel } from './log-creator';
export { ensureTopics, type EnsureTopicsOptions } from './topics';
export {
  startKafkaMockPeer,
  KafkaMockPeerError,
  type KafkaMockPeer,
  type StartKafkaMockPeerOptions,
} from './mock-peer';
export { startMetricsServer } from './metrics-server';
export { retryUntil, type RetryUntilOptions } from './retry';
export { kafkaOptionsFromConfig, KafkaConfigError } from './config';
