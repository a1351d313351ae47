import { decideNextTurn, triageToolCalls, type TurnInput } from '../../../workflows/agent-loop';

const base: TurnInput = {
  turns: 3,
  turnsThisExecution: 3,
  maxTurns: 20,
  continueAsNewAfter: 10,
  finished: false,
  cancelled: false,
  remaining: { tokens: 5000, usd: 1 },
  nextCallEstimate: { tokens: 1000, usd: 0.01 },
};

describe('decideNextTurn', () => {
  it('keeps calling the model while nothing stops it', () => {
    expect(decideNextTurn(base)).toEqual({ kind: 'call_model' });
    expect(decideNextTurn({ ...base, remaining: { tokens: null, usd: null } })).toEqual({
      kind: 'call_model',
    });
  });

  it('stops for cancel, a final answer, the turn limit and the budget, in that order', () => {
    expect(decideNextTurn({ ...base, cancelled: true, finished: true })).toMatchObject({
      kind: 'stop',
      status: 'cancelled',
    });
    expect(decideNextTurn({ ...base, finished: true, turns: 99 })).toMatchObject({ status: 'final' });
    expect(decideNextTurn({ ...base, turns: 20 })).toEqual({
      kind: 'stop',
      status: 'max_turns',
      reason: 'turn limit reached (20)',
    });
    expect(decideNextTurn({ ...base, remaining: { tokens: 999, usd: 1 } })).toEqual({
      kind: 'stop',
      status: 'budget_exhausted',
      reason: 'next call needs ~1000 tokens, 999 left',
    });
    expect(decideNextTurn({ ...base, remaining: { tokens: null, usd: 0.005 } })).toMatchObject({
      status: 'budget_exhausted',
    });
  });

  it('continues as new after the configured turns or when the server suggests it', () => {
    expect(decideNextTurn({ ...base, turnsThisExecution: 10 })).toEqual({ kind: 'continue_as_new' });
    expect(decideNextTurn({ ...base, continueAsNewSuggested: true })).toEqual({ kind: 'continue_as_new' });
    // a finished persona does not continue-as-new
    expect(decideNextTurn({ ...base, turnsThisExecution: 10, finished: true })).toMatchObject({
      kind: 'stop',
    });
  });
});

describe('triageToolCalls', () => {
  it('splits finish, delegations and activities, refusing tools the persona lacks', () => {
    const triaged = triageToolCalls(
      [
        { id: '1', tool: 'workspace.read', args: { path: 'a' } },
        { id: '2', tool: 'delegate', args: { persona: 'qa' } },
        { id: '3', tool: 'shell.exec', args: {} },
        { id: '4', tool: 'finish', args: { answer: 'done' } },
        { id: '5', tool: 'finish', args: { answer: 'again' } },
        { id: '6', tool: 'memory.recall', args: {} },
      ],
      ['workspace.read', 'delegate', 'memory.recall'],
    );
    expect(triaged.finish?.id).toBe('4');
    expect(triaged.delegations.map((c) => c.id)).toEqual(['2']);
    expect(triaged.activities.map((c) => c.id)).toEqual(['1', '6']);
    expect(triaged.refused).toEqual([
      { id: '3', tool: 'shell.exec', args: {}, reason: 'tool "shell.exec" is not available to this persona' },
    ]);
  });

  it('refuses delegation without the right', () => {
    const triaged = triageToolCalls([{ id: '1', tool: 'delegate', args: {} }], ['workspace.read']);
    expect(triaged.delegations).toEqual([]);
    expect(triaged.refused.map((c) => c.tool)).toEqual(['delegate']);
  });
});
