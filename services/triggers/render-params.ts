import { type ParamSpec, renderTemplate, scanTemplate } from '../../capsules';
import type { EventEnvelope } from '../events';

/** A trigger's parameter bindings as the capsule schema allows them. */
export type TriggerBindings = Record<string, string | number | boolean | string[]>;

const WHOLE_TEMPLATE = /^\s*\{\{[^{}]*\}\}\s*$/;

/** The value at a template path, or undefined when any step of the way is missing. */
function lookup(context: Record<string, unknown>, segments: readonly string[]): unknown {
  let value: unknown = context;
  for (const seg of segments) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[seg] : undefined;
  }
  return value;
}

/** Fits a rendered value to its parameter's type where the conversion is lossless. */
function fit(spec: ParamSpec | undefined, value: unknown): unknown {
  if (spec === undefined) return value;
  switch (spec.type) {
    case 'string':
    case 'text':
    case 'enum':
    case 'date':
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (value !== null && typeof value === 'object') return JSON.stringify(value, null, 2);
      return value;
    case 'integer':
    case 'number':
      return typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'list':
      return Array.isArray(value) &&
        value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        ? value.map(String)
        : value;
  }
}

/**
 * Renders an event trigger's `params` from the event. A binding that is exactly one
 * `{{ event.x }}` keeps the value's JSON type (an issue number stays a number), fitted to the
 * parameter's type where that loses nothing ("42" for an integer parameter becomes 42); a binding
 * with surrounding text renders as text. A reference to a missing or null field leaves the
 * parameter out, so its default applies (or `startCapsuleRun` reports it as required).
 */
export function renderTriggerParams(
  bindings: TriggerBindings,
  specs: Record<string, ParamSpec>,
  envelope: EventEnvelope,
): Record<string, unknown> {
  const context = { event: envelope as unknown as Record<string, unknown> };
  const params: Record<string, unknown> = {};
  for (const [name, binding] of Object.entries(bindings)) {
    let value: unknown;
    if (typeof binding === 'string') {
      const { refs } = scanTemplate(binding);
      value =
        refs.length === 1 && WHOLE_TEMPLATE.test(binding)
          ? lookup(context, refs[0]!.segments)
          : renderTemplate(binding, context);
    } else if (Array.isArray(binding)) {
      value = binding.map((item) => renderTemplate(item, context));
    } else {
      value = binding;
    }
    if (value === undefined || value === null) continue;
    params[name] = fit(specs[name], value);
  }
  return params;
}
