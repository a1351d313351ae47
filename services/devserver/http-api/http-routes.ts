import { OPERATOR_SERVICE, WORKFLOW_SERVICE, protoRoot, type ProtoType } from '../proto';

/**
 * The HTTP/JSON routes of Temporal's API, read from the `(google.api.http)` annotation of every
 * WorkflowService and OperatorService method (primary and additional bindings): no route is
 * written by hand, so a new `@temporalio/proto` brings its new routes along.
 */

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
const VERBS: readonly HttpVerb[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** One segment of a path template: a literal, or a variable naming a (dotted) request field. */
export type PathSegment = { literal: string } | { field: string };

/** One HTTP binding of a gRPC method. */
export interface HttpRoute {
  readonly verb: HttpVerb;
  /** The annotation's template, e.g. `/api/v1/namespaces/{namespace}/workflows/{execution.workflow_id}`. */
  readonly template: string;
  readonly segments: readonly PathSegment[];
  /** `*`: the JSON body is the request (less the path fields); a field name: the body is that field; undefined: no body. */
  readonly body: string | undefined;
  readonly service: string;
  readonly method: string;
  readonly requestType: ProtoType;
  readonly responseType: ProtoType;
}

/** The services whose annotations make the route table. */
export const HTTP_SERVICES = [WORKFLOW_SERVICE, OPERATOR_SERVICE] as const;

interface HttpRule {
  get?: string;
  post?: string;
  put?: string;
  delete?: string;
  patch?: string;
  body?: string;
  additional_bindings?: HttpRule | HttpRule[];
}

interface ReflectedMethod {
  parsedOptions?: Record<string, unknown>[];
  requestStream?: boolean;
  responseStream?: boolean;
  resolve(): { resolvedRequestType: ProtoType | null; resolvedResponseType: ProtoType | null };
}

/** `/a/{b.c}/d` → segments; only the plain `{field}` form occurs in Temporal's annotations. */
export function parseTemplate(template: string): PathSegment[] {
  if (!template.startsWith('/')) throw new Error(`http rule template must start with "/": ${template}`);
  return template
    .slice(1)
    .split('/')
    .map((part) => {
      const variable = /^\{([A-Za-z_][\w.]*)(?:=\*)?\}$/.exec(part);
      if (variable) return { field: variable[1]! };
      if (/[{}:*]/.test(part))
        throw new Error(`unsupported http rule template segment "${part}" in ${template}`);
      return { literal: part };
    });
}

function bindingsOf(rule: HttpRule): HttpRule[] {
  const extra = rule.additional_bindings;
  return [rule, ...(Array.isArray(extra) ? extra : extra ? [extra] : [])];
}

/**
 * Literal segments before variables, position by position, so `…/activities/complete-by-id`
 * (if a binding had it) wins over `…/activities/{activity_id}`.
 */
function bySpecificity(a: HttpRoute, b: HttpRoute): number {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const la = 'literal' in a.segments[i]!;
    const lb = 'literal' in b.segments[i]!;
    if (la !== lb) return la ? -1 : 1;
  }
  return 0;
}

/** Every HTTP binding of the given services, most specific first. */
export function buildHttpRoutes(services: readonly string[] = HTTP_SERVICES): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const service of services) {
    const methods = protoRoot.lookupService(service).methods as unknown as Record<string, ReflectedMethod>;
    for (const [method, descriptor] of Object.entries(methods)) {
      if (descriptor.requestStream || descriptor.responseStream) continue;
      const rule = descriptor.parsedOptions?.find((o) => '(google.api.http)' in o)?.['(google.api.http)'] as
        HttpRule | undefined;
      if (!rule) continue;
      const { resolvedRequestType, resolvedResponseType } = descriptor.resolve();
      if (!resolvedRequestType || !resolvedResponseType) continue;
      for (const binding of bindingsOf(rule)) {
        for (const verb of VERBS) {
          const template = binding[verb.toLowerCase() as Lowercase<HttpVerb>];
          if (!template) continue;
          routes.push({
            verb,
            template,
            segments: parseTemplate(template),
            body: binding.body || undefined,
            service,
            method,
            requestType: resolvedRequestType,
            responseType: resolvedResponseType,
          });
        }
      }
    }
  }
  return routes.sort(bySpecificity);
}

/** A route matched against a request path: the route and its (decoded) path variables by field. */
export interface RouteMatch {
  readonly route: HttpRoute;
  readonly params: ReadonlyMap<string, string>;
}

/** Thrown for a path segment that is not valid percent-encoding. */
export class MalformedPathError extends Error {
  override readonly name = 'MalformedPathError';
}

/** Splits a raw (still percent-encoded) path into segments, decoding each exactly once. */
export function decodePathSegments(rawPath: string): string[] {
  return rawPath
    .replace(/^\//, '')
    .split('/')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch (err) {
        throw new MalformedPathError(`malformed percent-encoding in path segment "${part}"`, { cause: err });
      }
    });
}

function matchSegments(route: HttpRoute, segments: readonly string[]): Map<string, string> | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params = new Map<string, string>();
  for (let i = 0; i < segments.length; i++) {
    const pattern = route.segments[i]!;
    const value = segments[i]!;
    if ('literal' in pattern) {
      if (pattern.literal !== value) return undefined;
    } else {
      if (value === '') return undefined;
      params.set(pattern.field, value);
    }
  }
  return params;
}

/** What a path resolves to: a route, a path served by other verbs only, or nothing. */
export type RouteLookup = RouteMatch | { methodNotAllowed: HttpVerb[] } | undefined;

/**
 * Finds the route for a verb and decoded path segments. Variables match exactly one segment (a
 * workflow id with a "/" arrives as `%2F` and is one segment until decoded).
 */
export function matchRoute(
  routes: readonly HttpRoute[],
  verb: string,
  segments: readonly string[],
): RouteLookup {
  const allowed: HttpVerb[] = [];
  for (const route of routes) {
    const params = matchSegments(route, segments);
    if (!params) continue;
    if (route.verb === verb) return { route, params };
    allowed.push(route.verb);
  }
  return allowed.length > 0 ? { methodNotAllowed: [...new Set(allowed)] } : undefined;
}
