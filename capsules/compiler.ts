import type { Capsule, OutputSchema, ParamSpec, Step, Trigger } from './capsule-schema';
import {
  DiagnosticBag,
  sortDiagnostics,
  type Diagnostic,
  type PathSegment,
  type SourceInfo,
} from './diagnostics';
import { ancestorTest, criticalPath, findCycles, topologicalLayers, type Graph } from './graph';
import { tightenGuardrails, type Guardrails } from './guardrails';
import { contentHash } from './hash';
import { DEFAULT_PERSONA_TRUST, personaHash } from './persona-schema';
import {
  PLAN_VERSION,
  type CapsulePlan,
  type CapsulePlanStep,
  type PersonaPlanStep,
  type PlanStep,
  type ResolvedPersona,
} from './plan';
import { parseDuration, splitReference } from './primitives';
import type { ReferenceResolver } from './resolver';
import { snapshotRefProblem } from './snapshot-ref';
import { didYouMean } from './suggest';
import { scanTemplate } from './template';
import { EVENT_FIELDS, triggerFilterProblem } from './trigger-filter';

type EventTrigger = Extract<Trigger, { type: 'event' }>;

/**
 * The compiler: a validated capsule → an executable plan. Resolves personas and nested capsules
 * through the injected resolver, checks the task graph and every template variable, and collects
 * all problems rather than stopping at the first. Sandbox-safe (pure; I/O only via the resolver).
 */

export interface CompileOptions {
  resolver: ReferenceResolver;
  /** Where the capsule came from (file + positions), from `parseCapsule`. */
  source?: SourceInfo;
  /** The constitution's θ, to warn about guardrail floors that have no effect. */
  constitutionThreshold?: number;
}

export interface CompileResult {
  /** Present only when there are no errors. */
  plan?: CapsulePlan;
  /** Errors and warnings, sorted by file and position. */
  diagnostics: Diagnostic[];
}

interface Context {
  resolver: ReferenceResolver;
  constitutionThreshold?: number;
  diagnostics: Diagnostic[];
  /** Capsule ids being compiled, outermost first: a repeat is a cycle across capsules. */
  stack: string[];
  personaCache: Map<string, ReturnType<ReferenceResolver['resolvePersona']>>;
}

/**
 * Recomputes a plan's content hash; a workflow given a plan (e.g. pasted into a start form) can
 * compare it with `plan.hash` to detect tampering or truncation.
 */
export function planHash(plan: CapsulePlan): string {
  const { hash: _hash, ...body } = plan;
  return contentHash(body);
}

/** Compiles a capsule. Never throws on bad input: problems come back as diagnostics. */
export async function compileCapsule(capsule: Capsule, options: CompileOptions): Promise<CompileResult> {
  const ctx: Context = {
    resolver: options.resolver,
    constitutionThreshold: options.constitutionThreshold,
    diagnostics: [],
    stack: [],
    personaCache: new Map(),
  };
  const plan = await compileInto(
    ctx,
    capsule,
    options.source ?? { file: `${capsule.id}@${capsule.version}` },
    {},
  );
  const diagnostics = sortDiagnostics(ctx.diagnostics);
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { plan, diagnostics };
}

async function compileInto(
  ctx: Context,
  capsule: Capsule,
  source: SourceInfo,
  outerGuardrails: Guardrails,
): Promise<CapsulePlan | undefined> {
  const bag = new DiagnosticBag(source);
  ctx.stack.push(capsule.id);
  try {
    const guardrails = tightenGuardrails(outerGuardrails, capsule.guardrails);
    const denied = new Set(guardrails.deniedTools ?? []);
    checkTools(ctx, capsule, bag, denied, guardrails);
    const personas = await resolvePersonas(ctx, capsule, bag);
    const graph = buildGraph(capsule, bag);
    const { layers, layerOf, blocked } = topologicalLayers(graph);
    reportCycles(capsule, graph, blocked, bag);
    const isUpstream = ancestorTest(graph, layers);
    const outputs = new Map(capsule.steps.map((s) => [s.id, s.output]));

    const steps: PlanStep[] = [];
    const weights = new Map<string, number>();
    for (const [i, step] of capsule.steps.entries()) {
      const path: PathSegment[] = ['steps', i];
      const visible = (other: string) => isUpstream(step.id, other) || step.dependsOn.includes(other);
      const base = {
        id: step.id,
        ...(step.title !== undefined && { title: step.title }),
        layer: layerOf.get(step.id) ?? -1,
        dependsOn: [...new Set(step.dependsOn)],
        ...(step.review && {
          review: {
            prompt: step.review.prompt,
            timeoutMs: parseDuration(step.review.timeout)!,
            onTimeout: step.review.onTimeout,
            ...(step.review.reviewers && { reviewers: step.review.reviewers }),
          },
        }),
        ...(step.output && { output: step.output }),
      };
      if (step.capsule !== undefined) {
        for (const [name, value] of Object.entries(step.params ?? {})) {
          checkTemplates(capsule, bag, [...path, 'params', name], value, step.id, visible, outputs, false);
        }
        const child = await compileChild(ctx, step, path, bag, guardrails);
        if (child) {
          steps.push({ ...base, kind: 'capsule', ref: step.capsule, params: step.params ?? {}, plan: child });
          weights.set(step.id, child.criticalPath.length);
        }
        continue;
      }
      checkTemplates(
        capsule,
        bag,
        [...path, 'instruction'],
        step.instruction ?? '',
        step.id,
        visible,
        outputs,
        false,
      );
      const persona = personas.get(step.persona!);
      if (!(step.persona! in capsule.personas)) {
        bag.error(
          'unknown-persona',
          [...path, 'persona'],
          `persona "${step.persona}" is not declared under personas${didYouMean(step.persona!, Object.keys(capsule.personas), `; declare it, e.g. personas: { ${step.persona}: "<id>@^1" }`)}`,
        );
      }
      checkStepTools(capsule, step, path, bag, denied, persona);
      if (persona) steps.push(personaStep(step, base, persona));
      weights.set(step.id, 1);
    }

    checkTriggers(capsule, bag);
    checkBudget(capsule, steps, bag);
    ctx.diagnostics.push(...bag.items);
    if (bag.hasErrors) return undefined;

    const body: Omit<CapsulePlan, 'hash'> = {
      planVersion: PLAN_VERSION,
      capsule: {
        id: capsule.id,
        version: capsule.version,
        title: capsule.title,
        description: capsule.description,
        type: capsule.type,
        intent: capsule.intent,
        deliverable: capsule.deliverable,
        ...(capsule.owner !== undefined && { owner: capsule.owner }),
        ...(capsule.tags !== undefined && { tags: capsule.tags }),
      },
      params: capsule.params,
      personas: Object.fromEntries(personas),
      tools: [...capsule.tools],
      memory: capsule.memory,
      guardrails,
      budget: {
        tokens: capsule.budget.tokens,
        costUsd: capsule.budget.costUsd,
        wallTimeMs: parseDuration(capsule.budget.wallTime)!,
        ...(capsule.budget.approvalLimitUsd !== undefined && {
          approvalLimitUsd: capsule.budget.approvalLimitUsd,
        }),
      },
      triggers: capsule.triggers,
      steps,
      layers,
      criticalPath: criticalPath(graph, layers, (id) => weights.get(id) ?? 1),
    };
    return { ...body, hash: contentHash(body) };
  } finally {
    ctx.stack.pop();
  }
}

function personaStep(
  step: Step,
  base: Omit<
    PersonaPlanStep,
    | 'kind'
    | 'persona'
    | 'instruction'
    | 'task'
    | 'modelTier'
    | 'model'
    | 'tools'
    | 'expectedToolCalls'
    | 'maxTurns'
  >,
  persona: ResolvedPersona,
): PersonaPlanStep {
  return {
    ...base,
    kind: 'persona',
    persona: persona.alias,
    instruction: step.instruction!,
    task: step.task,
    modelTier: step.modelTier,
    model: persona.model[step.modelTier],
    tools: [...step.tools],
    expectedToolCalls: Object.fromEntries(step.tools.map((t) => [t, step.expectedToolCalls?.[t] ?? 1])),
    maxTurns: step.maxTurns ?? persona.maxTurns,
  };
}

function checkTools(
  ctx: Context,
  capsule: Capsule,
  bag: DiagnosticBag,
  denied: ReadonlySet<string>,
  guardrails: Guardrails,
): void {
  capsule.tools.forEach((tool, j) => {
    if (!ctx.resolver.hasTool(tool)) {
      bag.error(
        'unknown-tool',
        ['tools', j],
        `tool "${tool}" is not provided by any worker; check the id (built-ins: workspace.read, workspace.write, workspace.list, http.request, memory.recall, memory.remember, delegate, finish)`,
      );
    } else if (denied.has(tool)) {
      bag.warn(
        'denied-tool-in-suite',
        ['tools', j],
        `tool "${tool}" is in the suite but denied by guardrails; no step can use it`,
      );
    }
  });
  capsule.tools.forEach((tool, j) => {
    if (capsule.tools.indexOf(tool) !== j)
      bag.warn('duplicate-tool', ['tools', j], `"${tool}" is listed twice`);
  });
  capsule.memory.forEach((m, j) => {
    const first = capsule.memory.findIndex((other) => other.id === m.id);
    if (first !== j) {
      bag.error(
        'duplicate-memory',
        ['memory', j, 'id'],
        `memory id "${m.id}" is already used by memory[${first}]; ids must be unique`,
      );
    }
    const problem = snapshotRefProblem(m.ref);
    if (problem) bag.error('invalid-memory-ref', ['memory', j, 'ref'], problem);
  });
  const http = capsule.tools.indexOf('http.request');
  if (http >= 0 && !denied.has('http.request') && guardrails.allowedHosts === undefined) {
    bag.warn(
      'unrestricted-http',
      ['tools', http],
      'http.request may reach any host the constitution allows; list the hosts this job needs under guardrails.allowedHosts',
    );
  }
  const suite = new Set(capsule.tools);
  (capsule.guardrails.requireApprovalFor ?? []).forEach((tool, j) => {
    if (!suite.has(tool)) {
      bag.warn(
        'approval-for-unused-tool',
        ['guardrails', 'requireApprovalFor', j],
        `"${tool}" is not in the capsule's tools, so this approval never applies`,
      );
    }
  });
  const floor = capsule.guardrails.minThreshold;
  if (floor !== undefined && ctx.constitutionThreshold !== undefined && floor <= ctx.constitutionThreshold) {
    bag.warn(
      'threshold-no-effect',
      ['guardrails', 'minThreshold'],
      `minThreshold ${floor} is not above the constitution's θ ${ctx.constitutionThreshold}, so it changes nothing (guardrails can only tighten)`,
    );
  }
}

async function resolvePersonas(
  ctx: Context,
  capsule: Capsule,
  bag: DiagnosticBag,
): Promise<Map<string, ResolvedPersona>> {
  const out = new Map<string, ResolvedPersona>();
  for (const [alias, binding] of Object.entries(capsule.personas)) {
    let pending = ctx.personaCache.get(binding.ref);
    if (!pending) {
      pending = ctx.resolver.resolvePersona(binding.ref);
      ctx.personaCache.set(binding.ref, pending);
    }
    const found = await pending;
    const path: PathSegment[] = ['personas', alias, 'ref'];
    if (!found) {
      const { id } = splitReference(binding.ref);
      bag.error(
        'persona-not-found',
        path,
        `no persona version matches "${binding.ref}"${didYouMean(id, ctx.resolver.knownIds?.('persona') ?? [], '; publish it first or fix the reference')}`,
      );
      continue;
    }
    const template = found.value;
    const o = binding.overrides ?? {};
    const allow = new Set(template.tools);
    (o.tools ?? []).forEach((tool, j) => {
      if (!allow.has(tool)) {
        bag.error(
          'override-widens-tools',
          ['personas', alias, 'overrides', 'tools', j],
          `"${tool}" is not in persona ${template.id}@${template.version}'s allowlist; overrides can only narrow it`,
        );
      }
    });
    out.set(alias, {
      alias,
      ref: binding.ref,
      id: template.id,
      version: template.version,
      hash: personaHash(template),
      name: template.name,
      traits: [...template.traits, ...(o.traits ?? [])],
      systemPrompt: o.systemPromptAppend
        ? `${template.systemPrompt.trimEnd()}\n\n${o.systemPromptAppend.trim()}`
        : template.systemPrompt,
      model: {
        planning: o.model?.planning ?? template.model.planning,
        implementation: o.model?.implementation ?? template.model.implementation,
        review: o.model?.review ?? template.model.review ?? o.model?.planning ?? template.model.planning,
      },
      temperature: o.temperature ?? template.temperature,
      tools: o.tools ? o.tools.filter((t) => allow.has(t)) : [...template.tools],
      skills: template.skills,
      maxTurns: o.maxTurns ?? template.maxTurns,
      trust: template.trust ?? DEFAULT_PERSONA_TRUST,
    });
  }
  return out;
}

function buildGraph(capsule: Capsule, bag: DiagnosticBag): Graph {
  const ids = new Map<string, number>();
  capsule.steps.forEach((step, i) => {
    const first = ids.get(step.id);
    if (first !== undefined) {
      bag.error(
        'duplicate-step',
        ['steps', i, 'id'],
        `step id "${step.id}" is already used by steps[${first}]; step ids must be unique`,
      );
    } else ids.set(step.id, i);
  });
  const deps = new Map<string, string[]>();
  capsule.steps.forEach((step, i) => {
    if (ids.get(step.id) !== i) return;
    const known: string[] = [];
    const seen = new Set<string>();
    step.dependsOn.forEach((dep, j) => {
      if (!ids.has(dep)) {
        bag.error(
          'unknown-dependency',
          ['steps', i, 'dependsOn', j],
          `step "${step.id}" depends on unknown step "${dep}"${didYouMean(dep, ids.keys(), '; declare that step or remove the dependency')}`,
        );
      } else if (seen.has(dep)) {
        bag.warn('duplicate-dependency', ['steps', i, 'dependsOn', j], `"${dep}" is listed twice`);
      } else {
        known.push(dep);
        seen.add(dep);
      }
    });
    deps.set(step.id, known);
  });
  return { nodes: [...ids.keys()], deps };
}

function reportCycles(capsule: Capsule, graph: Graph, blocked: readonly string[], bag: DiagnosticBag): void {
  const index = new Map(capsule.steps.map((s, i) => [s.id, i]));
  const inCycle = new Set<string>();
  for (const walk of findCycles(graph)) {
    walk.forEach((id) => inCycle.add(id));
    const [first, second] = walk;
    const i = index.get(first!)!;
    const j = capsule.steps[i]!.dependsOn.indexOf(second!);
    bag.error(
      'dependency-cycle',
      ['steps', i, 'dependsOn', j],
      `dependency cycle: ${walk.join(' → ')}; remove one of these dependencies`,
    );
  }
  for (const id of blocked) {
    if (inCycle.has(id)) continue;
    bag.error(
      'unreachable-step',
      ['steps', index.get(id)!],
      `step "${id}" can never run: it depends (directly or not) on a step in a dependency cycle`,
    );
  }
}

const TEMPLATE_ROOTS = ['params', 'steps', 'memory', 'capsule', 'run', 'trigger'];
const CAPSULE_FIELDS = ['id', 'version', 'title', 'description', 'intent', 'deliverable'];

function checkTemplates(
  capsule: Capsule,
  bag: DiagnosticBag,
  path: PathSegment[],
  value: unknown,
  stepId: string | undefined,
  visible: (stepId: string) => boolean,
  outputs: ReadonlyMap<string, OutputSchema | undefined>,
  allowEvent: boolean,
): void {
  const texts =
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.filter((v): v is string => typeof v === 'string')
        : [];
  for (const text of texts) {
    const scan = scanTemplate(text);
    for (const p of scan.problems) bag.error('template-syntax', path, p.message, p.offset);
    for (const ref of scan.refs) {
      const [root, name, ...rest] = ref.segments;
      const problem = templateProblem(capsule, root!, name, rest, stepId, visible, outputs, allowEvent);
      if (problem) bag.error('unknown-variable', path, `{{ ${ref.expression} }}: ${problem}`, ref.offset);
    }
  }
}

function templateProblem(
  capsule: Capsule,
  root: string,
  name: string | undefined,
  rest: string[],
  stepId: string | undefined,
  visible: (stepId: string) => boolean,
  outputs: ReadonlyMap<string, OutputSchema | undefined>,
  allowEvent: boolean,
): string | undefined {
  switch (root) {
    case 'params':
      if (name === undefined) return 'name a parameter, e.g. {{ params.x }}';
      return name in capsule.params
        ? undefined
        : `no parameter "${name}"${didYouMean(name, Object.keys(capsule.params), '; declare it under params')}`;
    case 'memory':
      if (name === undefined) return 'name a memory snapshot, e.g. {{ memory.x }}';
      return capsule.memory.some((m) => m.id === name)
        ? undefined
        : `no memory snapshot "${name}"${didYouMean(
            name,
            capsule.memory.map((m) => m.id),
            '; declare it under memory',
          )}`;
    case 'capsule':
      return name !== undefined && CAPSULE_FIELDS.includes(name)
        ? undefined
        : `capsule fields are ${CAPSULE_FIELDS.join(', ')}`;
    case 'run':
    case 'trigger':
      return undefined;
    case 'event':
      return allowEvent
        ? undefined
        : '{{ event.* }} is only available in event trigger params; use {{ trigger.* }} here';
    case 'steps': {
      if (name === undefined) return 'name a step, e.g. {{ steps.<id>.output }}';
      const schema = outputs.get(name);
      if (!outputs.has(name)) return `no step "${name}"${didYouMean(name, outputs.keys())}`;
      if (name === stepId) return 'a step cannot read its own output';
      if (stepId === undefined) return 'step outputs are only available inside steps';
      if (!visible(name)) return `step "${name}" is not upstream of "${stepId}"; add "${name}" to dependsOn`;
      const [field, ...deeper] = rest;
      if (field !== 'output') return `use {{ steps.${name}.output }} (steps expose only "output")`;
      return outputPathProblem(schema, deeper, name);
    }
    default:
      return `unknown root "${root}"; use one of ${TEMPLATE_ROOTS.join(', ')}`;
  }
}

/** Checks `steps.x.output.a.b` against x's declared output schema, where it declares properties. */
function outputPathProblem(
  schema: OutputSchema | undefined,
  path: string[],
  stepId: string,
): string | undefined {
  let node = schema;
  let walked = `steps.${stepId}.output`;
  for (const seg of path) {
    if (!node) return undefined;
    if (node.type === 'array') {
      if (!/^\d+$/.test(seg)) return `${walked} is a list; index it with a number`;
      node = node.items;
    } else if (node.type === 'object') {
      if (!node.properties) return undefined;
      const next: OutputSchema | undefined = node.properties[seg];
      if (!next)
        return `${walked} has no property "${seg}"${didYouMean(seg, Object.keys(node.properties), ` (declared: ${Object.keys(node.properties).join(', ')})`)}`;
      node = next;
    } else {
      return `${walked} is a ${node.type} and has no fields`;
    }
    walked += `.${seg}`;
  }
  return undefined;
}

function checkStepTools(
  capsule: Capsule,
  step: Step,
  path: PathSegment[],
  bag: DiagnosticBag,
  denied: ReadonlySet<string>,
  persona: ResolvedPersona | undefined,
): void {
  const suite = new Set(capsule.tools);
  step.tools.forEach((tool, j) => {
    const at = [...path, 'tools', j];
    if (denied.has(tool)) bag.error('denied-tool', at, `tool "${tool}" is denied by guardrails.deniedTools`);
    else if (!suite.has(tool))
      bag.error('tool-not-in-suite', at, `tool "${tool}" is not in the capsule's tools; add it there first`);
    else if (persona && !persona.tools.includes(tool)) {
      bag.error(
        'tool-not-allowed',
        at,
        `persona "${persona.alias}" (${persona.id}@${persona.version}) may not use "${tool}"; its allowlist is ${persona.tools.join(', ') || 'empty'}`,
      );
    }
  });
}

async function compileChild(
  ctx: Context,
  step: Step,
  path: PathSegment[],
  bag: DiagnosticBag,
  guardrails: Guardrails,
): Promise<CapsulePlan | undefined> {
  const ref = step.capsule!;
  const { id } = splitReference(ref);
  if (ctx.stack.includes(id)) {
    const cycle = [...ctx.stack.slice(ctx.stack.indexOf(id)), id];
    bag.error(
      'capsule-cycle',
      [...path, 'capsule'],
      `capsule cycle: ${cycle.join(' → ')}; a capsule cannot contain itself`,
    );
    return undefined;
  }
  const found = await ctx.resolver.resolveCapsule(ref);
  if (!found) {
    bag.error(
      'capsule-not-found',
      [...path, 'capsule'],
      `no capsule version matches "${ref}"${didYouMean(id, ctx.resolver.knownIds?.('capsule') ?? [], '; publish it first or fix the reference')}`,
    );
    return undefined;
  }
  const child = found.value;
  const bound = step.params ?? {};
  for (const name of Object.keys(bound)) {
    if (!(name in child.params)) {
      bag.error(
        'unknown-param',
        [...path, 'params', name],
        `capsule ${child.id}@${child.version} has no parameter "${name}"${didYouMean(name, Object.keys(child.params), '')}`,
      );
    }
  }
  const missing = requiredParams(child.params).filter((n) => !(n in bound));
  if (missing.length > 0) {
    bag.error(
      'missing-param',
      [...path, 'params'],
      `capsule ${child.id}@${child.version} needs ${missing.map((m) => `"${m}"`).join(', ')}; bind ${missing.length === 1 ? 'it' : 'them'} under params`,
    );
  }
  return compileInto(ctx, child, found.source, guardrails);
}

function requiredParams(params: Record<string, ParamSpec>): string[] {
  return Object.entries(params)
    .filter(([, spec]) => spec.default === undefined)
    .map(([name]) => name);
}

function checkTriggers(capsule: Capsule, bag: DiagnosticBag): void {
  const required = requiredParams(capsule.params);
  capsule.triggers.forEach((trigger, i) => {
    if (trigger.type === 'manual') return;
    const bound = trigger.params ?? {};
    for (const [name, value] of Object.entries(bound)) {
      if (!(name in capsule.params)) {
        bag.error(
          'unknown-param',
          ['triggers', i, 'params', name],
          `no parameter "${name}"${didYouMean(name, Object.keys(capsule.params), '; declare it under params')}`,
        );
      } else if (trigger.type === 'event') {
        checkEventTemplates(bag, ['triggers', i, 'params', name], value);
      } else {
        checkTemplates(
          capsule,
          bag,
          ['triggers', i, 'params', name],
          value,
          undefined,
          () => false,
          new Map(),
          false,
        );
      }
    }
    if (trigger.type === 'event') checkEventTrigger(trigger, i, bag);
    const missing = required.filter((n) => !(n in bound));
    if (missing.length > 0) {
      bag.error(
        'missing-param',
        ['triggers', i],
        `${trigger.type} runs start without a person to fill the form: give ${missing.map((m) => `"${m}"`).join(', ')} a default or bind ${missing.length === 1 ? 'it' : 'them'} under params`,
      );
    }
  });
}

/** Envelope types are lower-case dotted words (services/events/envelope.ts); others never arrive. */
const ENVELOPE_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

function checkEventTrigger(trigger: EventTrigger, i: number, bag: DiagnosticBag): void {
  if (!ENVELOPE_TYPE.test(trigger.event)) {
    bag.warn(
      'unreachable-event',
      ['triggers', i, 'event'],
      `no event envelope can carry type "${trigger.event}" (envelope types are dotted words of a-z, 0-9 and _, each starting with a letter), so this trigger never fires`,
    );
  }
  if (trigger.filter === undefined) return;
  const problem = triggerFilterProblem(trigger.filter);
  if (problem) {
    bag.error(
      'invalid-filter',
      ['triggers', i, 'filter'],
      `filter is not a valid CEL condition over the event: ${problem.message} (e.g. data.action == "opened" && !has(data.issue.pull_request))`,
      problem.offset,
    );
  }
}

/**
 * Event trigger params are rendered from the event before the run exists, so they may read only
 * `{{ event.<field> }}` (id, type, source, time, tenant, subject, data.*).
 */
function checkEventTemplates(bag: DiagnosticBag, path: PathSegment[], value: unknown): void {
  const texts =
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.filter((v) => typeof v === 'string')
        : [];
  for (const text of texts) {
    const scan = scanTemplate(text);
    for (const p of scan.problems) bag.error('template-syntax', path, p.message, p.offset);
    for (const ref of scan.refs) {
      const [root, field] = ref.segments;
      let problem: string | undefined;
      if (root !== 'event') {
        problem = `event trigger params are rendered from the event before the run starts, so only {{ event.* }} is available (e.g. {{ event.data.issue.number }})`;
      } else if (field === undefined || !(EVENT_FIELDS as readonly string[]).includes(field)) {
        problem = `${field === undefined ? 'name an envelope field' : `the envelope has no field "${field}"${didYouMean(field, EVENT_FIELDS)}`} (fields: ${EVENT_FIELDS.join(', ')}; the payload is under event.data)`;
      }
      if (problem) bag.error('unknown-variable', path, `{{ ${ref.expression} }}: ${problem}`, ref.offset);
    }
  }
}

function checkBudget(capsule: Capsule, steps: readonly PlanStep[], bag: DiagnosticBag): void {
  const nested = steps.filter((s): s is CapsulePlanStep => s.kind === 'capsule');
  const tokens = nested.reduce((sum, s) => sum + s.plan.budget.tokens, 0);
  if (tokens > capsule.budget.tokens) {
    bag.warn(
      'budget-below-children',
      ['budget', 'tokens'],
      `nested capsules budget ${tokens} tokens in total, more than this capsule's ${capsule.budget.tokens}; the run will stop early`,
    );
  }
  const cost = nested.reduce((sum, s) => sum + s.plan.budget.costUsd, 0);
  if (cost > capsule.budget.costUsd + 1e-9) {
    bag.warn(
      'budget-below-children',
      ['budget', 'costUsd'],
      `nested capsules budget $${cost.toFixed(2)} in total, more than this capsule's $${capsule.budget.costUsd.toFixed(2)}`,
    );
  }
}
