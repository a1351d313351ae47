import {
  buildHttpRoutes,
  decodePathSegments,
  matchRoute,
  parseTemplate,
  type RouteMatch,
} from '../../../../services/devserver/http-api/http-routes';
import { matchRawHistory } from '../../../../services/devserver/http-api/raw-history';
import { OPERATOR_SERVICE, WORKFLOW_SERVICE } from '../../../../services/devserver/proto';

const routes = buildHttpRoutes();
const apiRoutes = routes.filter((r) => r.template.startsWith('/api/'));

function lookup(verb: string, path: string): RouteMatch {
  const found = matchRoute(apiRoutes, verb, decodePathSegments(path));
  if (!found || 'methodNotAllowed' in found) throw new Error(`${verb} ${path} matched no route`);
  return found;
}

/**
 * Every path `pathForApi` of @temporalio/ui 2.38.0 builds (`utilities/route-for-api.js`), with
 * the verb its service calls it with, parameters single-encoded as the UI does from 2.23.0.
 * `null`: answered outside the proto routes (ui-server endpoints) or not answerable.
 */
const UI_ROUTES: [name: string, verb: string, path: string, method: string | null][] = [
  ['systemInfo', 'GET', '/api/v1/system-info', 'GetSystemInfo'],
  ['cluster', 'GET', '/api/v1/cluster-info', 'GetClusterInfo'],
  ['namespaces', 'GET', '/api/v1/namespaces', 'ListNamespaces'],
  ['namespace', 'GET', '/api/v1/namespaces/default', 'DescribeNamespace'],
  ['search-attributes', 'GET', '/api/v1/namespaces/default/search-attributes', 'ListSearchAttributes'],
  [
    'events.ascending',
    'GET',
    '/api/v1/namespaces/default/workflows/a%2Fb%20c/history',
    'GetWorkflowExecutionHistory',
  ],
  [
    'events.descending',
    'GET',
    '/api/v1/namespaces/default/workflows/a%2Fb%20c/history-reverse',
    'GetWorkflowExecutionHistoryReverse',
  ],
  ['query', 'POST', '/api/v1/namespaces/default/workflows/wf/query/items', 'QueryWorkflow'],
  ['schedule', 'GET', '/api/v1/namespaces/default/schedules/s1', 'DescribeSchedule'],
  ['schedule (delete)', 'DELETE', '/api/v1/namespaces/default/schedules/s1', 'DeleteSchedule'],
  ['schedule (create)', 'POST', '/api/v1/namespaces/default/schedules/s1', 'CreateSchedule'],
  ['schedule.patch', 'POST', '/api/v1/namespaces/default/schedules/s1/patch', 'PatchSchedule'],
  ['schedule.edit', 'POST', '/api/v1/namespaces/default/schedules/s1/update', 'UpdateSchedule'],
  ['schedules', 'GET', '/api/v1/namespaces/default/schedules', 'ListSchedules'],
  ['task-queue', 'GET', '/api/v1/namespaces/default/task-queues/q1', 'DescribeTaskQueue'],
  [
    'task-queue.compatibility',
    'GET',
    '/api/v1/namespaces/default/task-queues/q1/worker-build-id-compatibility',
    'GetWorkerBuildIdCompatibility',
  ],
  [
    'task-queue.rules',
    'GET',
    '/api/v1/namespaces/default/task-queues/q1/worker-versioning-rules',
    'GetWorkerVersioningRules',
  ],
  [
    'worker-task-reachability',
    'GET',
    '/api/v1/namespaces/default/worker-task-reachability',
    'GetWorkerTaskReachability',
  ],
  [
    'workflow.terminate',
    'POST',
    '/api/v1/namespaces/default/workflows/wf/terminate',
    'TerminateWorkflowExecution',
  ],
  [
    'workflow.cancel',
    'POST',
    '/api/v1/namespaces/default/workflows/wf/cancel',
    'RequestCancelWorkflowExecution',
  ],
  [
    'workflow.signal',
    'POST',
    '/api/v1/namespaces/default/workflows/wf/signal/add',
    'SignalWorkflowExecution',
  ],
  ['workflow.update', 'POST', '/api/v1/namespaces/default/workflows/wf/update/u', 'UpdateWorkflowExecution'],
  ['workflow.reset', 'POST', '/api/v1/namespaces/default/workflows/wf/reset', 'ResetWorkflowExecution'],
  ['workflow', 'GET', '/api/v1/namespaces/default/workflows/a%2Fb%20c', 'DescribeWorkflowExecution'],
  ['workflow (start)', 'POST', '/api/v1/namespaces/default/workflows/a%2Fb%20c', 'StartWorkflowExecution'],
  ['workflows', 'GET', '/api/v1/namespaces/default/workflows', 'ListWorkflowExecutions'],
  [
    'workflows.archived',
    'GET',
    '/api/v1/namespaces/default/archived-workflows',
    'ListArchivedWorkflowExecutions',
  ],
  ['workflows.count', 'GET', '/api/v1/namespaces/default/workflow-count', 'CountWorkflowExecutions'],
  ['batch-operations.list', 'GET', '/api/v1/namespaces/default/batch-operations', 'ListBatchOperations'],
  ['batch-operations', 'GET', '/api/v1/namespaces/default/batch-operations/job1', 'DescribeBatchOperation'],
  [
    'batch-operations (start)',
    'POST',
    '/api/v1/namespaces/default/batch-operations/job1',
    'StartBatchOperation',
  ],
  ['nexus-endpoints', 'GET', '/api/v1/nexus/endpoints', 'ListNexusEndpoints'],
  ['nexus-endpoint', 'GET', '/api/v1/nexus/endpoints/e1', 'GetNexusEndpoint'],
  ['nexus-endpoint.update', 'POST', '/api/v1/nexus/endpoints/e1/update', 'UpdateNexusEndpoint'],
  ['worker-deployments', 'GET', '/api/v1/namespaces/default/worker-deployments', 'ListWorkerDeployments'],
  [
    'worker-deployment',
    'GET',
    '/api/v1/namespaces/default/worker-deployments/d1',
    'DescribeWorkerDeployment',
  ],
  // Stale in the UI, routed as the real gateway routes them: activity.complete/fail build
  // `/activities/complete-by-id` (an old annotation) and call it without a method (GET with a body,
  // which fetch refuses); worker-deployment-version passes one segment where the annotation has two.
  [
    'activity.complete',
    'GET',
    '/api/v1/namespaces/default/activities/complete-by-id',
    'DescribeActivityExecution',
  ],
  ['worker-deployment-version', 'GET', '/api/v1/namespaces/default/worker-deployment-versions/d1.b1', null],
  // Answered by the HTTP server itself (ui-server endpoints, not in the protos).
  ['settings', 'GET', '/api/v1/settings', null],
  ['user', 'GET', '/api/v1/me', null],
  ['events.raw', 'GET', '/api/v1/namespaces/default/workflows/a%2Fb%20c/run/r1/history.json', null],
];

describe('HTTP routes from the google.api.http annotations', () => {
  it('covers every annotated method of both services with primary and additional bindings', () => {
    const methods = new Set(routes.map((r) => `${r.service}/${r.method}`));
    expect(methods.size).toBeGreaterThanOrEqual(100);
    expect(routes.length).toBeGreaterThan(methods.size * 2 - 1);
    expect(routes.some((r) => r.service === OPERATOR_SERVICE)).toBe(true);
    // Each method has its legacy binding and its /api/v1 one.
    const start = routes.filter((r) => r.method === 'StartWorkflowExecution').map((r) => r.template);
    expect(start.sort()).toEqual([
      '/api/v1/namespaces/{namespace}/workflows/{workflow_id}',
      '/namespaces/{namespace}/workflows/{workflow_id}',
    ]);
    // Four bindings where the annotation lists three additional ones.
    expect(routes.filter((r) => r.method === 'RespondActivityTaskCompletedById')).toHaveLength(4);
  });

  it('maps the core UI paths to their methods, with dotted path fields', () => {
    const list = lookup('GET', '/api/v1/namespaces/default/workflows');
    expect(list.route).toMatchObject({
      method: 'ListWorkflowExecutions',
      service: WORKFLOW_SERVICE,
      body: undefined,
    });
    expect([...list.params]).toEqual([['namespace', 'default']]);

    const history = lookup('GET', '/api/v1/namespaces/ns/workflows/a%2Fb%20c/history');
    expect(history.route.method).toBe('GetWorkflowExecutionHistory');
    expect(history.route.template).toBe(
      '/api/v1/namespaces/{namespace}/workflows/{execution.workflow_id}/history',
    );
    expect(history.params.get('execution.workflow_id')).toBe('a/b c');

    const signal = lookup('POST', '/api/v1/namespaces/ns/workflows/wf/signal/add%20item');
    expect(signal.route).toMatchObject({ method: 'SignalWorkflowExecution', body: '*' });
    expect(Object.fromEntries(signal.params)).toEqual({
      namespace: 'ns',
      'workflow_execution.workflow_id': 'wf',
      signal_name: 'add item',
    });

    const attrs = lookup('GET', '/api/v1/namespaces/ns/search-attributes');
    expect(attrs.route).toMatchObject({ method: 'ListSearchAttributes', service: OPERATOR_SERVICE });
  });

  it('decodes a path variable exactly once (an old double-encoding UI keeps one level)', () => {
    expect(lookup('GET', '/api/v1/namespaces/ns/workflows/a%252Fb').params.get('execution.workflow_id')).toBe(
      'a%2Fb',
    );
  });

  it.each(UI_ROUTES)('UI route %s (%s %s) resolves', (_name, verb, path, method) => {
    if (method === null && path.includes('/worker-deployment-versions/')) {
      // Only CreateWorkerDeploymentVersion (POST) has that shape: 405, as from the real gateway.
      expect(matchRoute(apiRoutes, verb, decodePathSegments(path))).toEqual({ methodNotAllowed: ['POST'] });
      return;
    }
    if (method === null) {
      const segments = decodePathSegments(path);
      const joined = segments.join('/');
      expect(
        ['api/v1/settings', 'api/v1/me'].includes(joined) || matchRawHistory(segments) !== undefined,
      ).toBe(true);
      return;
    }
    expect(lookup(verb, path).route.method).toBe(method);
  });

  it('reports a path served only by other verbs, and nothing for unknown paths', () => {
    expect(matchRoute(apiRoutes, 'PUT', decodePathSegments('/api/v1/namespaces/ns/workflows'))).toEqual({
      methodNotAllowed: ['GET'],
    });
    expect(matchRoute(apiRoutes, 'GET', decodePathSegments('/api/v1/nope'))).toBeUndefined();
    // An empty variable segment matches nothing.
    expect(matchRoute(apiRoutes, 'GET', decodePathSegments('/api/v1/namespaces//workflows'))).toBeUndefined();
  });

  it('refuses template syntax it does not implement', () => {
    expect(() => parseTemplate('/v1/{name=projects/*}')).toThrow(/unsupported/);
    expect(() => parseTemplate('/v1/things:batch')).toThrow(/unsupported/);
    expect(parseTemplate('/a/{b.c}')).toEqual([{ literal: 'a' }, { field: 'b.c' }]);
  });

  it('no two routes of one verb are ambiguous', () => {
    const seen = new Map<string, string>();
    for (const route of routes) {
      const shape = `${route.verb} ${route.segments.map((s) => ('literal' in s ? s.literal : '*')).join('/')}`;
      const other = seen.get(shape);
      expect(
        other === undefined || other === route.method ? undefined : `${shape}: ${other} vs ${route.method}`,
      ).toBeUndefined();
      seen.set(shape, route.method);
    }
  });
});
