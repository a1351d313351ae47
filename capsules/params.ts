import { paramValueProblem, type ParamSpec, type ParamValue } from './capsule-schema';
import { didYouMean } from './suggest';

/**
 * Binds run-time parameter values (from a start form, a schedule or an event) to a plan's
 * parameter specs: applies defaults, rejects unknown names and values of the wrong type.
 * Sandbox-safe (pure), so `capsuleWorkflow` can check its input deterministically.
 */
export interface BoundParams {
  values: Record<string, ParamValue>;
  /** One entry per problem; empty when the values are usable. */
  problems: Array<{ param: string; message: string }>;
}

export function bindParams(
  specs: Record<string, ParamSpec>,
  input: Record<string, unknown> = {},
): BoundParams {
  const values: Record<string, ParamValue> = {};
  const problems: BoundParams['problems'] = [];
  for (const name of Object.keys(input)) {
    if (!(name in specs)) {
      problems.push({
        param: name,
        message: `unknown parameter "${name}"${didYouMean(name, Object.keys(specs))}`,
      });
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const given = input[name];
    if (given === undefined || given === null) {
      if (spec.default === undefined) {
        problems.push({
          param: name,
          message: `"${name}" is required${spec.title ? ` (${spec.title})` : ''}`,
        });
      } else {
        values[name] = spec.default;
      }
      continue;
    }
    const problem = paramValueProblem(spec, given);
    if (problem) problems.push({ param: name, message: `"${name}" ${problem}` });
    else values[name] = given as ParamValue;
  }
  return { values, problems };
}
