import { Environment } from '@marcbachmann/cel-js';

/**
 * Event trigger filters: CEL expressions over the event envelope, checked when a capsule is
 * compiled (so `somagent capsule validate` and `publish` refuse a bad one) and evaluated for every
 * incoming event by `services/triggers`. Envelope fields are variables (`data.issue.number > 0`,
 * `source == "github"`, `tenant == "acme"`); `event` is the whole envelope, so `event.type` works
 * too (a bare `type` is CEL's type function). A missing field is an error in CEL: guard optional
 * ones with `has(data.issue.pull_request)`.
 *
 * Sandbox-safe (cel-js is pure JS), though workflows never need it.
 */

/** CEL variables a filter may read, with their declared types. */
export const TRIGGER_FILTER_VARIABLES = {
  event: 'map',
  id: 'string',
  source: 'string',
  time: 'string',
  tenant: 'string',
  subject: 'string',
  data: 'map',
} as const;

/** Envelope fields `{{ event.<field> }}` templates and filters may read. */
export const EVENT_FIELDS = ['id', 'type', 'source', 'time', 'tenant', 'subject', 'data'] as const;

/** What a filter runs against: the event envelope (structurally, so capsules/ needs no service types). */
export interface TriggerEvent {
  id: string;
  type: string;
  source: string;
  time: string;
  tenant: string;
  subject: string;
  data: Record<string, unknown>;
}

/** A compiled filter. */
export type TriggerFilter = (variables: Record<string, unknown>) => unknown;

/** A filter that does not parse, reads an unknown variable, or cannot yield a bool. */
export class TriggerFilterError extends Error {
  override readonly name = 'TriggerFilterError';

  constructor(
    message: string,
    /** Character offset of the problem in the expression, when CEL reports one. */
    readonly offset?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

let environment: Environment | undefined;

/** Built on first use: building an environment is not cheap. */
function celEnvironment(): Environment {
  if (environment) return environment;
  const env = new Environment({ homogeneousAggregateLiterals: true });
  for (const [name, type] of Object.entries(TRIGGER_FILTER_VARIABLES)) env.registerVariable(name, type);
  environment = env;
  return env;
}

// Every event of a type runs the same filters: compile each distinct text once.
const FILTER_CACHE = new Map<string, TriggerFilter>();
const FILTER_CACHE_MAX = 1024;

/** The one-line summary of a CEL error and where it points, if anywhere. */
function describeCelError(err: unknown): { message: string; offset?: number } {
  if (!(err instanceof Error)) return { message: String(err) };
  const { summary, node } = err as Error & { summary?: string; node?: { pos?: number } };
  const message = summary ?? err.message.split('\n')[0] ?? err.message;
  return typeof node?.pos === 'number' ? { message, offset: node.pos } : { message };
}

/**
 * Parses and type-checks a filter; cached by expression text.
 *
 * @throws {TriggerFilterError} naming what is wrong and where (character offset).
 */
export function compileTriggerFilter(expression: string): TriggerFilter {
  const cached = FILTER_CACHE.get(expression);
  if (cached) return cached;
  const env = celEnvironment();
  const checked = env.check(expression);
  if (!checked.valid) {
    const { message, offset } = describeCelError(checked.error);
    const where = offset === undefined ? '' : ` at character ${offset + 1}`;
    const hint = /Unknown variable/.test(message)
      ? `; a filter reads ${Object.keys(TRIGGER_FILTER_VARIABLES).join(', ')}`
      : '';
    throw new TriggerFilterError(`${message}${where}${hint}`, offset, { cause: checked.error });
  }
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new TriggerFilterError(
      `a filter must yield true or false, this one yields ${checked.type}; compare it, e.g. ${expression} == ...`,
    );
  }
  let program: TriggerFilter;
  try {
    program = env.parse(expression);
  } catch (err) {
    const { message, offset } = describeCelError(err);
    throw new TriggerFilterError(message, offset, { cause: err });
  }
  if (FILTER_CACHE.size >= FILTER_CACHE_MAX) FILTER_CACHE.clear();
  FILTER_CACHE.set(expression, program);
  return program;
}

/** Why a filter is unusable, or undefined when it compiles. */
export function triggerFilterProblem(expression: string): { message: string; offset?: number } | undefined {
  try {
    compileTriggerFilter(expression);
    return undefined;
  } catch (err) {
    if (!(err instanceof TriggerFilterError)) throw err;
    return err.offset === undefined ? { message: err.message } : { message: err.message, offset: err.offset };
  }
}

/** Outcome of a filter for one event: it passed, it did not, or it failed at run time. */
export type FilterOutcome = { matched: true } | { matched: false; error?: string };

/**
 * Runs a compiled filter on an event. A filter that errors (a missing field without `has(...)`)
 * or yields a non-bool does not match, and says why.
 */
export function runTriggerFilter(filter: TriggerFilter, event: TriggerEvent): FilterOutcome {
  const { id, source, time, tenant, subject, data } = event;
  try {
    const value = filter({ event, id, source, time, tenant, subject, data });
    if (value === true) return { matched: true };
    if (value === false) return { matched: false };
    return { matched: false, error: `the filter yielded ${typeof value}, not true or false` };
  } catch (err) {
    const { message } = describeCelError(err);
    const hint = /No such key/.test(message) ? '; guard optional fields with has(...)' : '';
    return { matched: false, error: `${message}${hint}` };
  }
}
