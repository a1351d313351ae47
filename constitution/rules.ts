import { Environment } from '@marcbachmann/cel-js';
import type { ActionDescriptor } from './descriptor';
import { hostAllowed } from './signals';

/**
 * Hard rules are CEL expressions over the action descriptor. Every top-level descriptor field is
 * a CEL variable (`tool.risk == "critical"`, `"secret" in taint && size(args.hosts) > 0`).
 * Nullable fields (`tool`, `persona`, `capsule`) are `dyn`: guard them with `tool != null && ...`.
 * Extra function: `hostIn(host, ["*.corp.example", "api.example.com"])`.
 */
export const RULE_VARIABLES = {
  activityType: 'string',
  tool: 'dyn',
  args: 'map',
  persona: 'dyn',
  capsule: 'dyn',
  tenant: 'string',
  budget: 'map',
  trainingMode: 'bool',
  taint: 'list<string>',
  denials: 'map',
} as const satisfies Record<keyof ActionDescriptor, string>;

/** A compiled rule predicate. */
export type RuleProgram = (x: ActionDescriptor) => unknown;

/** A CEL expression that does not compile or does not yield a bool. */
export class RuleCompileError extends Error {
  override readonly name = 'RuleCompileError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

let environment: Environment | undefined;

/** The shared CEL environment; built on first use because building one is not cheap. */
function celEnvironment(): Environment {
  if (environment) return environment;
  const env = new Environment({ homogeneousAggregateLiterals: true });
  for (const [name, type] of Object.entries(RULE_VARIABLES)) env.registerVariable(name, type);
  env.registerFunction('hostIn(string, list<string>): bool', (host: string, list: string[]) =>
    hostAllowed(host, list),
  );
  environment = env;
  return env;
}

// Rule expressions repeat across versions and tenants; compile each distinct text once.
const PROGRAM_CACHE = new Map<string, RuleProgram>();
const PROGRAM_CACHE_MAX = 1024;

/**
 * Parses and type-checks a rule once; the result is cached by expression text.
 *
 * @throws {RuleCompileError} with the CEL error (position included) as message and cause.
 */
export function compileRule(expression: string): RuleProgram {
  const cached = PROGRAM_CACHE.get(expression);
  if (cached) return cached;
  const env = celEnvironment();
  const checked = env.check(expression);
  if (!checked.valid) {
    throw new RuleCompileError(firstLine(checked.error?.message ?? 'invalid expression'), {
      cause: checked.error,
    });
  }
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new RuleCompileError(`a rule must evaluate to bool, this one yields ${checked.type}`);
  }
  let program: RuleProgram;
  try {
    program = env.parse(expression);
  } catch (err) {
    throw new RuleCompileError(firstLine(err instanceof Error ? err.message : String(err)), { cause: err });
  }
  if (PROGRAM_CACHE.size >= PROGRAM_CACHE_MAX) PROGRAM_CACHE.clear();
  PROGRAM_CACHE.set(expression, program);
  return program;
}

/** Outcome of running a rule: fired, not fired, or failed (a failing rule counts as fired). */
export type RuleOutcome = { fired: boolean; error?: string };

/**
 * Runs a compiled rule. Rules fail closed: an expression that errors at run time (a missing
 * field, a null dereference) or yields a non-bool counts as fired, with the error recorded.
 */
export function runRule(program: RuleProgram, x: ActionDescriptor): RuleOutcome {
  try {
    const value = program(x);
    if (value === true) return { fired: true };
    if (value === false) return { fired: false };
    return { fired: true, error: `rule yielded ${typeof value}, not bool` };
  } catch (err) {
    return { fired: true, error: firstLine(err instanceof Error ? err.message : String(err)) };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
