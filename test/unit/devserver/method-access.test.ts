import { mapClaims, reaches } from '../../../services/devserver/claim-mapper';
import { METHOD_RULES, methodRule } from '../../../services/devserver/method-access';
import { OPERATOR_SERVICE, protoRoot, WORKFLOW_SERVICE } from '../../../services/devserver/proto';

describe('devserver method access table', () => {
  it.each([WORKFLOW_SERVICE, OPERATOR_SERVICE])('classifies every method of %s', (service) => {
    const methods = Object.keys(protoRoot.lookupService(service).methods);
    expect(methods.length).toBeGreaterThan(10);
    const unclassified = methods.filter((m) => !METHOD_RULES[service]?.[m]);
    expect(unclassified).toEqual([]);
    const stale = Object.keys(METHOD_RULES[service] ?? {}).filter((m) => !methods.includes(m));
    expect(stale).toEqual([]);
  });

  it('follows Temporal: queries and update polls read, starts and task polls write, namespaces admin', () => {
    const rule = (m: string) => methodRule(WORKFLOW_SERVICE, m);
    expect(rule('QueryWorkflow')).toEqual({ access: 'read', scope: 'namespace' });
    expect(rule('PollWorkflowExecutionUpdate').access).toBe('read');
    expect(rule('StartWorkflowExecution').access).toBe('write');
    expect(rule('PollWorkflowTaskQueue').access).toBe('write');
    expect(rule('RecordActivityTaskHeartbeat').access).toBe('write');
    expect(rule('RegisterNamespace').access).toBe('admin');
    expect(rule('ListNamespaces')).toEqual({ access: 'read', scope: 'cluster' });
    expect(methodRule(OPERATOR_SERVICE, 'AddSearchAttributes').access).toBe('admin');
    expect(methodRule(OPERATOR_SERVICE, 'ListSearchAttributes').access).toBe('read');
    expect(methodRule(OPERATOR_SERVICE, 'CreateNexusEndpoint')).toEqual({
      access: 'admin',
      scope: 'cluster',
    });
  });

  it('treats a method it does not know as a system admin call', () => {
    expect(methodRule(WORKFLOW_SERVICE, 'SomeFutureMethod')).toEqual({ access: 'admin', scope: 'cluster' });
  });
});

describe('devserver claim mapper', () => {
  it('maps namespace and system permissions to role masks, ignoring malformed entries', () => {
    const roles = mapClaims({
      permissions: [
        'default:read',
        'default:WRITE',
        'system:worker',
        'other:admin',
        'nocolon',
        ':read',
        'x:owner',
        7,
      ],
    });
    expect(roles.system).toBe(1);
    expect(roles.namespaces.get('default')).toBe(2 | 4);
    expect(roles.namespaces.get('other')).toBe(8);
    expect([...roles.namespaces.keys()].sort()).toEqual(['default', 'other']);
  });

  it('grants nothing without a permissions array', () => {
    expect(mapClaims({ permissions: 'default:admin' })).toEqual({ system: 0, namespaces: new Map() });
  });

  it('orders roles worker < read < write < admin by their highest bit', () => {
    expect(reaches(1, 'read')).toBe(false);
    expect(reaches(2 | 1, 'read')).toBe(true);
    expect(reaches(2 | 1, 'write')).toBe(false);
    expect(reaches(4, 'read')).toBe(true);
    expect(reaches(8, 'write')).toBe(true);
    expect(reaches(4 | 2 | 1, 'admin')).toBe(false);
  });
});
