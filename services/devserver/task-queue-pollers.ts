import type { EngineContext } from './context';

/** Which queue a poll was on (DescribeTaskQueue asks per type). */
export type PollKind = 'workflow' | 'activity';

/** A poller as DescribeTaskQueue reports it. */
export interface SeenPoller {
  identity: string;
  lastAccessMs: number;
}

/** Pollers not seen for this long are dropped (the real server's poller history TTL). */
export const POLLER_TTL_MS = 5 * 60_000;

/** Per engine: queue (kind + namespace + name) → identity → last poll time. */
const seenByEngine = new WeakMap<EngineContext, Map<string, Map<string, number>>>();

function pollerKey(kind: PollKind, namespace: string, queue: string): string {
  return `${kind}\u0000${namespace}\u0000${queue}`;
}

function seenOf(ctx: EngineContext): Map<string, Map<string, number>> {
  let seen = seenByEngine.get(ctx);
  if (!seen) {
    seen = new Map();
    seenByEngine.set(ctx, seen);
  }
  return seen;
}

/** Notes a poll (one map write per poll, so it is cheap on the hot path). */
export function recordPoll(
  ctx: EngineContext,
  kind: PollKind,
  namespace: string,
  queue: string,
  identity: string,
): void {
  const seen = seenOf(ctx);
  const key = pollerKey(kind, namespace, queue);
  let pollers = seen.get(key);
  if (!pollers) {
    pollers = new Map();
    seen.set(key, pollers);
  }
  pollers.set(identity, Date.now());
}

/** Pollers of a queue seen within {@link POLLER_TTL_MS}, most recent first; forgets older ones. */
export function recentPollers(
  ctx: EngineContext,
  kind: PollKind,
  namespace: string,
  queue: string,
  nowMs = Date.now(),
): SeenPoller[] {
  const pollers = seenOf(ctx).get(pollerKey(kind, namespace, queue));
  if (!pollers) return [];
  const result: SeenPoller[] = [];
  for (const [identity, lastAccessMs] of pollers) {
    if (nowMs - lastAccessMs > POLLER_TTL_MS) pollers.delete(identity);
    else result.push({ identity, lastAccessMs });
  }
  return result.sort((a, b) => b.lastAccessMs - a.lastAccessMs);
}
