import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../../services/platform/free-port';
import { startBehavingOpenAi, type BehavingOpenAi } from '../../support/fake-slm';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { promisify } from 'node:util';
import { runPlatformOnce, servePlatform, type PlatformRun } from '../../support/platform-process';
import { createTestDatabase } from '../../support/postgres';

// `npm start -- --once` as a new user runs it, in a child process: its own devserver, the shipped
// library and the sample capsule against an OpenAI-compatible server that behaves like a model
// (reads the transcript, then `finish`es with JSON for the step's schema), or one that answers
// off-schema every time. Only the model is a double.
jest.setTimeout(240_000);

const KEY = 'sk-npm-start-behaving-0123456789';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDatabase('npm_start');
  dataDir = mkdtempSync(path.join(tmpdir(), 'somagent-start-'));
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Started extends PlatformRun {
  /** What GET <metrics address> answered while the run was going, when the address was printed. */
  metrics?: string;
}

/** The environment of a start on private ports, with its own devserver, against `model`. */
async function platformEnv(model: BehavingOpenAi): Promise<Record<string, string | undefined>> {
  const [temporalPort, metricsPort, constitutionPort, gatewayPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  return {
    DATABASE_URL: db.url,
    SOMAGENT_DATA_DIR: dataDir,
    // Nothing listens there: npm start brings its own devserver up on that port.
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    DEVSERVER_PORT: String(temporalPort),
    METRICS_PORT: String(metricsPort),
    CONSTITUTION_PORT: String(constitutionPort),
    GATEWAY_PORT: String(gatewayPort),
    OPENAI_API_KEY: KEY,
    OPENAI_BASE_URL: model.baseURL,
    ANTHROPIC_API_KEY: undefined,
    LOCAL_SLM_BASE_URL: undefined,
    LOG_LEVEL: undefined,
    TEMPORAL_AUTH: undefined,
    TEMPORAL_API_KEY: undefined,
    TEMPORAL_API_KEY_FILE: undefined,
    TEMPORAL_TLS: undefined,
  };
}

async function start(model: BehavingOpenAi): Promise<Started> {
  let probe: Promise<string> | undefined;
  const run = await runPlatformOnce(await platformEnv(model), (soFar) => {
    const address = /^ {2}metrics +(\S+)$/m.exec(soFar)?.[1];
    if (address && !probe) probe = fetch(address).then((r) => r.text());
  });
  return {
    ...run,
    ...(probe ? { metrics: await probe.catch((err: unknown) => `unreachable: ${String(err)}`) } : {}),
  };
}

describe('npm start', () => {
  it('--once with a model that behaves: exit 0, prints the summary, serves metrics, reports what is missing', async () => {
    // Each answer a little later, so the metrics address can be probed while the sample runs.
    const model = await startBehavingOpenAi({ apiKey: KEY, delayMs: 400 });
    try {
      const run = await start(model);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(run.stdout).toContain('sample run completed');
      expect(run.stdout).toMatch(
        /^ {2}temporal auth: off \(anyone who reaches 127\.0\.0\.1:\d+ may start, signal and approve; set TEMPORAL_AUTH=jwt to require tokens\)$/m,
      );
      expect(run.stdout).toMatch(
        /--- meetings\/summary\.md \(.+\/workspaces\/.+\/meetings\/summary\.md\) ---/,
      );
      expect(run.stdout).toMatch(/^## Decisions/m);
      // Worker metrics were served on METRICS_PORT at the printed address.
      expect(run.metrics).toContain('somagent_gate_decisions_total');
      // Readiness: the personas on Anthropic models are named, with the model and the variable.
      expect(run.stdout).toMatch(/^ {2}models +providers with a key: openai$/m);
      expect(run.stdout).toMatch(
        /^ {4}ANTHROPIC_API_KEY is not set, so these personas cannot call their models/m,
      );
      expect(run.stdout).toMatch(
        /^ {6}engineer@\S+ anthropic\/claude-sonnet-4-6 +in product\.development@\S+, web\.landing-page@\S+$/m,
      );
      expect(run.stdout).not.toContain('persona scribe');
      // No secret in what the user sees.
      expect(run.stdout + run.stderr).not.toContain(KEY);
    } finally {
      await model.close();
    }
  });

  it('--once with TEMPORAL_AUTH=jwt: the devserver refuses calls without a token, the platform runs the sample with its own local tokens', async () => {
    const model = await startBehavingOpenAi({ apiKey: KEY });
    try {
      let refusal: Promise<{ code?: number; details?: string }> | undefined;
      const env: Record<string, string | undefined> = {
        ...(await platformEnv(model)),
        TEMPORAL_AUTH: 'jwt',
        AUTH_JWKS: undefined,
        AUTH_PUBLIC_KEY: undefined,
      };
      const run = await runPlatformOnce(env, (soFar) => {
        if (refusal || !/^ {2}temporal auth: jwt/m.test(soFar)) return;
        // While the platform runs: a client without a token gets nothing from its devserver.
        refusal = (async () => {
          const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
          try {
            await connection.workflowService.startWorkflowExecution({
              namespace: 'default',
              workflowId: `anonymous-${randomUUID()}`,
              workflowType: { name: 'capsuleWorkflow' },
              taskQueue: { name: 'somagent' },
              requestId: randomUUID(),
            });
            return {};
          } catch (err) {
            return err as { code?: number; details?: string };
          } finally {
            await connection.close();
          }
        })();
      });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(run.stdout).toMatch(
        /^ {2}temporal auth: jwt \(permissions claim, keys from the local development key; the platform sends local tokens signed with the development key\)$/m,
      );
      expect(run.stdout).toContain('sample run completed');
      const refused = await refusal;
      expect(refused?.code).toBe(16 /* UNAUTHENTICATED */);
      expect(refused?.details).toContain('authorization: Bearer <JWT>');
    } finally {
      await model.close();
    }
  });

  it('serving with TEMPORAL_AUTH=jwt: the printed capsule run command signs its own local token, and a run through the gateway completes', async () => {
    const model = await startBehavingOpenAi({ apiKey: KEY });
    const platform = servePlatform({
      ...(await platformEnv(model)),
      TEMPORAL_AUTH: 'jwt',
      AUTH_JWKS: undefined,
      AUTH_PUBLIC_KEY: undefined,
    });
    try {
      const stdout = await platform.printed('Serving until Ctrl-C');
      expect(stdout).toMatch(
        /^ {2}Temporal clients .*, with a JWT \(TEMPORAL_API_KEY\) whose permissions claim holds "default:write"/m,
      );
      const runHint = /^ {2}(env .* capsule run .*--wait)$/m.exec(stdout)?.[1];
      expect(runHint).toBeDefined();
      const notes = path.join(dataDir, 'notes-jwt.txt');
      writeFileSync(notes, 'Ana: We decided to ship on Monday.\n');
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(
          ([name]) => !/^(DATABASE_URL|TEMPORAL_|REDIS_URL|AUTH_)/.test(name),
        ),
      );
      const { stdout: ran } = await promisify(execFile)('sh', ['-c', runHint!.replace('notes.txt', notes)], {
        env: clean,
      });
      expect(ran).toMatch(/completed/);
      // Through the gateway: it forwards its verified caller with the platform's identity:assert token.
      const gatewayHint = /^ {2}(env .* somagent run .*--watch)$/m.exec(stdout)?.[1];
      expect(gatewayHint).toBeDefined();
      const { stdout: watched } = await promisify(execFile)(
        'sh',
        ['-c', gatewayHint!.replace('notes.txt', notes)],
        { env: clean },
      );
      expect(watched).toMatch(/^run completed: \d+ tokens/m);
    } finally {
      const stopped = await platform.stop();
      await model.close();
      expect(stopped.code).toBe(0);
    }
  });

  it('--once with a model that always answers off-schema: the workflow fails, exit 1, OutputSchemaMismatch with the field path', async () => {
    const model = await startBehavingOpenAi({ apiKey: KEY, offSchemaFinishes: 1_000 });
    try {
      const run = await start(model);
      expect(run.code).toBe(1);
      // Printed only for a WorkflowFailedError: the capsule workflow closed as Failed.
      expect(run.stdout).toContain('sample run failed: OutputSchemaMismatch');
      expect(run.stdout).toMatch(/step "extract" failed: OutputSchemaMismatch: .*\$\.\w+/);
      expect(run.stdout).toMatch(/^ {2}try: /m);
      const workflowId = /^ {2}workflow (\S+):/m.exec(run.stdout)?.[1];
      expect(workflowId).toBeDefined();
      expect(run.stdout).not.toContain('sample run completed');
    } finally {
      await model.close();
    }
  });

  it('serving: the commands it prints work from a shell without its variables, and Ctrl-C stops it', async () => {
    const model = await startBehavingOpenAi({ apiKey: KEY });
    const platform = servePlatform(await platformEnv(model));
    try {
      const stdout = await platform.printed('Serving until Ctrl-C');
      // This platform is not on the defaults, so the commands read an env file, never a secret.
      const list = /^ {2}(env \$\(cat \S+platform\.env\) npx somagent capsule list)$/m.exec(stdout)?.[1];
      expect(list).toBeDefined();
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !/^(DATABASE_URL|TEMPORAL_|REDIS_URL)/.test(name)),
      );
      const { stdout: listed } = await promisify(execFile)('sh', ['-c', list!], { env: clean });
      expect(listed).toContain('meetings.transcript-summary');
      expect(listed).toContain('support.issue-triage');
      // The run hint, with a transcript of the user's own.
      const runHint = /^ {2}(env .* capsule run .*--wait)$/m.exec(stdout)?.[1];
      expect(runHint).toBeDefined();
      const notes = path.join(dataDir, 'notes.txt');
      writeFileSync(
        notes,
        'Ana: We decided to ship on Monday.\nBo: I will write the release notes by Friday.\n',
      );
      const { stdout: ran } = await promisify(execFile)('sh', ['-c', runHint!.replace('notes.txt', notes)], {
        env: clean,
      });
      expect(ran).toMatch(/completed/);
      // The same run through the gateway (gRPC), followed to its result.
      const gatewayHint = /^ {2}(env .* somagent run .*--watch)$/m.exec(stdout)?.[1];
      expect(gatewayHint).toBeDefined();
      const { stdout: watched } = await promisify(execFile)(
        'sh',
        ['-c', gatewayHint!.replace('notes.txt', notes)],
        { env: clean },
      );
      expect(watched).toMatch(/^started meetings\.transcript-summary@\S+ as \S+ \(via 127\.0\.0\.1:\d+\)$/m);
      expect(watched).toMatch(/^ {2}step extract: succeeded$/m);
      expect(watched).toMatch(/^ {2}gate allow +\S+ score /m);
      expect(watched).toMatch(/^run completed: \d+ tokens/m);
    } finally {
      const stopped = await platform.stop();
      await model.close();
      expect(stopped.code).toBe(0);
    }
  });
});
