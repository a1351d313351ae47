import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { JSONWebKeySet } from 'jose';
import {
  buildActionDescriptor,
  type CompiledConstitution,
  createTrustStore,
  evaluate,
  generateSigningKey,
  parseActionDescriptor,
  signConstitution,
  type TrustStore,
  validateConstitution,
  verifyConstitution,
} from '../../constitution';
import { loadJwks, mergeJwks } from '../auth';
import { loadConfig } from '../config';
import { DEV_KEY_NAME } from '../constitution/bootstrap';
import { readConstitutionFile, readDataFile } from '../constitution/files';
import { defaultKeyDir, keyPaths, readKeyPair, writeKeyPair } from '../constitution/key-files';
import { actionInputSchema, parseRequest } from '../constitution/requests';
import { parseDuration, parseSince } from '../constitution/time-window';
import { runWhatIf, type WhatIfReport } from '../constitution/whatif';
import { createPool } from '../postgres';

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const json = (value: unknown) => out(JSON.stringify(value, null, 2));

/**
 * `somagent constitution ...`: keys, signing, verification, validation, evaluation, what-if and
 * publishing of constitution versions.
 */
export function registerConstitutionCommands(program: Command): void {
  const group = program
    .command('constitution')
    .description('sign, verify, validate, evaluate and publish constitutions');

  group
    .command('keygen')
    .description(
      'generate an Ed25519 signing key: <name>.private.jwk.json (secret, 0600) and <name>.jwks.json',
    )
    .option('--dir <dir>', 'output directory (default: <SOMAGENT_DATA_DIR>/constitution/keys)')
    .option('--name <name>', 'file name stem', DEV_KEY_NAME)
    .option('--force', 'replace an existing key', false)
    .action(async (opts: { dir?: string; name: string; force: boolean }) => {
      const dir = opts.dir ?? defaultKeyDir(loadConfig().SOMAGENT_DATA_DIR);
      const pair = await generateSigningKey();
      const files = await writeKeyPair(dir, opts.name, pair, { force: opts.force });
      json({ kid: pair.kid, privateKey: files.privateKey, jwks: files.jwks });
    });

  group
    .command('sign <document>')
    .description('sign a constitution document (JSON/YAML) as a compact EdDSA JWS')
    .option('--key <file>', 'private JWK file (default: the dev key from keygen)')
    .option('--lifetime <duration>', 'signature lifetime, e.g. 30d, 12h, 2w', '52w')
    .option('--out <file>', 'write the JWS here instead of stdout')
    .action(async (documentFile: string, opts: { key?: string; lifetime: string; out?: string }) => {
      const file = await readConstitutionFile(documentFile);
      if (file.kind !== 'document') throw new Error(`${documentFile} is already signed`);
      const compiled = validateConstitution(file.document);
      const key = await readKeyPair(
        opts.key ?? keyPaths(defaultKeyDir(loadConfig().SOMAGENT_DATA_DIR), DEV_KEY_NAME).privateKey,
      );
      const lifetimeSeconds = Math.round(parseDuration(opts.lifetime) / 1000);
      const jws = await signConstitution(compiled.document, { privateJwk: key.privateJwk, lifetimeSeconds });
      if (opts.out) {
        await writeFile(opts.out, `${jws}\n`);
        json({ version: compiled.version, hash: compiled.hash, kid: key.kid, out: opts.out });
      } else {
        out(jws);
      }
    });

  group
    .command('verify <jws>')
    .description('verify a signed constitution (signature, expiry, content, optional rollback check)')
    .option('--jwks <file-or-json>', 'trusted keys (default: AUTH_JWKS plus the local dev key)')
    .option('--current-version <n>', 'reject versions not above this one', (v) => Number.parseInt(v, 10))
    .action(async (jwsFile: string, opts: { jwks?: string; currentVersion?: number }) => {
      const jws = (await readFile(jwsFile, 'utf8')).trim();
      const verified = await verifyConstitution(jws, trustStoreFor(opts.jwks), {
        ...(opts.currentVersion !== undefined && { currentVersion: opts.currentVersion }),
      });
      json({
        valid: true,
        version: verified.compiled.version,
        label: verified.compiled.label,
        hash: verified.hash,
        kid: verified.kid,
        issuedAt: verified.issuedAt.toISOString(),
        expiresAt: verified.expiresAt.toISOString(),
      });
    });

  group
    .command('validate <document>')
    .description(
      'check a document: schema, known features, rules compile, reachable threshold, overlays only tighten',
    )
    .action(async (documentFile: string) => {
      const compiled = await loadCandidate(documentFile);
      json({
        valid: true,
        version: compiled.version,
        label: compiled.label,
        hash: compiled.hash,
        maxScore: compiled.maxScore,
        features: compiled.features.map((f) => f.name),
        rules: compiled.rules.map((r) => r.id),
        overlays: [...compiled.overlays.keys()],
      });
    });

  group
    .command('eval <constitution>')
    .description('evaluate one action under a constitution (document or JWS)')
    .requiredOption('--descriptor <file>', 'action descriptor x(a) as JSON/YAML (or raw facts with --action)')
    .option('--action', 'the file holds raw activity facts; build x(a) from them', false)
    .action(async (constitutionFile: string, opts: { descriptor: string; action: boolean }) => {
      const compiled = await loadCandidate(constitutionFile);
      const data = await readDataFile(opts.descriptor);
      const descriptor = opts.action
        ? buildActionDescriptor(parseRequest(actionInputSchema, data, 'action'))
        : parseActionDescriptor(data);
      json(evaluate(compiled, descriptor));
    });

  group
    .command('whatif <candidate>')
    .description('replay recorded gate decisions under a candidate and list every decision that would flip')
    .option('--since <window>', 'how far back: 30m, 12h, 7d, 2w or an ISO timestamp', '7d')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--limit <n>', 'most decisions examined', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the full report as JSON', false)
    .action(
      async (
        candidateFile: string,
        opts: { since: string; tenant?: string; limit?: number; json: boolean },
      ) => {
        const candidate = await loadCandidate(candidateFile);
        const config = loadConfig();
        const pool = createPool({ url: config.DATABASE_URL, max: 2, applicationName: 'somagent-cli' });
        try {
          const report = await runWhatIf({
            pool,
            candidate,
            since: parseSince(opts.since),
            ...(opts.tenant !== undefined && { tenant: opts.tenant }),
            ...(opts.limit !== undefined && { limit: opts.limit }),
          });
          if (opts.json) json(report);
          else out(formatWhatIf(report));
        } finally {
          await pool.end();
        }
      },
    );

  group
    .command('publish <jws>')
    .description('publish a signed constitution to the constitution service (needs constitution:publish)')
    .option('--url <url>', 'service base URL (default: http://127.0.0.1:<CONSTITUTION_PORT>)')
    .option('--token-file <file>', 'file holding the admin JWT (default: $SOMAGENT_ADMIN_TOKEN)')
    .action(async (jwsFile: string, opts: { url?: string; tokenFile?: string }) => {
      const config = loadConfig();
      const jws = (await readFile(jwsFile, 'utf8')).trim();
      const token = opts.tokenFile
        ? (await readFile(opts.tokenFile, 'utf8')).trim()
        : process.env.SOMAGENT_ADMIN_TOKEN;
      if (!token) throw new Error('no admin token: pass --token-file <file> or set SOMAGENT_ADMIN_TOKEN');
      const base = opts.url ?? `http://127.0.0.1:${config.CONSTITUTION_PORT}`;
      const res = await fetch(new URL('/v1/constitution/versions', base), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ jws }),
      });
      const body = (await res.json()) as Record<string, unknown>;
      if (!res.ok)
        throw new Error(`publish failed (${res.status} ${String(body.error)}): ${String(body.message)}`);
      json(body);
    });
}

/** Trust store from an explicit JWKS, or AUTH_JWKS plus the local dev key. */
function trustStoreFor(jwksOption: string | undefined): TrustStore {
  if (jwksOption) return createTrustStore(loadJwks(jwksOption));
  const config = loadConfig();
  const sets: JSONWebKeySet[] = [];
  if (config.AUTH_JWKS) sets.push(loadJwks(config.AUTH_JWKS));
  const dev = keyPaths(defaultKeyDir(config.SOMAGENT_DATA_DIR), DEV_KEY_NAME).jwks;
  if (existsSync(dev)) sets.push(loadJwks(dev));
  if (sets.length === 0)
    throw new Error('no trusted keys: pass --jwks, set AUTH_JWKS, or run `somagent constitution keygen`');
  return createTrustStore(mergeJwks(...sets));
}

/** A document is validated; a JWS is verified against the default trust store first. */
async function loadCandidate(file: string): Promise<CompiledConstitution> {
  const content = await readConstitutionFile(file);
  if (content.kind === 'document') return validateConstitution(content.document);
  return (await verifyConstitution(content.jws, trustStoreFor(undefined))).compiled;
}

function formatWhatIf(report: WhatIfReport): string {
  const lines = [
    `candidate v${report.candidate.version} (${report.candidate.label}) ${report.candidate.hash}`,
    `window ${report.window.since} .. ${report.window.until}${report.window.tenant ? ` tenant ${report.window.tenant}` : ''}`,
    `examined ${report.examined}, unchanged ${report.unchanged}, flipped ${report.flipped}` +
      (Object.keys(report.skipped).length ? `, skipped ${JSON.stringify(report.skipped)}` : '') +
      (report.limitReached ? ' (limit reached)' : ''),
  ];
  const table = (title: string, counts: Record<string, number>) => {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    if (entries.length) lines.push(title, ...entries.map(([k, n]) => `  ${k.padEnd(40)} ${n}`));
  };
  table('transitions:', report.transitions);
  table('features that moved the result:', report.byFeature);
  table('rules (+ now fires, - no longer fires):', report.byRule);
  if (report.flips.length) {
    lines.push('flips:');
    for (const f of report.flips) {
      const moved = f.featureShifts
        .map((s) => `${s.feature} ${s.delta > 0 ? '+' : ''}${s.delta.toFixed(3)}`)
        .join(', ');
      lines.push(
        `  ${f.time} ${f.tenant} ${f.subject} ${f.from}->${f.to} score ${f.scoreBefore?.toFixed(3) ?? '?'}->${f.scoreAfter.toFixed(3)}` +
          (moved ? ` [${moved}]` : '') +
          (f.rulesAdded.length ? ` +rules ${f.rulesAdded.join(',')}` : '') +
          (f.rulesRemoved.length ? ` -rules ${f.rulesRemoved.join(',')}` : ''),
      );
    }
    if (report.truncated) lines.push(`  ... ${report.flipped - report.flips.length} more (use --json)`);
  }
  return lines.join('\n');
}
