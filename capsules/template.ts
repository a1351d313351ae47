/**
 * Instruction templates: `{{ params.audience }}`, `{{ steps.research.output.summary }}`,
 * `{{ memory.kpis }}`, `{{ capsule.title }}`, `{{ run.id }}`, `{{ trigger.event.data.x }}`.
 * Only dotted paths, no logic, so every reference can be checked before a run.
 * Sandbox-safe (pure).
 */

export interface TemplateRef {
  /** The expression as written, e.g. `steps.research.output.summary`. */
  expression: string;
  segments: string[];
  /** Character offset of `{{` in the template. */
  offset: number;
}

export interface TemplateScan {
  refs: TemplateRef[];
  /** Syntax problems (unclosed braces, expressions that are not dotted paths). */
  problems: Array<{ offset: number; message: string }>;
}

const PATH = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d+\])*$/;

export function scanTemplate(template: string): TemplateScan {
  const refs: TemplateRef[] = [];
  const problems: TemplateScan['problems'] = [];
  let from = 0;
  for (;;) {
    const open = template.indexOf('{{', from);
    if (open < 0) break;
    const close = template.indexOf('}}', open + 2);
    const reopen = template.indexOf('{{', open + 2);
    if (close < 0 || (reopen >= 0 && reopen < close)) {
      problems.push({ offset: open, message: 'unclosed "{{": add the matching "}}"' });
      if (close < 0) break;
      from = reopen;
      continue;
    }
    const expression = template.slice(open + 2, close).trim();
    if (!PATH.test(expression)) {
      problems.push({
        offset: open,
        message: `"{{ ${expression} }}" is not a variable path; use e.g. {{ params.name }} or {{ steps.<id>.output }}`,
      });
    } else {
      refs.push({ expression, segments: expression.replace(/\[(\d+)\]/g, '.$1').split('.'), offset: open });
    }
    from = close + 2;
  }
  return { refs, problems };
}

/** Values a template can read at run time. */
export interface TemplateContext {
  params?: Record<string, unknown>;
  steps?: Record<string, { output: unknown }>;
  memory?: Record<string, unknown>;
  capsule?: Record<string, unknown>;
  run?: Record<string, unknown>;
  trigger?: Record<string, unknown>;
  event?: Record<string, unknown>;
}

/**
 * Renders a template: strings are inserted as they are, everything else as pretty JSON; a missing
 * value renders as an empty string (the compiler has already rejected unknown variables).
 */
export function renderTemplate(template: string, context: TemplateContext): string {
  const { refs } = scanTemplate(template);
  if (refs.length === 0) return template;
  let out = '';
  let from = 0;
  for (const ref of refs) {
    const close = template.indexOf('}}', ref.offset) + 2;
    out += template.slice(from, ref.offset);
    let value: unknown = context;
    for (const seg of ref.segments) {
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[seg] : undefined;
    }
    out +=
      value === undefined || value === null
        ? ''
        : typeof value === 'string'
          ? value
          : JSON.stringify(value, null, 2);
    from = close;
  }
  return out + template.slice(from);
}
