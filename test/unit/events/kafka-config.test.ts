import { loadConfig, redactConfig } from '../../../services/config';
import { KafkaConfigError, kafkaOptionsFromConfig } from '../../../services/kafka';
import { createLogger } from '../../../services/logger';

const logger = createLogger({ level: 'silent' });
const options = (env: Record<string, string>) =>
  kafkaOptionsFromConfig(loadConfig({ KAFKA_BROKERS: 'k1:9092,k2:9092', ...env }), {
    logger,
    component: 'relay',
  });

describe('kafkaOptionsFromConfig', () => {
  it('builds plaintext options by default, with the component in the client id', () => {
    expect(options({ KAFKA_CLIENT_ID: 'acme' })).toMatchObject({
      brokers: ['k1:9092', 'k2:9092'],
      clientId: 'acme-relay',
      ssl: false,
    });
    expect(options({})).not.toHaveProperty('sasl');
  });

  it('passes TLS and SASL credentials through', () => {
    expect(
      options({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'relay',
        KAFKA_SASL_PASSWORD: 's3cret',
      }),
    ).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'relay', password: 's3cret' },
    });
  });

  it('names the missing variable when SASL settings are incomplete', () => {
    expect(() => options({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toThrow(
      new KafkaConfigError('KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_PASSWORD as well'),
    );
    expect(() => options({ KAFKA_SASL_PASSWORD: 'p' })).toThrow(/KAFKA_SASL_MECHANISM is not/);
  });

  it('never prints the SASL password', () => {
    const config = loadConfig({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'hunter2',
    });
    expect(JSON.stringify(redactConfig(config))).not.toContain('hunter2');
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_PASSWORD: 'hunter2' })).toThrow(
      /KAFKA_SASL_MECHANISM: expected plain, scram-sha-256 or scram-sha-512/,
    );
  });

  it('rejects relay and consumer settings out of range, naming the variable', () => {
    expect(() => loadConfig({ RELAY_BATCH_SIZE: '0' })).toThrow(/RELAY_BATCH_SIZE: expected 1 to 10000/);
    expect(() => loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '3000' })).toThrow(
      /KAFKA_SESSION_TIMEOUT_MS: expected at least 6000/,
    );
    expect(loadConfig({})).toMatchObject({
      RELAY_BATCH_SIZE: 100,
      RELAY_POLL_INTERVAL_MS: 200,
      KAFKA_SESSION_TIMEOUT_MS: 30_000,
    });
  });
});
