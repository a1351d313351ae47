import { ApplicationFailure } from '@temporalio/common';
import { authorizeRunStart, type StartCaller } from '../../../../activities/identity/run-start-policy';
import { identityModeFrom } from '../../../../activities/identity/identity-mode';

const alice: StartCaller = {
  kind: 'identity',
  identity: { subject: 'alice@acme', tenant: 'acme', capabilities: ['capsule:run'] },
};
const operator = (capabilities: string[]): StartCaller => ({
  kind: 'identity',
  identity: { subject: 'ops', capabilities },
});

function refusal(run: () => unknown): ApplicationFailure {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'RunUnauthorized', nonRetryable: true });
    return err as ApplicationFailure;
  }
  throw new Error('expected a refusal');
}

describe('authorizeRunStart', () => {
  it('takes the tenant from the caller, never from input naming another', () => {
    expect(authorizeRunStart('strict', { caller: alice, inline: false })).toEqual({
      subject: 'alice@acme',
      tenant: 'acme',
    });
    expect(authorizeRunStart('local', { caller: alice, requestedTenant: 'acme', inline: false }).tenant).toBe(
      'acme',
    );
    // An identity that is present binds in local mode too.
    expect(
      refusal(() => authorizeRunStart('local', { caller: alice, requestedTenant: 'globex', inline: false }))
        .message,
    ).toContain('input.tenant "globex" is not the caller\'s tenant');
  });

  it('lets a caller without a tenant claim name one only with tenant:any', () => {
    expect(
      refusal(() =>
        authorizeRunStart('strict', { caller: operator([]), requestedTenant: 'acme', inline: false }),
      ).message,
    ).toContain('tenant:any');
    expect(
      authorizeRunStart('strict', {
        caller: operator(['tenant:any']),
        requestedTenant: 'acme',
        inline: false,
      }),
    ).toEqual({
      subject: 'ops',
      tenant: 'acme',
    });
    // Naming no tenant at all needs nothing: the run gets the default tenant.
    expect(authorizeRunStart('strict', { caller: operator([]), inline: false }).tenant).toBeNull();
  });

  it('needs capsule:inline for an inline capsule', () => {
    expect(refusal(() => authorizeRunStart('strict', { caller: alice, inline: true })).message).toContain(
      'capsule:inline',
    );
    const inliner: StartCaller = {
      kind: 'identity',
      identity: { subject: 'dev@acme', tenant: 'acme', capabilities: ['capsule:inline'] },
    };
    expect(authorizeRunStart('strict', { caller: inliner, inline: true }).subject).toBe('dev@acme');
  });

  it('refuses a run without identity in strict mode, keeps the input tenant in local mode', () => {
    expect(
      refusal(() => authorizeRunStart('strict', { caller: { kind: 'none' }, inline: false })).message,
    ).toContain('no verified caller');
    expect(
      authorizeRunStart('local', { caller: { kind: 'none' }, requestedTenant: 'acme', inline: true }),
    ).toEqual({
      subject: null,
      tenant: 'acme',
    });
  });

  it('refuses an unreadable identity in either mode', () => {
    for (const mode of ['strict', 'local'] as const) {
      expect(
        refusal(() =>
          authorizeRunStart(mode, { caller: { kind: 'malformed', reason: 'bad header' }, inline: false }),
        ).message,
      ).toContain('bad header');
    }
  });
});

describe('identityModeFrom', () => {
  it('is strict with Temporal auth or in production unless set', () => {
    expect(identityModeFrom({})).toBe('local');
    expect(identityModeFrom({ TEMPORAL_AUTH: 'jwt' })).toBe('strict');
    expect(identityModeFrom({ NODE_ENV: 'production' })).toBe('strict');
    expect(identityModeFrom({ NODE_ENV: 'production', IDENTITY_MODE: 'local' })).toBe('local');
  });
});
