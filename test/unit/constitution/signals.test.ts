import {
  buildActionDescriptor,
  detectPii,
  extractHosts,
  extractSignals,
  hostAllowed,
  ibanValid,
  luhnValid,
  parseActionDescriptor,
} from '../../../constitution';
import { DescriptorValidationError } from '../../../constitution';

describe('PII detection', () => {
  it('finds emails', () => {
    expect(detectPii('write to jane.doe+x@mail.example.co.uk today')).toEqual({ email: 1 });
  });

  it('counts a card number only when it passes Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(detectPii('card 4111 1111 1111 1111')).toEqual({ creditCard: 1 });
    expect(detectPii('order 4111 1111 1111 1112')).toEqual({});
    expect(detectPii('card 5500-0000-0000-0004')).toEqual({ creditCard: 1 });
  });

  it('checks IBANs with mod-97', () => {
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE88 3704 0044 0532 0130 00')).toBe(false);
    expect(detectPii('pay to GB82WEST12345698765432')).toEqual({ iban: 1 });
    expect(detectPii('pay to GB82WEST12345698765431')).toEqual({});
  });

  it('finds SSN-like numbers but not impossible ones', () => {
    expect(detectPii('ssn 123-45-6789')).toEqual({ ssn: 1 });
    expect(detectPii('ssn 000-45-6789 or 666-12-3456 or 923-45-6789')).toEqual({});
  });

  it('finds phone numbers with separators or a leading +', () => {
    expect(detectPii('call +1 415-555-2671')).toEqual({ phone: 1 });
    expect(detectPii('call (030) 1234 5678')).toEqual({ phone: 1 });
    expect(detectPii('call +4915112345678')).toEqual({ phone: 1 });
    expect(detectPii('order id 20240115 total 1234')).toEqual({});
  });

  it('counts one number once even when it also looks like a phone', () => {
    expect(detectPii('4111 1111 1111 1111 and DE89 3704 0044 0532 0130 00')).toEqual({
      creditCard: 1,
      iban: 1,
    });
  });
});

describe('hosts', () => {
  it('extracts lower-case hosts from URLs anywhere in a string', () => {
    expect(extractHosts('see https://API.Example.com/v1?x=1 and ftp://files.example.org')).toEqual([
      'api.example.com',
      'files.example.org',
    ]);
  });

  it('does not read platform references (snapshot://namespace/name) as hosts', () => {
    expect(extractHosts('memory snapshot://support/component-owners@latest via https://x.example')).toEqual([
      'x.example',
    ]);
  });

  it('matches exact hosts and *.domain wildcards (not the bare domain)', () => {
    expect(hostAllowed('api.example.com', ['*.example.com'])).toBe(true);
    expect(hostAllowed('example.com', ['*.example.com'])).toBe(false);
    expect(hostAllowed('evil-example.com', ['*.example.com'])).toBe(false);
    expect(hostAllowed('example.com', ['example.com'])).toBe(true);
  });

  it('walks nested args, keys included, and reads a bare host argument', () => {
    const signals = extractSignals({
      host: 'db.internal',
      requests: [{ url: 'https://b.example.com/x' }, { 'https://a.example.com': 'key as url' }],
      contact: 'ops@example.com',
    });
    expect(signals).toEqual({
      pii: ['email'],
      piiCount: 1,
      hosts: ['a.example.com', 'b.example.com', 'db.internal'],
    });
  });
});

describe('buildActionDescriptor', () => {
  it('extracts signals, digests args deterministically and never copies them', () => {
    const input = {
      activityType: 'runTool',
      tenant: 't1',
      tool: { id: 'http.request', risk: 'high' as const, category: 'network' },
      args: { method: 'post', url: 'https://hooks.example.com/x', body: 'ssn 123-45-6789' },
    };
    const x = buildActionDescriptor(input);
    expect(x.args.hosts).toEqual(['hooks.example.com']);
    expect(x.args.pii).toEqual(['ssn']);
    expect(x.args.write).toBe(true);
    expect(x.args.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(x)).not.toContain('123-45-6789');
    const reordered = buildActionDescriptor({
      ...input,
      args: { body: input.args.body, url: input.args.url, method: 'post' },
    });
    expect(reordered.args.digest).toBe(x.args.digest);
    expect(buildActionDescriptor({ ...input, args: { ...input.args, body: 'x' } }).args.digest).not.toBe(
      x.args.digest,
    );
    expect(() => parseActionDescriptor(x)).not.toThrow();
  });

  it('treats GET as read, built-in writer tools as write, and fills neutral defaults', () => {
    const get = buildActionDescriptor({
      activityType: 'runTool',
      tenant: 't1',
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: { method: 'GET', url: 'https://a.example.com' },
    });
    expect(get.args.write).toBe(false);
    const write = buildActionDescriptor({
      activityType: 'runTool',
      tenant: 't1',
      tool: { id: 'workspace.write', risk: 'medium', category: 'filesystem' },
      args: { path: 'x', content: 'y' },
      taint: ['pii', 'secret', 'pii'],
    });
    expect(write.args.write).toBe(true);
    expect(write.taint).toEqual(['pii', 'secret']);
    expect(write.persona).toBeNull();
    expect(write.budget).toEqual({ spentUsd: 0, limitUsd: null });
    expect(write.denials).toEqual({ recent: 0, window: 0 });
  });
});

describe('parseActionDescriptor', () => {
  it('names the bad field', () => {
    const x = buildActionDescriptor({ activityType: 'runTool', tenant: 't1' });
    try {
      parseActionDescriptor({ ...x, persona: { id: 'p', trust: 1.5 } });
      throw new Error('expected a validation error');
    } catch (err) {
      expect(err).toBeInstanceOf(DescriptorValidationError);
      expect((err as DescriptorValidationError).issues).toEqual([
        { path: 'persona.trust', message: 'trust is in [0, 1]' },
      ]);
    }
  });
});
