import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import {
  BUILTIN_LIBRARY_DIR,
  CapsuleValidationError,
  chainResolvers,
  checkModelReadiness,
  compileCapsule,
  configuredProviders,
  DEFAULT_PRICES,
  createCapsuleRegistry,
  forecastPlan,
  formatDiagnostic,
  formatReadinessIssue,
  libraryResolver,
  loadLibrary,
  parseCapsule,
  type CapsulePlan,
  type CapsuleRegistry,
  type Diagnostic,
  type DocumentKind,
  type ModelReadinessIssue,
  type PlanForecast,
  type ReferenceResolver,
} from '../../capsules';
import { loadConfig } from '../config';
import { createPool } from '../postgres';
import { syncSchedulesAfterPublish } from './schedule-commands';

/**
 * `somagent capsule ...`: validate, plan (with forecast), publish, list, show and deprecate Task
 * Capsules. Validation problems print as `file:line:col path message` and set exit code 1.
 */

/** One line to stdout / stderr (CLIs write to the process streams, never a logger). */
export const out = (text: string): void => void process.stdout.write(`${text}\n`);
const err = (text: string): void => void process.stderr.write(`${text}\n`);

/** Prints diagnostics (errors and warnings) to stderr; returns true when any is an error. */
export function reportDiagnostics(diagnostics: readonly Diagnostic[]): boolean {
  for (const d of diagnostics) err(formatDiagnostic(d));
  const failed = diagnostics.some((d) => d.severity === 'error');
  if (failed) process.exitCode = 1;
  return failed;
}

/**
 * Whether the plan's models can run with this environment's providers and the price catalogue
 * (the same check `npm start` makes). Prints each issue as `file: warning: …` / `file: error: …`
 * to stderr; an unpriced model or unknown provider sets exit code 1, a missing key only warns.
 * @returns the issues, and whether any is an error
 */
export function reportModelReadiness(
  file: string,
  plan: CapsulePlan,
): { issues: ModelReadinessIssue[]; failed: boolean } {
  const issues = checkModelReadiness(
    plan,
    configuredProviders(loadConfig()),
    DEFAULT_PRICES,
    new Date().toISOString().slice(0, 10),
  );
  for (const issue of issues) err(`${file}: ${formatReadinessIssue(issue)}`);
  const failed = issues.some((i) => i.severity === 'error');
  if (failed) process.exitCode = 1;
  return { issues, failed };
}

/** Runs `work` with a registry on DATABASE_URL, closing the pool afterwards. */
export async function withRegistry<T>(work: (registry: CapsuleRegistry) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const pool = createPool({ url: config.DATABASE_URL, max: 2, applicationName: 'somagent-cli' });
  try {
    return await work(createCapsuleRegistry({ pool }));
  } finally {
    await pool.end();
  }
}

interface ResolveOptions {
  library?: string[];
  registry?: boolean;
}

/** Resolver for local work: the file's folder, extra --library folders, the built-in library. */
async function localResolver(file: string, options: ResolveOptions): Promise<ReferenceResolver> {
  const dirs = [path.dirname(path.resolve(file)), ...(options.library ?? []), BUILTIN_LIBRARY_DIR];
  return libraryResolver(await loadLibrary([...new Set(dirs.map((d) => path.resolve(d)))]));
}

async function compileFile(
  file: string,
  options: ResolveOptions,
  registry?: CapsuleRegistry,
): Promise<{ plan?: CapsulePlan; diagnostics: Diagnostic[]; text: string }> {
  const text = await readFile(file, 'utf8');
  const parsed = parseCapsule(text, { file });
  if (!parsed.value) return { diagnostics: parsed.diagnostics, text };
  const local = await localResolver(file, options);
  const resolver = registry ? chainResolvers(local, registry.asResolver()) : local;
  const result = await compileCapsule(parsed.value, { resolver, source: parsed.source });
  return { ...result, text };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Registers the `capsule` group; returns it so other files can add sub-commands (`run`). */
export function registerCapsuleCommands(program: Command): Command {
  const capsule = program
    .command('capsule')
    .description('Task Capsules: validate, plan, publish, list, show');

  capsule
    .command('validate')
    .description(
      'check capsule files: schema, references, task graph, templates, and that their models are priced and their providers configured',
    )
    .argument('<files...>', 'capsule files (YAML or JSON)')
    .option('-L, --library <dir>', 'extra folder of capsules (and personas/) to resolve references', collect)
    .option('--registry', 'also resolve references from the registry at DATABASE_URL')
    .action(async (files: string[], options: ResolveOptions) => {
      const run = async (registry?: CapsuleRegistry) => {
        for (const file of files) {
          const { plan, diagnostics } = await compileFile(file, options, registry);
          if (!reportDiagnostics(diagnostics) && plan && !reportModelReadiness(file, plan).failed) {
            out(
              `${file}: ok ${plan.capsule.id}@${plan.capsule.version} (${plan.steps.length} steps, ${plan.hash})`,
            );
          }
        }
      };
      await (options.registry ? withRegistry(run) : run());
    });

  capsule
    .command('plan')
    .description('compile a capsule and forecast its tokens and cost')
    .argument('<file>', 'capsule file')
    .option('--json', 'print the plan and forecast as JSON')
    .option('-L, --library <dir>', 'extra folder of capsules (and personas/) to resolve references', collect)
    .option('--registry', 'resolve references from, and use forecast coefficients learned in, the registry')
    .option('--scope <scope>', 'forecast coefficient scope in the registry (e.g. a tenant)', 'global')
    .option('--confidence <level>', 'confidence of the forecast interval: 0.8, 0.9, 0.95 or 0.99', '0.9')
    .action(
      async (
        file: string,
        options: ResolveOptions & { json?: boolean; confidence: string; scope: string },
      ) => {
        const confidence = Number(options.confidence);
        if (![0.8, 0.9, 0.95, 0.99].includes(confidence)) {
          err(`--confidence must be one of 0.8, 0.9, 0.95, 0.99 (got "${options.confidence}")`);
          process.exitCode = 2;
          return;
        }
        const run = async (registry?: CapsuleRegistry) => {
          const { plan, diagnostics } = await compileFile(file, options, registry);
          if (reportDiagnostics(diagnostics) || !plan) return;
          const readiness = reportModelReadiness(file, plan).issues;
          // With --registry the forecast uses coefficients learned from recorded runs.
          const coefficients = registry ? await registry.loadCoefficients(options.scope) : undefined;
          const forecast = forecastPlan(plan, {
            confidence: confidence as 0.9,
            ...(coefficients && { coefficients }),
          });
          if (options.json) out(JSON.stringify({ plan, forecast, readiness }, null, 2));
          else out(renderPlan(plan, forecast));
        };
        await (options.registry ? withRegistry(run) : run());
      },
    );

  capsule
    .command('publish')
    .description('publish capsule versions to the registry (references must be published first)')
    .argument('<files...>', 'capsule files, in dependency order')
    .option('--by <name>', 'who publishes (recorded with the version)')
    .option('--no-sync-schedules', 'do not sync Temporal Schedules afterwards (`somagent schedules sync`)')
    .action(async (files: string[], options: { by?: string; syncSchedules: boolean }) => {
      let published = 0;
      await withRegistry(async (registry) => {
        for (const file of files) {
          const text = await readFile(file, 'utf8');
          const parsed = parseCapsule(text, { file });
          if (reportDiagnostics(parsed.diagnostics) || !parsed.value) continue;
          // Compile here first, with the file's positions, so problems point into the file; the
          // registry compiles again when it publishes.
          const compiled = await compileCapsule(parsed.value, {
            resolver: registry.asResolver(),
            source: parsed.source,
          });
          if (compiled.diagnostics.some((d) => d.severity === 'error')) {
            reportDiagnostics(compiled.diagnostics);
            continue;
          }
          const ok = await publishReporting(file, () =>
            registry.publishCapsule(parsed.value, {
              source: text,
              ...(options.by && { publishedBy: options.by }),
            }),
          );
          if (ok) published += 1;
        }
      });
      // A new version may change, add or end schedules: bring them in line right away.
      if (published > 0 && options.syncSchedules) await syncSchedulesAfterPublish();
    });

  registerRegistryQueries(capsule, 'capsule');
  return capsule;
}

/**
 * Runs a publish, printing its outcome; validation and immutability errors set exit code 1.
 * @returns whether the version is published (newly or unchanged)
 */
export async function publishReporting(
  file: string,
  publish: () => Promise<{
    id: string;
    version: string;
    hash: string;
    status: string;
    warnings: Diagnostic[];
  }>,
): Promise<boolean> {
  try {
    const result = await publish();
    reportDiagnostics(result.warnings);
    out(`${file}: ${result.status} ${result.id}@${result.version} ${result.hash}`);
    return true;
  } catch (e) {
    if (e instanceof CapsuleValidationError) {
      reportDiagnostics(e.diagnostics);
    } else if (e instanceof Error && e.name === 'ImmutableVersionError') {
      err(`${file}: ${e.message}`);
      process.exitCode = 1;
    } else {
      throw e;
    }
    return false;
  }
}

/** `list`, `show` and `deprecate`, shared by capsules and personas. */
export function registerRegistryQueries(group: Command, kind: DocumentKind): void {
  group
    .command('list')
    .description(`list published ${kind}s (latest version of each)`)
    .option('--all', 'include fully deprecated ids')
    .option('--json', 'print JSON')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      await withRegistry(async (registry) => {
        const entries = await registry.list(kind, { includeDeprecated: options.all === true });
        if (options.json) return out(JSON.stringify(entries, null, 2));
        if (entries.length === 0) return out(`no ${kind}s published`);
        out(
          table(
            ['ID', 'LATEST', kind === 'capsule' ? 'TYPE' : '', 'VERSIONS', 'TITLE'].filter(Boolean),
            entries.map((e) => [
              e.id + (e.deprecated ? ' (deprecated)' : ''),
              e.latest,
              ...(kind === 'capsule' ? [e.type ?? ''] : []),
              String(e.versions.length),
              e.title,
            ]),
          ),
        );
      });
    });

  group
    .command('show')
    .description(`show a published ${kind}: id, id@version or id@range`)
    .argument(
      '<ref>',
      `${kind} reference, e.g. ${kind === 'capsule' ? 'analytics.weekly-report@^1' : 'engineer@^1'}`,
    )
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      await withRegistry(async (registry) => {
        const record = await registry.show(kind, ref.includes('@') ? ref : `${ref}@*`);
        if (!record) {
          err(`${kind} ${ref} not found: no published, non-deprecated version matches`);
          process.exitCode = 1;
          return;
        }
        if (options.json) return out(JSON.stringify(record, null, 2));
        const versions = (await registry.versions(kind, record.id)).map(
          (v) => `${v.version}${v.deprecated ? ' (deprecated)' : ''}`,
        );
        out(`# ${record.kind} ${record.id}@${record.version}`);
        out(`# hash: ${record.hash}`);
        out(
          `# published: ${record.publishedAt.toISOString()}${record.publishedBy ? ` by ${record.publishedBy}` : ''}`,
        );
        if (record.deprecated) out(`# DEPRECATED: ${record.deprecated.reason}`);
        out(`# versions: ${versions.join(', ')}`);
        out(record.source ?? stringify(record.document));
      });
    });

  group
    .command('deprecate')
    .description(`deprecate a ${kind} version: ranges stop resolving to it, exact pins keep working`)
    .argument('<ref>', 'id@version')
    .requiredOption('--reason <text>', 'why (shown to whoever still pins it)')
    .action(async (ref: string, options: { reason: string }) => {
      const [id, version] = ref.split('@');
      if (!id || !version) {
        err(`expected id@version, e.g. ${kind === 'capsule' ? 'product.qa@1.0.0' : 'engineer@1.0.0'}`);
        process.exitCode = 2;
        return;
      }
      await withRegistry(async (registry) => {
        try {
          await registry.deprecate(kind, id, version, options.reason);
          out(`deprecated ${kind} ${id}@${version}`);
        } catch (e) {
          if (!(e instanceof Error) || e.name !== 'ReferenceNotFoundError') throw e;
          err(e.message);
          process.exitCode = 1;
        }
      });
    });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const tokens = (n: number) =>
  n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n)}`;
const duration = (ms: number) => {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  return minutes < 2880
    ? `${(minutes / 60).toFixed(minutes % 60 === 0 ? 0 : 1)} h`
    : `${(minutes / 1440).toFixed(1)} d`;
};
const usd = (n: number) => `$${n < 0.1 ? n.toFixed(4) : n.toFixed(2)}`;

/** The human-readable plan: steps by layer with forecasts, totals, budget and critical path. */
export function renderPlan(plan: CapsulePlan, forecast: PlanForecast): string {
  const lines: string[] = [];
  const c = plan.capsule;
  lines.push(`${c.id}@${c.version}  ${c.title}  (${c.type})`);
  lines.push(`plan ${plan.hash}`);
  lines.push('');
  const rows = plan.steps.map((step) => {
    const f = forecast.steps.find((s) => s.stepId === step.id)!;
    const who =
      step.kind === 'persona'
        ? `${plan.personas[step.persona]!.id}@${plan.personas[step.persona]!.version}`
        : `capsule ${step.plan.capsule.id}@${step.plan.capsule.version}`;
    return [
      String(step.layer),
      step.id + (step.review ? ' [review]' : ''),
      who,
      step.kind === 'persona' ? step.model : '-',
      step.kind === 'persona' ? step.tools.join(',') || '-' : '-',
      `${tokens(f.tokens.mean)} (${tokens(f.tokens.low)}–${tokens(f.tokens.high)})`,
      usd(f.costUsd.mean),
    ];
  });
  lines.push(table(['LAYER', 'STEP', 'PERSONA', 'MODEL', 'TOOLS', 'TOKENS', 'COST'], rows));
  lines.push('');
  const pct = Math.round(forecast.confidence * 100);
  lines.push(
    `total: ${tokens(forecast.tokens.mean)} tokens (${pct}%: ${tokens(forecast.tokens.low)}–${tokens(forecast.tokens.high)}), ` +
      `${usd(forecast.costUsd.mean)} (${usd(forecast.costUsd.low)}–${usd(forecast.costUsd.high)})`,
  );
  lines.push(
    `budget: ${tokens(plan.budget.tokens)} tokens, ${usd(plan.budget.costUsd)}, wall time ${duration(plan.budget.wallTimeMs)}` +
      ` — ${forecast.budget.withinBudget ? 'forecast fits' : 'FORECAST EXCEEDS BUDGET'}` +
      (forecast.budget.needsApproval
        ? `; needs approval (limit ${usd(plan.budget.approvalLimitUsd ?? 0)})`
        : ''),
  );
  lines.push(`critical path: ${plan.criticalPath.steps.join(' → ')} (${plan.criticalPath.length})`);
  if (forecast.unknownModels.length > 0)
    lines.push(`unpriced models (cost counted as 0): ${forecast.unknownModels.join(', ')}`);
  return lines.join('\n');
}
