import type { SASLOptions } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { CreateKafkaOptions } from './client';

/** Kafka settings that are valid one by one but not together; names the variables to fix. */
export class KafkaConfigError extends Error {
  override readonly name = 'KafkaConfigError';
}

type KafkaConfig = Pick<
  Config,
  | 'KAFKA_BROKERS'
  | 'KAFKA_CLIENT_ID'
  | 'KAFKA_SSL'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
>;

/**
 * `createKafka` options from the parsed config, for entry points.
 *
 * @param component appended to `KAFKA_CLIENT_ID` (e.g. `relay`) so brokers can tell processes apart.
 * @throws {KafkaConfigError} when SASL settings are incomplete.
 */
export function kafkaOptionsFromConfig(
  config: KafkaConfig,
  { logger, component }: { logger: Logger; component: string },
): CreateKafkaOptions {
  return {
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-${component}`,
    logger,
    ssl: config.KAFKA_SSL,
    ...(config.KAFKA_SASL_MECHANISM ? { sasl: sasl(config) } : noOrphanCredentials(config)),
  };
}

function sasl(config: KafkaConfig): SASLOptions {
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = config;
  const missing = [!username && 'KAFKA_SASL_USERNAME', !password && 'KAFKA_SASL_PASSWORD'].filter(Boolean);
  if (missing.length || !username || !password) {
    throw new KafkaConfigError(`KAFKA_SASL_MECHANISM=${mechanism} needs ${missing.join(' and ')} as well`);
  }
  switch (mechanism) {
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
    default:
      return { mechanism: 'plain', username, password };
  }
}

function noOrphanCredentials(config: KafkaConfig): Record<string, never> {
  if (config.KAFKA_SASL_USERNAME || config.KAFKA_SASL_PASSWORD) {
    throw new KafkaConfigError(
      'KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is not: set it to plain, scram-sha-256 or scram-sha-512',
    );
  }
  return {};
}
