import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { describeFailure, findApplicationFailure, hasFailureType } from '../../../workflows/failures';

const approvalRequired = () =>
  ApplicationFailure.create({
    type: 'ApprovalRequired',
    message: 'review band: score 0.55 < θ 0.6',
    details: [{ decision: 'review', score: 0.55, threshold: 0.6 }],
  });

describe('failures', () => {
  it('finds the application failure inside an activity failure', () => {
    const err = new ActivityFailure(
      'activity failed',
      'executeTool',
      '7',
      RetryState.NON_RETRYABLE_FAILURE,
      'w1',
      approvalRequired(),
    );
    expect(hasFailureType(err, 'ApprovalRequired')).toBe(true);
    expect(describeFailure(err)).toEqual({
      type: 'ApprovalRequired',
      message: 'review band: score 0.55 < θ 0.6',
      nonRetryable: false,
      details: { decision: 'review', score: 0.55, threshold: 0.6 },
    });
  });

  it('takes the innermost one through nested child workflows (delegation)', () => {
    const denied = ApplicationFailure.create({
      type: 'ConstitutionDenied',
      message: 'hard rule',
      nonRetryable: true,
    });
    const activity = new ActivityFailure(
      'x',
      'executeTool',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'w',
      denied,
    );
    const grandchildWrapper = ApplicationFailure.create({
      type: 'StepFailed',
      message: 'child failed',
      cause: activity,
    });
    const child = new ChildWorkflowFailure(
      'ns',
      { workflowId: 'c', runId: 'r' },
      'personaWorkflow',
      RetryState.NON_RETRYABLE_FAILURE,
      grandchildWrapper,
    );
    expect(findApplicationFailure(child)).toBe(denied);
    expect(describeFailure(child)).toMatchObject({ type: 'ConstitutionDenied', nonRetryable: true });
    expect(describeFailure(child).details).toBeUndefined();
  });

  it('describes failures without an application failure and non-errors', () => {
    const timeout = new TimeoutFailure('timed out', undefined, TimeoutType.START_TO_CLOSE);
    const wrapped = new ActivityFailure('x', 'slmComplete', '2', RetryState.TIMEOUT, 'w', timeout);
    expect(describeFailure(wrapped)).toEqual({
      type: 'TimeoutFailure',
      message: 'timed out',
      nonRetryable: false,
    });
    expect(describeFailure(new TypeError('bad'))).toEqual({
      type: 'TypeError',
      message: 'bad',
      nonRetryable: true,
    });
    expect(describeFailure('boom')).toEqual({ type: 'Error', message: 'boom', nonRetryable: true });
    expect(hasFailureType(new Error('x'), 'ApprovalRequired')).toBe(false);
  });
});
