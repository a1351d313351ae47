import type { ActionDescriptor } from './descriptor';

/**
 * Benign actions any sane constitution must let through: a plain model call, reading a file
 * inside the capsule's tool suite, the same under training, and a low-risk tool outside any
 * capsule. Validation rejects a deny rule that fires on all of them (it would deny everything).
 */
export const PERMISSIVE_DESCRIPTORS: readonly { name: string; descriptor: ActionDescriptor }[] = [
  {
    name: 'model call',
    descriptor: base({ activityType: 'callSlm', tool: null }),
  },
  {
    name: 'read in capsule scope',
    descriptor: base({}),
  },
  {
    name: 'read in training session',
    descriptor: base({ trainingMode: true }),
  },
  {
    name: 'low-risk tool outside a capsule',
    descriptor: base({ capsule: null, persona: null }),
  },
];

/**
 * A wider set used to check that rules evaluate without errors: adds network egress, writes, PII,
 * taint, an exhausted budget and a run with many denials.
 */
export const REPRESENTATIVE_DESCRIPTORS: readonly { name: string; descriptor: ActionDescriptor }[] = [
  ...PERMISSIVE_DESCRIPTORS,
  {
    name: 'http request with PII from a tainted run',
    descriptor: base({
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: { digest: 'sha256:0', pii: ['email'], piiCount: 1, hosts: ['api.example.com'], write: true },
      taint: ['pii'],
      budget: { spentUsd: 10, limitUsd: 10 },
      denials: { recent: 5, window: 10 },
    }),
  },
  {
    name: 'write with strict guardrails',
    descriptor: base({
      tool: { id: 'workspace.write', risk: 'medium', category: 'filesystem' },
      args: { digest: 'sha256:0', pii: [], piiCount: 0, hosts: [], write: true },
      capsule: {
        id: 'capsule-representative',
        toolSuite: ['workspace.write'],
        guardrails: {
          minThreshold: 0.5,
          deniedTools: ['http.request'],
          allowedHosts: ['*.example.com'],
          maxSpendUsd: 1,
          requireApprovalFor: ['workspace.write'],
        },
      },
    }),
  },
];

function base(overrides: Partial<ActionDescriptor>): ActionDescriptor {
  return {
    activityType: 'runTool',
    tool: { id: 'workspace.read', risk: 'low', category: 'filesystem' },
    args: { digest: 'sha256:0', pii: [], piiCount: 0, hosts: [], write: false },
    persona: { id: 'persona-representative', trust: 1 },
    capsule: {
      id: 'capsule-representative',
      toolSuite: ['workspace.read', 'workspace.list'],
      guardrails: {},
    },
    tenant: '__representative__',
    budget: { spentUsd: 0, limitUsd: null },
    trainingMode: false,
    taint: [],
    denials: { recent: 0, window: 0 },
    ...overrides,
  };
}
