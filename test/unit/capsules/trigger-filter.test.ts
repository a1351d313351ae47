import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseCapsule } from '../../../capsules/parse';
import {
  compileTriggerFilter,
  runTriggerFilter,
  triggerFilterProblem,
  TriggerFilterError,
  type TriggerEvent,
} from '../../../capsules/trigger-filter';

function issueEvent(issue: Record<string, unknown>, extra: Partial<TriggerEvent> = {}): TriggerEvent {
  return {
    id: '5b0e7a52-3f0e-4a53-9a49-6a4f3c0f8c11',
    type: 'github.issue.opened',
    source: 'github',
    time: '2026-12-01T10:00:00Z',
    tenant: 'acme',
    subject: 'acme/widgets',
    data: { action: 'opened', issue, repository: { full_name: 'acme/widgets' } },
    ...extra,
  };
}

describe('compileTriggerFilter', () => {
  it.each([
    ['data.issue.number > 3', true],
    ['!has(data.issue.pull_request)', true],
    ['source == "github" && tenant == "acme"', true],
    ['event.type == "github.issue.opened"', true],
    ['data.issue.labels.exists(l, l == "bug")', false],
    ['data.issue.number > 100', false],
  ])('%s compiles and evaluates to %s', (expression, expected) => {
    const filter = compileTriggerFilter(expression);
    expect(runTriggerFilter(filter, issueEvent({ number: 7, labels: ['docs'] }))).toEqual({
      matched: expected,
    });
  });

  it('names the position of a syntax error', () => {
    expect(triggerFilterProblem('data.issue.number >')).toEqual({
      message: expect.stringMatching(/^Unexpected token: EOF at character 20$/),
      offset: 19,
    });
  });

  it('lists the variables when the filter reads an unknown one', () => {
    expect(triggerFilterProblem('issue.number > 1')?.message).toMatch(
      /^Unknown variable: issue at character 1; a filter reads event, id, source, time, tenant, subject, data$/,
    );
  });

  it('refuses a filter that cannot yield a bool', () => {
    expect(() => compileTriggerFilter('tenant + "x"')).toThrow(TriggerFilterError);
    expect(triggerFilterProblem('tenant + "x"')?.message).toMatch(
      /must yield true or false, this one yields string/,
    );
  });

  it('a missing field does not match, and says to guard it with has()', () => {
    const outcome = runTriggerFilter(
      compileTriggerFilter('!data.issue.pull_request'),
      issueEvent({ number: 1 }),
    );
    expect(outcome).toEqual({
      matched: false,
      error: 'No such key: pull_request; guard optional fields with has(...)',
    });
  });

  it('a non-bool result at run time does not match', () => {
    const outcome = runTriggerFilter(compileTriggerFilter('data.issue.number'), issueEvent({ number: 1 }));
    expect(outcome).toEqual({ matched: false, error: 'the filter yielded number, not true or false' });
  });
});

describe('the library issue triage filter', () => {
  const file = path.join(__dirname, '../../../capsules/library/issue-triage.yaml');
  const capsule = parseCapsule(readFileSync(file, 'utf8'), { file }).value!;
  const trigger = capsule.triggers.find((t) => t.type === 'event')!;
  const filter = compileTriggerFilter(trigger.type === 'event' ? trigger.filter! : '');

  it('matches an issue and skips a pull request', () => {
    expect(runTriggerFilter(filter, issueEvent({ number: 12, title: 'Crash' }))).toEqual({ matched: true });
    expect(
      runTriggerFilter(filter, issueEvent({ number: 13, pull_request: { url: 'https://api.github.com/x' } })),
    ).toEqual({ matched: false });
  });
});
