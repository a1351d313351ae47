import { ReviewInbox, reviewOutcome, type ReviewCheckpoint } from '../../../workflows/review-checkpoint';

const open: ReviewCheckpoint = { prompt: 'Check the draft', timeoutMs: 86_400_000, onTimeout: 'reject' };
const restricted: ReviewCheckpoint = { ...open, reviewers: ['alice', 'bob'] };
const checkpoints = new Map([
  ['draft', open],
  ['publish', restricted],
]);

describe('review checkpoints', () => {
  it('buffers a verdict that arrives before the step reaches its checkpoint', () => {
    const inbox = new ReviewInbox();
    expect(inbox.offer({ stepId: 'draft', verdict: 'reject', by: 'carol' }, checkpoints)).toEqual({
      accepted: true,
    });
    expect(inbox.offer({ stepId: 'draft', verdict: 'approve', by: 'carol' }, checkpoints)).toEqual({
      accepted: true,
    });
    expect(inbox.has('draft')).toBe(true);
    expect(inbox.take('draft')).toEqual({ stepId: 'draft', verdict: 'approve', by: 'carol' });
    expect(inbox.has('draft')).toBe(false);
    expect(inbox.take('draft')).toBeUndefined();
  });

  it('refuses reviewers who are not listed and steps without a checkpoint', () => {
    const inbox = new ReviewInbox();
    expect(inbox.offer({ stepId: 'publish', verdict: 'approve', by: 'mallory' }, checkpoints)).toEqual({
      accepted: false,
      reason: '"mallory" may not review step "publish"; reviewers: alice, bob',
    });
    expect(inbox.offer({ stepId: 'publish', verdict: 'approve' }, checkpoints)).toMatchObject({
      accepted: false,
    });
    expect(inbox.offer({ stepId: 'research', verdict: 'approve', by: 'alice' }, checkpoints)).toEqual({
      accepted: false,
      reason: 'step "research" has no review checkpoint',
    });
    expect(inbox.has('publish')).toBe(false);
    expect(inbox.offer({ stepId: 'publish', verdict: 'approve', by: 'bob' }, checkpoints).accepted).toBe(
      true,
    );
  });

  it('turns verdicts and timeouts into outcomes with error types', () => {
    expect(reviewOutcome(open, { stepId: 'draft', verdict: 'approve', by: 'alice', comment: 'ok' })).toEqual({
      passed: true,
      timedOut: false,
      by: 'alice',
      comment: 'ok',
    });
    expect(
      reviewOutcome(open, { stepId: 'draft', verdict: 'reject', by: 'bob', comment: 'too vague' }),
    ).toEqual({
      passed: false,
      errorType: 'ReviewRejected',
      reason: 'rejected by bob: too vague',
    });
    expect(reviewOutcome(open, undefined)).toEqual({
      passed: false,
      errorType: 'ReviewTimedOut',
      reason: 'no review within 24h',
    });
    expect(reviewOutcome({ ...open, timeoutMs: 90_000 }, undefined)).toMatchObject({
      reason: 'no review within 90s',
    });
    expect(reviewOutcome({ ...open, onTimeout: 'approve' }, undefined)).toEqual({
      passed: true,
      timedOut: true,
    });
  });
});
