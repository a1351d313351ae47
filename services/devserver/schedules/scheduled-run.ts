/**
 * Workflow id of a scheduled run: `<action workflowId>-<nominal time, RFC 3339 UTC seconds>`
 * (the real scheduler always appends it).
 */
export function scheduledWorkflowId(baseWorkflowId: string, nominalTime: number): string {
  return `${baseWorkflowId}-${rfc3339Seconds(nominalTime)}`;
}

/** A search attribute to add to a scheduled run, with the type for its payload metadata. */
export interface ScheduledRunSearchAttribute {
  type: 'Keyword' | 'Datetime';
  value: string;
}

/**
 * Search attributes every scheduled run carries on top of the action's own:
 * `TemporalScheduledById` (Keyword, schedule id) and `TemporalScheduledStartTime` (Datetime,
 * nominal time). Encode them as json/plain payloads with `metadata.type`.
 */
export function scheduledRunSearchAttributes(
  scheduleId: string,
  nominalTime: number,
): Record<'TemporalScheduledById' | 'TemporalScheduledStartTime', ScheduledRunSearchAttribute> {
  return {
    TemporalScheduledById: { type: 'Keyword', value: scheduleId },
    TemporalScheduledStartTime: { type: 'Datetime', value: rfc3339Seconds(nominalTime) },
  };
}

function rfc3339Seconds(time: number): string {
  return new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
