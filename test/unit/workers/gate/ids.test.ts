import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { buildActionDescriptor } from '../../../../constitution';
import {
  approvalIdFor,
  GATE_APPROVAL_HEADER,
  gateDecisionEventId,
  readGateApproval,
  toolCatalogFromRegistry,
  uuidV5,
  withGateApproval,
} from '../../../../workers/gate';

describe('uuidV5', () => {
  it('matches the RFC 9562 name-based (SHA-1) algorithm', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(/namespace must be a UUID/);
  });
});

describe('gate decision event ids', () => {
  const attempt = {
    workflowId: `wf-${randomUUID()}`,
    runId: randomUUID(),
    activityId: '7',
    activityType: 'executeTool',
    attempt: 1,
  };

  it('are the same for the same attempt and differ per attempt, activity and run', () => {
    const id = gateDecisionEventId(attempt);
    expect(gateDecisionEventId({ ...attempt })).toBe(id);
    expect(gateDecisionEventId({ ...attempt, attempt: 2 })).not.toBe(id);
    expect(gateDecisionEventId({ ...attempt, activityId: '8' })).not.toBe(id);
    expect(gateDecisionEventId({ ...attempt, runId: randomUUID() })).not.toBe(id);
  });
});

describe('approval header', () => {
  const x = (args: unknown) =>
    buildActionDescriptor({
      activityType: 'executeTool',
      tenant: 'acme',
      tool: { id: 'workspace.write', risk: 'medium', category: 'filesystem' },
      args,
    });

  it('ties an approval to the workflow, the tool and the exact arguments', () => {
    const id = approvalIdFor('wf-1', x({ path: 'a', content: '1' }));
    expect(approvalIdFor('wf-1', x({ content: '1', path: 'a' }))).toBe(id);
    expect(approvalIdFor('wf-1', x({ path: 'a', content: '2' }))).not.toBe(id);
    expect(approvalIdFor('wf-2', x({ path: 'a', content: '1' }))).not.toBe(id);
  });

  it('round-trips and reads an unusable header as no approval', () => {
    const headers = withGateApproval({}, { approvalId: 'apr-1', approvedBy: 'ops@example.com' });
    expect(readGateApproval(headers)).toEqual({ approvalId: 'apr-1', approvedBy: 'ops@example.com' });
    expect(readGateApproval({})).toBeUndefined();
    expect(
      readGateApproval({ [GATE_APPROVAL_HEADER]: defaultPayloadConverter.toPayload({ approvalId: 3 }) }),
    ).toBeUndefined();
  });
});

describe('toolCatalogFromRegistry', () => {
  // The registry's list/writes contract (activities/tools/registry.ts): list skips unknown ids,
  // writes is per call and cautious for unknown tools.
  const registry = {
    list: (ids?: readonly string[]) =>
      [{ id: 'http.request', risk: 'high' as const, category: 'network', egress: true }].filter(
        (t) => !ids || ids.includes(t.id),
      ),
    writes: (id: string, args: unknown) =>
      id !== 'http.request' || (args as { method?: string }).method === 'POST',
  };

  it('maps registry metadata and the per-call write flag; unknown tools are undefined', () => {
    const catalog = toolCatalogFromRegistry(registry);
    expect(catalog('http.request', { method: 'GET' })).toEqual({
      id: 'http.request',
      risk: 'high',
      category: 'network',
      writes: false,
      egress: true,
    });
    expect(catalog('http.request', { method: 'POST' })?.writes).toBe(true);
    expect(catalog('shell.exec', {})).toBeUndefined();
  });
});
