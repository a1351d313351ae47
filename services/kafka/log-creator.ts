import { type LogEntry, logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../logger';

/** kafkajs levels mapped onto pino's; kafkajs has no trace or fatal. */
const PINO_LEVEL = {
  [logLevel.NOTHING]: 'silent',
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
} as const;

/**
 * Routes kafkajs's own logs into the injected pino logger, one child per kafkajs namespace
 * (`Producer`, `Consumer`, `BrokerPool`...), so Kafka client noise is filtered by `LOG_LEVEL` like
 * everything else and never reaches stdout unstructured.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const pinoLevel = PINO_LEVEL[level] ?? 'info';
      if (pinoLevel === 'silent') return;
      logger.child({ kafkajs: namespace })[pinoLevel](extra, message);
    };
}

/** The kafkajs level that lets through everything the pino logger would print. */
export function kafkaLogLevel(logger: Logger): logLevel {
  switch (logger.level) {
    case 'silent':
      return logLevel.NOTHING;
    case 'fatal':
    case 'error':
      return logLevel.ERROR;
    case 'warn':
      return logLevel.WARN;
    case 'info':
      return logLevel.INFO;
    default:
      return logLevel.DEBUG;
  }
}
