import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Capsule } from '../../../../capsules/capsule-schema';
import { parseCapsule } from '../../../../capsules/parse';
import type { VersionRecord } from '../../../../capsules/registry/registry-store';
import { createEvent, type EventEnvelope } from '../../../../services/events';
import {
  type EventDispatchOutcome,
  matchEvent,
  renderTriggerParams,
  triggerRequestId,
  unservedReason,
} from '../../../../services/triggers';

const triage = parseCapsule(
  readFileSync(path.join(__dirname, '../../../../capsules/library/issue-triage.yaml'), 'utf8'),
  { file: 'issue-triage.yaml' },
).value!;

function record(document: Capsule): VersionRecord<Capsule> {
  return {
    kind: 'capsule',
    id: document.id,
    version: document.version,
    hash: 'h',
    document,
    publishedAt: new Date(0),
  };
}

/** The catalog as the registry answers it: the latest versions listening for the type. */
const catalog = (...documents: Capsule[]) => ({
  eventTriggered: (type: string) =>
    Promise.resolve(
      documents.filter((d) => d.triggers.some((t) => t.type === 'event' && t.event === type)).map(record),
    ),
});

function issueOpened(issue: Record<string, unknown>): EventEnvelope {
  return createEvent({
    type: 'github.issue.opened',
    source: 'github',
    tenant: 'acme',
    subject: 'acme/widgets',
    data: { action: 'opened', issue, repository: { full_name: 'acme/widgets' } },
  });
}

describe('matchEvent', () => {
  it('matches the issue triage trigger and renders its params with their types', async () => {
    const event = issueOpened({ number: 42, title: 'Crash on save', body: 'Steps...' });
    const result = await matchEvent(catalog(triage), event);
    expect(result).toEqual({
      listeners: 1,
      skipped: [],
      matches: [
        {
          capsule: { id: 'support.issue-triage', version: triage.version },
          triggerIndex: 0,
          params: {
            repository: 'acme/widgets',
            issueNumber: 42,
            issueTitle: 'Crash on save',
            issueBody: 'Steps...',
          },
        },
      ],
    });
  });

  it('skips a pull request (the filter is false) and leaves out null fields', async () => {
    const pr = await matchEvent(catalog(triage), issueOpened({ number: 1, title: 't', pull_request: {} }));
    expect(pr).toMatchObject({
      listeners: 1,
      matches: [],
      skipped: [{ triggerIndex: 0, reason: 'filtered' }],
    });
    const noBody = await matchEvent(catalog(triage), issueOpened({ number: 2, title: 't', body: null }));
    expect(noBody.matches[0]!.params).not.toHaveProperty('issueBody');
  });

  it('reports a filter that fails at run time, and no listeners for another type', async () => {
    const strict: Capsule = {
      ...triage,
      triggers: [{ type: 'event', event: 'github.issue.opened', filter: 'data.issue.labels.size() > 0' }],
    };
    const failed = await matchEvent(catalog(strict), issueOpened({ number: 3 }));
    expect(failed.skipped).toEqual([
      expect.objectContaining({
        reason: 'filter_error',
        message: expect.stringContaining('No such key: labels'),
      }),
    ]);
    const other = await matchEvent(catalog(triage), {
      ...issueOpened({ number: 4 }),
      type: 'github.issue.closed',
    });
    expect(other).toEqual({ listeners: 0, matches: [], skipped: [] });
  });
});

describe('renderTriggerParams', () => {
  const specs = triage.params;
  it('fits whole-template values to the parameter type and renders text around templates', () => {
    const event = issueOpened({ number: '17', title: 9 });
    expect(
      renderTriggerParams(
        {
          issueNumber: '{{ event.data.issue.number }}',
          issueTitle: '{{ event.data.issue.title }}',
          issueBody: 'From {{ event.source }} at {{ event.time }}',
          labelTaxonomy: ['{{ event.data.action }}', 'fixed'],
        },
        specs,
        event,
      ),
    ).toEqual({
      issueNumber: 17,
      issueTitle: '9',
      issueBody: `From github at ${event.time}`,
      labelTaxonomy: ['opened', 'fixed'],
    });
  });
});

describe('triggerRequestId and unservedReason', () => {
  it('derives one request id per (event, capsule, trigger)', () => {
    expect(triggerRequestId('e1', 'support.issue-triage', 0)).toBe('event:e1:support.issue-triage:0');
    expect(triggerRequestId('e1', 'support.issue-triage', 1)).not.toBe(
      triggerRequestId('e1', 'support.issue-triage', 0),
    );
  });

  const base: EventDispatchOutcome = {
    eventId: 'e1',
    eventType: 'github.issue.opened',
    tenant: 'acme',
    listeners: 1,
    started: [],
    filtered: [],
    failed: [],
  };
  it('says why an event was not served, naming the trigger, field and runs already started', () => {
    expect(unservedReason(base)).toBeUndefined();
    expect(unservedReason({ ...base, listeners: 0 })).toMatch(
      /^no published capsule has an event trigger for "github.issue.opened"/,
    );
    const capsule = { id: 'support.issue-triage', version: '1.0.1' };
    expect(
      unservedReason({
        ...base,
        listeners: 2,
        started: [{ capsule, triggerIndex: 1, workflowId: 'wf-1', runId: 'r' }],
        failed: [
          { capsule, triggerIndex: 0, code: 'invalid_argument', field: 'params.issueNumber', message: 'bad' },
        ],
      }),
    ).toBe(
      'event e1 (github.issue.opened): support.issue-triage@1.0.1 triggers[0]: params.issueNumber: bad ' +
        '(started support.issue-triage@1.0.1 triggers[1] as wf-1)',
    );
  });
});
