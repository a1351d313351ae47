import { ConfigError, loadConfig, redactConfig, redactUrl } from '../../../services/config';

describe('loadConfig', () => {
  it('gives local defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(config.TEMPORAL_TASK_QUEUE).toBe('somagent');
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/somagent');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.KAFKA_IDEMPOTENT).toBe(false);
    expect(config.OPENAI_API_KEY).toBeUndefined();
    expect(config.CONSTITUTION_RELOAD_KAFKA).toBe(true);
    expect(config.CONSTITUTION_POLL_INTERVAL_MS).toBe(30_000);
  });

  it('parses good values, coercing numbers, booleans and lists', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.prod:7233',
      DATABASE_URL: 'postgresql://app:pw@db:5432/somagent',
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      KAFKA_IDEMPOTENT: 'true',
      DEVSERVER_PORT: '0',
      CONSTITUTION_PORT: '8089',
      OPENAI_API_KEY: 'sk-live-123',
      LOCAL_SLM_BASE_URL: 'http://127.0.0.1:11434/v1',
      CONSTITUTION_RELOAD_KAFKA: 'false',
      CONSTITUTION_POLL_INTERVAL_MS: '5000',
    });
    expect(config.CONSTITUTION_RELOAD_KAFKA).toBe(false);
    expect(config.CONSTITUTION_POLL_INTERVAL_MS).toBe(5_000);
    expect(config.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9093']);
    expect(config.KAFKA_IDEMPOTENT).toBe(true);
    expect(config.DEVSERVER_PORT).toBe(0);
    expect(config.CONSTITUTION_PORT).toBe(8089);
    expect(config.OPENAI_API_KEY).toBe('sk-live-123');
  });

  it('puts run workspaces under SOMAGENT_DATA_DIR unless WORKSPACE_ROOT says otherwise', () => {
    expect(loadConfig({}).WORKSPACE_ROOT).toBe('.data/workspaces');
    expect(loadConfig({ SOMAGENT_DATA_DIR: '/var/lib/somagent' }).WORKSPACE_ROOT).toBe(
      '/var/lib/somagent/workspaces',
    );
    expect(
      loadConfig({ SOMAGENT_DATA_DIR: '/var/lib/somagent', WORKSPACE_ROOT: '/srv/ws' }).WORKSPACE_ROOT,
    ).toBe('/srv/ws');
    expect(loadConfig({ SOMAGENT_DATA_DIR: '/d', WORKSPACE_ROOT: ' ' }).WORKSPACE_ROOT).toBe('/d/workspaces');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ REDIS_URL: '  ' }).REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it.each([
    ['DATABASE_URL', 'mysql://db/x', /DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/],
    ['TEMPORAL_ADDRESS', 'http://x', /TEMPORAL_ADDRESS: expected host:port/],
    ['CONSTITUTION_PORT', '70000', /CONSTITUTION_PORT: expected a port from 0 to 65535/],
    ['CONSTITUTION_PORT', 'eighty', /CONSTITUTION_PORT: expected a TCP port number/],
    ['KAFKA_IDEMPOTENT', 'maybe', /KAFKA_IDEMPOTENT: expected true or false/],
    ['KAFKA_BROKERS', 'k1:9092,nope', /KAFKA_BROKERS: expected host:port.* at item 1/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: /],
    ['CONSTITUTION_POLL_INTERVAL_MS', '10', /CONSTITUTION_POLL_INTERVAL_MS: expected 1000 to 86400000/],
    [
      'CONSTITUTION_POLL_INTERVAL_MS',
      'often',
      /CONSTITUTION_POLL_INTERVAL_MS: expected a number of milliseconds/,
    ],
  ])('rejects %s=%s naming the variable and what it expects', (variable, value, pattern) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(pattern);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ REDIS_URL: 'x', DATABASE_URL: 'y' })).toThrow(
      /REDIS_URL[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*REDIS_URL/,
    );
  });

  it('never echoes a secret or a URL password in an error', () => {
    const message = errorMessage(() =>
      loadConfig({ DATABASE_URL: 'mysql://u:hunter2@db/x', OPENAI_BASE_URL: 'ftp://k:sk-9@x' }),
    );
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/OPENAI_BASE_URL/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('sk-9');
    expect(message).toContain('***');
  });
});

function errorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the call to throw');
}

describe('redactConfig', () => {
  it('masks API keys and URL passwords but keeps everything else readable', () => {
    const config = loadConfig({
      OPENAI_API_KEY: 'sk-live-123',
      ANTHROPIC_API_KEY: 'sk-ant-456',
      DATABASE_URL: 'postgres://app:s3cret@db:5432/somagent',
      REDIS_URL: 'redis://:r3dis@cache:6379',
      GATEWAY_TOKEN: 'eyJgateway.token.sig',
      TEMPORAL_API_KEY: 'eyJtemporal.token.sig',
    });
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of ['sk-live-123', 'sk-ant-456', 's3cret', 'r3dis', 'eyJgateway', 'eyJtemporal'])
      expect(printed).not.toContain(secret);
    const redacted = redactConfig(config);
    expect(redacted.OPENAI_API_KEY).toBe('***');
    expect(redacted.DATABASE_URL).toBe('postgres://app:***@db:5432/somagent');
    expect(redacted.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
  });

  it('leaves unset secrets unset', () => {
    expect(redactConfig(loadConfig({})).OPENAI_API_KEY).toBeUndefined();
    expect(redactUrl('not a url')).toBe('not a url');
  });
});
