import { isIP } from 'node:net';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * Every environment variable SomaGent reads, in one schema. Defaults describe a developer's
 * machine: everything on 127.0.0.1, embedded services started on demand.
 *
 * Secrets are listed in {@link SECRET_VARIABLES}; they are redacted whenever config is printed and
 * their values never appear in validation errors.
 */
const url = (protocols: string[], example: string) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a ${protocols.map((p) => `${p}//`).join(' or ')} URL, e.g. ${example}` },
    );

const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:/]+:\d{1,5}$/, { message: 'expected host:port, e.g. 127.0.0.1:7233' });

const port = z.coerce
  .number({ message: 'expected a TCP port number' })
  .int({ message: 'expected a whole number' })
  .min(0, { message: 'expected a port from 0 to 65535 (0 picks a free one)' })
  .max(65535, { message: 'expected a port from 0 to 65535 (0 picks a free one)' });

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** `10.0.0.0/8`, `fd00::/8` or a single address; the same rule as activities/tools/address-policy.ts. */
const isCidrOrAddress = (entry: string) => {
  const [base = '', bits] = entry.split('/');
  return isIP(base) !== 0 && (bits === undefined || ipaddr.isValidCIDR(entry));
};

const optionalSecret = z.string().trim().min(1, { message: 'must not be empty when set' }).optional();

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where embedded services keep their files (git-ignored). */
  SOMAGENT_DATA_DIR: z.string().trim().min(1).default('.data'),
  /** Start an embedded Postgres / Redis / devserver when the configured one is unreachable. */
  SOMAGENT_EMBEDDED: bool.default(true),

  TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('somagent'),
  /**
   * `jwt`: the devserver `npm start` embeds requires a JWT on every call (a `permissions` claim of
   * `"<namespace>:<role>"`, keys from AUTH_JWKS / AUTH_PUBLIC_KEY, outside production else the
   * local development key). `off`: anyone who reaches TEMPORAL_ADDRESS may call anything.
   */
  TEMPORAL_AUTH: z.enum(['off', 'jwt'], { message: 'expected off or jwt' }).default('off'),
  /** Bearer token every Temporal client sends (the SDK's `apiKey`). */
  TEMPORAL_API_KEY: optionalSecret,
  /** A file holding that token, re-read when it changes (token rotation); instead of TEMPORAL_API_KEY. */
  TEMPORAL_API_KEY_FILE: z.string().trim().min(1).optional(),
  /** TLS to the Temporal frontend (the SDK turns TLS on with an API key unless told; we do not). */
  TEMPORAL_TLS: bool.default(false),

  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/somagent').default(
    'postgres://postgres@127.0.0.1:5432/somagent',
  ),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),

  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379').default('redis://127.0.0.1:6379'),
  /** Prefix for every Redis key this deployment writes, so several can share one Redis. */
  REDIS_KEY_PREFIX: z.string().default('somagent:'),

  /** Comma-separated bootstrap brokers. */
  KAFKA_BROKERS: z
    .string()
    .trim()
    .default('127.0.0.1:9092')
    .transform((value) => value.split(',').map((b) => b.trim()))
    .pipe(z.array(hostPort).min(1, { message: 'expected at least one broker, e.g. 127.0.0.1:9092' })),
  KAFKA_CLIENT_ID: z.string().trim().min(1).default('somagent'),
  /** Idempotent producer; production brokers support it, librdkafka's mock cluster does not. */
  KAFKA_IDEMPOTENT: bool.default(false),

  OPENAI_API_KEY: optionalSecret,
  OPENAI_BASE_URL: url(['http:', 'https:'], 'https://api.openai.com/v1').optional(),
  ANTHROPIC_API_KEY: optionalSecret,
  ANTHROPIC_BASE_URL: url(['http:', 'https:'], 'https://api.anthropic.com').optional(),
  /** Any OpenAI-compatible server: Ollama, vLLM, LM Studio. */
  LOCAL_SLM_BASE_URL: url(['http:', 'https:'], 'http://127.0.0.1:11434/v1').optional(),
  LOCAL_SLM_API_KEY: optionalSecret,

  DEVSERVER_PORT: port.default(7233),
  /** The Temporal Web UI and HTTP API of the embedded devserver (a free port when busy). */
  WEB_UI_PORT: port.default(8233),
  CONSTITUTION_PORT: port.default(8088),
  GATEWAY_PORT: port.default(50051),
  METRICS_PORT: port.default(9464),

  /** JWKS (JSON text or a file path) holding the keys that sign admin JWTs and constitutions. */
  AUTH_JWKS: z.string().trim().min(1).optional(),
  /** Expected `iss` and `aud` of admin JWTs. */
  AUTH_ISSUER: z.string().trim().min(1).default('somagent'),
  AUTH_AUDIENCE: z.string().trim().min(1).default('somagent'),
  /**
   * One static public key (PEM, SPKI) that signs JWTs, instead of or besides AUTH_JWKS; AUTH_JWKS
   * also takes an https:// URL of a JWKS endpoint.
   */
  AUTH_PUBLIC_KEY: z
    .string()
    .trim()
    .regex(/^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----$/, {
      message: 'expected a PEM public key ("-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----")',
    })
    .optional(),
  /**
   * How runs are held to their callers (activities/identity/identity-mode.ts): `strict` needs a
   * verified identity on every root run and a signed token on every approval and review; `local`
   * lets a run without an identity keep its input's tenant and counts unsigned approvals as
   * unverified. Unset: strict with TEMPORAL_AUTH=jwt or NODE_ENV=production, else local.
   */
  IDENTITY_MODE: z.enum(['strict', 'local'], { message: 'expected "strict" or "local"' }).optional(),

  // --- gateway (services/gateway) ---
  /** Where clients (`somagent run`) reach the gateway. @default 127.0.0.1:GATEWAY_PORT */
  GATEWAY_ADDRESS: hostPort.optional(),
  /** Bearer token `somagent run` sends; unset: a local development token (outside production). */
  GATEWAY_TOKEN: optionalSecret,
  /** Interface the gateway binds to (0.0.0.0 in containers). */
  GATEWAY_HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** Calls per second a tenant may make, refilled continuously (token bucket). */
  GATEWAY_RATE_PER_SECOND: z.coerce
    .number({ message: 'expected a number of calls per second' })
    .positive({ message: 'expected a number above 0' })
    .default(50),
  /** Calls a tenant may make at once after a quiet spell (the bucket's size). */
  GATEWAY_BURST: z.coerce
    .number({ message: 'expected a number of calls' })
    .int({ message: 'expected a whole number' })
    .min(1, { message: 'expected at least 1' })
    .default(100),
  /** Calls and watch streams a tenant may have open at once. */
  GATEWAY_MAX_CONCURRENT: z.coerce
    .number({ message: 'expected a number of calls' })
    .int({ message: 'expected a whole number' })
    .min(1, { message: 'expected at least 1' })
    .default(200),
  /** Largest request message the gateway accepts, in bytes. */
  GATEWAY_MAX_MESSAGE_BYTES: z.coerce
    .number({ message: 'expected a number of bytes' })
    .int({ message: 'expected a whole number' })
    .min(1024, { message: 'expected at least 1024' })
    .default(4 * 1024 * 1024),

  // --- constitution service (services/constitution) ---
  /** Interface the constitution service binds to (0.0.0.0 in containers). */
  CONSTITUTION_HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** Outside production: sign the shipped default with the local dev key and publish it at first start. */
  CONSTITUTION_BOOTSTRAP_DEFAULT: bool.default(true),
  // --- constitution hot reload in the worker (workers/gate) ---
  /**
   * Workers subscribe to `constitution.updated` on Kafka (KAFKA_BROKERS) and install a newer
   * signed version as soon as it is published. false: the worker only polls Postgres.
   */
  CONSTITUTION_RELOAD_KAFKA: bool.default(true),
  /**
   * How often a worker reads the version in force from Postgres, in milliseconds: the fallback
   * that converges when Kafka is not configured, down, or an event was missed.
   */
  CONSTITUTION_POLL_INTERVAL_MS: z.coerce
    .number({ message: 'expected a number of milliseconds' })
    .int({ message: 'expected a whole number' })
    .min(1_000, { message: 'expected 1000 to 86400000 (1 s to 1 day)' })
    .max(86_400_000, { message: 'expected 1000 to 86400000 (1 s to 1 day)' })
    .default(30_000),
  // --- Event pipeline (services/relay, services/consumers) ---
  /** Outbox rows the relay claims and publishes per transaction. */
  RELAY_BATCH_SIZE: z.coerce
    .number({ message: 'expected a number' })
    .int({ message: 'expected a whole number' })
    .min(1, { message: 'expected 1 to 10000' })
    .max(10_000, { message: 'expected 1 to 10000' })
    .default(100),
  /** Pause of the relay between polls once the outbox is drained, in milliseconds. */
  RELAY_POLL_INTERVAL_MS: z.coerce
    .number({ message: 'expected a number of milliseconds' })
    .int({ message: 'expected a whole number' })
    .min(10, { message: 'expected 10 to 60000' })
    .max(60_000, { message: 'expected 10 to 60000' })
    .default(200),
  // --- Event triggers (services/triggers) ---
  /** Topic the event trigger consumer reads event envelopes from. */
  EVENT_TRIGGERS_TOPIC: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, {
      message: 'expected a Kafka topic name (letters, digits, ".", "_", "-"), e.g. somagent.events.v1',
    })
    .default('somagent.events.v1'),
  /** Interface the event webhook (`POST /v1/events`) binds to (0.0.0.0 in containers). */
  EVENT_WEBHOOK_HOST: z.string().trim().min(1).default('127.0.0.1'),
  EVENT_WEBHOOK_PORT: port.default(8089),
  /** Kafka consumer session timeout in milliseconds (librdkafka's mock cluster needs >= 6000). */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce
    .number({ message: 'expected a number of milliseconds' })
    .int({ message: 'expected a whole number' })
    .min(6_000, { message: 'expected at least 6000' })
    .default(30_000),
  /** TLS to the Kafka brokers (most production clusters require it). */
  KAFKA_SSL: bool.default(false),
  /** SASL mechanism for Kafka; needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD. */
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'], {
      message: 'expected plain, scram-sha-256 or scram-sha-512',
    })
    .optional(),
  KAFKA_SASL_USERNAME: z.string().trim().min(1, { message: 'must not be empty when set' }).optional(),
  KAFKA_SASL_PASSWORD: optionalSecret,
  // ── Execution: activities (SLM, tools, memory, budgets) and the payload codec ──────────────
  /** Root under which every run gets its own workspace directory. @default <SOMAGENT_DATA_DIR>/workspaces */
  WORKSPACE_ROOT: z.string().trim().min(1).optional(),
  /** Hosts `http.request` may reach: comma-separated names or `*.example.com`. Empty: none. */
  HTTP_TOOL_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  /**
   * Non-public address ranges `http.request` may connect to: comma-separated CIDRs or single
   * addresses, e.g. `10.20.0.0/16,fd00:1::/64`. Empty: public unicast addresses only (loopback,
   * private, link-local, CGNAT and the like refused after DNS resolution). Cloud metadata
   * addresses are refused even inside an allowed range.
   */
  HTTP_TOOL_ALLOWED_CIDRS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const entries = value
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      const bad = entries.filter((entry) => !isCidrOrAddress(entry));
      if (bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected comma-separated CIDR ranges or addresses, e.g. 10.0.0.0/8,fd00::/8,127.0.0.1 (not valid: ${bad.map((b) => `"${b}"`).join(', ')})`,
        });
        return z.NEVER;
      }
      return entries;
    }),
  HTTP_TOOL_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  HTTP_TOOL_TIMEOUT_MS: z.coerce.number().int().min(1).default(15_000),
  /** Requests per minute per SLM provider, shared by all workers, e.g. `openai=500,anthropic=50`. */
  SLM_RATE_LIMITS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const limits: Record<string, { requests: number }> = {};
      for (const part of value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const match = /^([A-Za-z0-9_-]+)=(\d+)$/.exec(part);
        if (!match) {
          ctx.addIssue({
            code: 'custom',
            message: `expected provider=requestsPerMinute, e.g. openai=500 (got "${part}")`,
          });
          return z.NEVER;
        }
        limits[match[1]!] = { requests: Number(match[2]) };
      }
      return limits;
    }),
  /** How long an uncommitted budget reservation holds money before it expires. */
  BUDGET_RESERVATION_TTL_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** Embeddings for memory recall: `openai` or `local` (a configured provider), model below. */
  EMBEDDINGS_PROVIDER: z.enum(['openai', 'local']).optional(),
  EMBEDDINGS_MODEL: z.string().trim().min(1).default('text-embedding-3-small'),
  /** Payloads larger than this (bytes) are kept in Postgres instead of workflow history. */
  PAYLOAD_CODEC_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(128 * 1024),
});

/** Defaults that depend on other variables, applied after each variable parsed. */
export const configSchema = envSchema.transform((env) => ({
  ...env,
  WORKSPACE_ROOT: env.WORKSPACE_ROOT ?? path.join(env.SOMAGENT_DATA_DIR, 'workspaces'),
}));

export type Env = z.input<typeof envSchema>;
export type Config = z.output<typeof configSchema>;

/** Variables whose values are credentials, or URLs that may carry one. */
export const SECRET_VARIABLES = [
  'TEMPORAL_API_KEY',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'LOCAL_SLM_API_KEY',
  'KAFKA_SASL_PASSWORD',
  'GATEWAY_TOKEN',
] as const satisfies readonly (keyof Config)[];

/** URLs whose userinfo part (user:password@) is a credential. */
export const URL_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'OPENAI_BASE_URL',
  'ANTHROPIC_BASE_URL',
  'LOCAL_SLM_BASE_URL',
] as const satisfies readonly (keyof Config)[];
