import { ApplicationFailure } from '@temporalio/common';
import { WORKFLOW_ERROR_TYPES } from './shared/errors';

/**
 * Run-time rendering of step instructions: `{{params.audience}}`, `{{ steps.research.output }}`,
 * `{{steps.research.output.summary}}`, `{{items[0]}}`. Only dotted paths, no logic. Unlike a
 * lenient renderer, a missing value is an error here: a step must never run on an instruction
 * with silent holes. Pure; sandbox-safe.
 */

/** Values an instruction may read. */
export interface InstructionContext {
  params?: Record<string, unknown>;
  /** Outputs of finished steps. */
  steps?: Record<string, { output: unknown }>;
  capsule?: Record<string, unknown>;
  run?: Record<string, unknown>;
  trigger?: Record<string, unknown>;
  memory?: Record<string, unknown>;
}

/** One `{{ … }}` reference found in a template. */
export interface TemplateReference {
  expression: string;
  segments: string[];
  /** Offset of `{{` in the template. */
  start: number;
  /** Offset just past `}}`. */
  end: number;
}

const PATH = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*$/;

/** Lists a template's references; throws `TemplateError` on unclosed braces or non-path expressions. */
export function templateReferences(template: string): TemplateReference[] {
  const refs: TemplateReference[] = [];
  let from = 0;
  for (;;) {
    const start = template.indexOf('{{', from);
    if (start < 0) return refs;
    const close = template.indexOf('}}', start + 2);
    const reopen = template.indexOf('{{', start + 2);
    if (close < 0 || (reopen >= 0 && reopen < close)) {
      throw templateError(`unclosed "{{" at offset ${start}: add the matching "}}"`);
    }
    const expression = template.slice(start + 2, close).trim();
    if (!PATH.test(expression)) {
      throw templateError(
        `"{{${template.slice(start + 2, close)}}}" at offset ${start} is not a variable path; ` +
          'use e.g. {{params.name}} or {{steps.<id>.output}}',
      );
    }
    refs.push({
      expression,
      segments: expression.replace(/\[(\d+)\]/g, '.$1').split('.'),
      start,
      end: close + 2,
    });
    from = close + 2;
  }
}

/**
 * Renders a template; values as {@link renderValue} writes them. Throws a
 * non-retryable `TemplateError` naming the expression when a value is missing, with the keys
 * that do exist at the point where the path broke.
 */
export function renderInstruction(template: string, context: InstructionContext): string {
  const refs = templateReferences(template);
  let out = '';
  let from = 0;
  for (const ref of refs) {
    out += template.slice(from, ref.start) + renderValue(resolve(ref, context));
    from = ref.end;
  }
  return out + template.slice(from);
}

function resolve(ref: TemplateReference, context: InstructionContext): unknown {
  const [root, stepId] = ref.segments;
  if (root === 'steps' && stepId !== undefined && context.steps?.[stepId] === undefined) {
    throw templateError(
      `{{${ref.expression}}}: step "${stepId}" has no output yet; add "${stepId}" to this step's dependsOn`,
    );
  }
  let value: unknown = context;
  for (const [index, segment] of ref.segments.entries()) {
    const container = value;
    value = isIndexable(container) ? (container as Record<string, unknown>)[segment] : undefined;
    if (value === undefined) {
      const at = ref.segments.slice(0, index + 1).join('.');
      const known = isIndexable(container) ? Object.keys(container).sort() : [];
      const hint =
        known.length > 0
          ? `available: ${known.slice(0, 20).join(', ')}`
          : 'the value before it is not an object';
      throw templateError(`{{${ref.expression}}}: "${at}" is not defined (${hint})`);
    }
  }
  return value;
}

function isIndexable(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/**
 * How a value reads inside an instruction: text as it is, a list as a Markdown list (one line
 * per item, objects as compact JSON), an object as compact JSON, an empty list as "(none)".
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)';
    return `\n${value.map((item) => `- ${inline(item)}`).join('\n')}\n`;
  }
  return inline(value);
}

function inline(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\s*\n\s*/g, ' ');
  return JSON.stringify(value) ?? String(value);
}

function templateError(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: WORKFLOW_ERROR_TYPES.TemplateError, message, nonRetryable: true });
}
