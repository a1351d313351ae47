import { createHash } from 'node:crypto';
import {
  canonicalHash,
  compileConstitution,
  DEFAULT_CONSTITUTION,
  evaluate,
  type ActionDescriptor,
} from '../../../../constitution';
import { gateToolOptions } from '../../../../workers/create-worker';
import { describeActivity } from '../../../../workers/gate';
import { activityInfo, gateContext, headersWith } from '../../../fixtures/workers/gate';

// `writeRunInputs` is judged as the tool `workspace.inputs` (not in the tool registry): a low-risk
// filesystem write. These check the descriptor the worker's gate builds for it and that the
// shipped default constitution allows it for a capsule run (persona-less, tool outside the suite).

/** A registry that knows one tool, shaped like `activities/tools/registry.ts`. */
const registry = {
  list: (ids?: readonly string[]) =>
    [{ id: 'workspace.read', risk: 'low' as const, category: 'filesystem', egress: false }].filter(
      (t) => !ids || ids.includes(t.id),
    ),
  writes: () => false,
};

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const REF = `sha256:${'cd'.repeat(32)}`;

function describeRunInputs(files: unknown, guardrails = {}) {
  const info = activityInfo({ activityType: 'writeRunInputs' });
  // What capsuleWorkflow attaches: the run's capsule, suite and guardrails; no persona.
  const context = gateContext(info, {
    persona: null,
    tools: ['workspace.read', 'workspace.write', 'finish'],
    guardrails,
    depth: 0,
  });
  const described = describeActivity(
    info,
    { args: [{ workspaceId: info.workflowExecution!.workflowId, files }], headers: headersWith(context) },
    gateToolOptions(registry),
  );
  if (!described.ok) throw new Error(`gate failed closed: ${described.failure.message}`);
  return described;
}

const transcript = 'Priya: see https://intranet.example.com/launch, mail priya@corp.example.com.';

describe('the gate on writeRunInputs', () => {
  it('describes a low-risk filesystem write of workspace.inputs over paths and content digests', () => {
    const described = describeRunInputs([
      { path: 'meetings/transcript.txt', content: transcript },
      { path: 'data/big.csv', ref: REF },
    ]);
    expect(described.toolId).toBe('workspace.inputs');
    const x: ActionDescriptor = described.descriptor;
    expect(x.activityType).toBe('writeRunInputs');
    expect(x.tool).toEqual({ id: 'workspace.inputs', risk: 'low', category: 'filesystem' });
    expect(x.args.write).toBe(true);
    // A URL or address inside a file is not contacted by writing it: no egress, no PII scan.
    expect(x.args.hosts).toEqual([]);
    expect(x.args.pii).toEqual([]);
    expect(x.args.digest).toBe(
      canonicalHash({
        files: [
          { path: 'meetings/transcript.txt', digest: sha256(transcript) },
          { path: 'data/big.csv', ref: REF },
        ],
      }),
    );
    expect(x.persona).toBeNull();
  });

  it('pins the exact bytes: other content, other digest', () => {
    const a = describeRunInputs([{ path: 'a.txt', content: 'one' }]).descriptor.args.digest;
    const b = describeRunInputs([{ path: 'a.txt', content: 'two' }]).descriptor.args.digest;
    expect(a).not.toBe(b);
  });

  it('is allowed by the shipped default constitution, and a capsule can still deny it by id', () => {
    const constitution = compileConstitution(DEFAULT_CONSTITUTION);
    const allowed = evaluate(
      constitution,
      describeRunInputs([{ path: 'meetings/transcript.txt', content: transcript }]).descriptor,
    );
    expect(allowed.decision).toBe('allow');
    expect(allowed.score).toBeGreaterThanOrEqual(allowed.threshold);

    const denied = evaluate(
      constitution,
      describeRunInputs([{ path: 'a.txt', content: 'x' }], { deniedTools: ['workspace.inputs'] }).descriptor,
    );
    expect(denied.decision).toBe('deny');
  });

  it('leaves registry tools to the registry and fails closed on tools neither knows', () => {
    const { toolCatalog } = gateToolOptions(registry);
    expect(toolCatalog('workspace.read', {})).toMatchObject({ id: 'workspace.read', writes: false });
    expect(toolCatalog('workspace.inputs', {})).toMatchObject({ risk: 'low', writes: true, egress: false });
    expect(toolCatalog('shell.exec', {})).toBeUndefined();
  });
});
