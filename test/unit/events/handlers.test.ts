import { auditHandler, createConstitutionNotifier, EventRejectedError } from '../../../services/consumers';
import { createEvent } from '../../../services/events';
import { createLogger } from '../../../services/logger';

const event = (type: string, data: Record<string, unknown>) =>
  createEvent({ type, source: 's', tenant: 't', subject: 'run-1', data });

describe('auditHandler.validate', () => {
  it('accepts gate decisions with allow, review or deny and any other audit event', () => {
    for (const decision of ['allow', 'review', 'deny']) {
      expect(() => auditHandler.validate!(event('gate.decision', { decision, extra: 1 }))).not.toThrow();
    }
    expect(() => auditHandler.validate!(event('run.started', {}))).not.toThrow();
  });

  it('rejects a gate decision without a known decision, naming the field', () => {
    expect(() => auditHandler.validate!(event('gate.decision', { decision: 'maybe' }))).toThrow(
      EventRejectedError,
    );
    expect(() => auditHandler.validate!(event('gate.decision', {}))).toThrow(
      /data\.decision: expected allow, review or deny/,
    );
  });
});

describe('createConstitutionNotifier', () => {
  const logger = createLogger({ level: 'silent' });

  it('calls handlers in subscription order, waits for async ones, survives failures', async () => {
    const notifier = createConstitutionNotifier(logger);
    const calls: string[] = [];
    notifier.onConstitutionUpdated(async () => {
      await new Promise((r) => setTimeout(r, 10));
      calls.push('slow');
    });
    notifier.onConstitutionUpdated(() => {
      throw new Error('boom');
    });
    notifier.onConstitutionUpdated(() => Promise.reject(new Error('async boom')));
    notifier.onConstitutionUpdated((e) => {
      calls.push(`fast:${String(e.data.version)}`);
    });
    await notifier.notify(event('constitution.updated', { version: 7 }));
    expect(calls).toEqual(['slow', 'fast:7']);
  });

  it('stops calling a handler once unsubscribed', async () => {
    const notifier = createConstitutionNotifier(logger);
    const handler = jest.fn();
    const off = notifier.onConstitutionUpdated(handler);
    await notifier.notify(event('constitution.updated', {}));
    off();
    await notifier.notify(event('constitution.updated', {}));
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
