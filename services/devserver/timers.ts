import { addExternalEvents, appendEvent, commitInBackground, touch, type EngineContext } from './context';
import type { Run, TimerState } from './state';
import { protoTimeToMs, type ProtoTime } from './time';

/** StartTimer command attributes. */
export interface StartTimerAttributes {
  timerId?: string;
  startToFireTimeout?: ProtoTime | null;
}

/** Returns why a StartTimer command is invalid, or undefined. */
export function validateStartTimer(run: Run, attrs: StartTimerAttributes): string | undefined {
  if (!attrs.timerId) return 'StartTimerCommandAttributes.timerId is not set';
  if (run.state.timers[attrs.timerId])
    return `StartTimerCommandAttributes.timerId ${attrs.timerId} is already running`;
  if (protoTimeToMs(attrs.startToFireTimeout) <= 0)
    return 'StartTimerCommandAttributes.startToFireTimeout must be positive';
  return undefined;
}

/** Applies StartTimer: `TimerStarted` and a deadline that appends `TimerFired`. */
export function startTimer(
  ctx: EngineContext,
  run: Run,
  attrs: StartTimerAttributes,
  completedEventId: number,
): void {
  const timerId = attrs.timerId ?? '';
  const startedEventId = appendEvent(ctx, run, 'EVENT_TYPE_TIMER_STARTED', {
    timerId,
    startToFireTimeout: attrs.startToFireTimeout,
    workflowTaskCompletedEventId: completedEventId,
  });
  const timer: TimerState = {
    timerId,
    startedEventId,
    fireAtMs: Date.now() + protoTimeToMs(attrs.startToFireTimeout),
  };
  run.state.timers[timerId] = timer;
  armTimer(ctx, run, timer);
}

/** Arms a timer's deadline (also after a restart). */
export function armTimer(ctx: EngineContext, run: Run, timer: TimerState): void {
  ctx.scheduler.set(run.key, `timer-${timer.timerId}`, timer.fireAtMs, () => {
    const current = run.state.timers[timer.timerId];
    if (current?.startedEventId !== timer.startedEventId) return;
    delete run.state.timers[timer.timerId];
    touch(ctx, run);
    addExternalEvents(ctx, run, [
      {
        eventType: 'EVENT_TYPE_TIMER_FIRED',
        attributes: { timerId: timer.timerId, startedEventId: timer.startedEventId },
      },
    ]);
    commitInBackground(ctx);
  });
}

/** Returns why a CancelTimer command is invalid, or undefined. */
export function validateCancelTimer(run: Run, attrs: { timerId?: string }): string | undefined {
  if (!attrs.timerId) return 'CancelTimerCommandAttributes.timerId is not set';
  if (!run.state.timers[attrs.timerId])
    return `CancelTimerCommandAttributes.timerId ${attrs.timerId} is not a running timer`;
  return undefined;
}

/** Applies CancelTimer: `TimerCanceled` and the deadline dropped. */
export function cancelTimer(
  ctx: EngineContext,
  run: Run,
  timerId: string,
  completedEventId: number,
  identity: string,
): void {
  const timer = run.state.timers[timerId];
  if (!timer) return;
  delete run.state.timers[timerId];
  ctx.scheduler.clear(run.key, `timer-${timerId}`);
  appendEvent(ctx, run, 'EVENT_TYPE_TIMER_CANCELED', {
    timerId,
    startedEventId: timer.startedEventId,
    workflowTaskCompletedEventId: completedEventId,
    identity,
  });
}
