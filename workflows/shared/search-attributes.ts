import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes that let the Web UI and `somagent` CLI filter capsule runs. All Keyword
 * (exact match). A Temporal cluster must have them registered: the worker does so at start
 * (`workers/register-search-attributes.ts`, through the OperatorService).
 */
export const SEARCH_ATTRIBUTES = {
  capsuleId: defineSearchAttributeKey('SomagentCapsuleId', SearchAttributeType.KEYWORD),
  capsuleVersion: defineSearchAttributeKey('SomagentCapsuleVersion', SearchAttributeType.KEYWORD),
  tenant: defineSearchAttributeKey('SomagentTenant', SearchAttributeType.KEYWORD),
  trigger: defineSearchAttributeKey('SomagentTrigger', SearchAttributeType.KEYWORD),
  persona: defineSearchAttributeKey('SomagentPersona', SearchAttributeType.KEYWORD),
  /** A capsule run's phase (`running`, `awaiting-approval`, `completed`, `failed`, ...). */
  status: defineSearchAttributeKey('SomagentStatus', SearchAttributeType.KEYWORD),
  /** The step a persona run works on. */
  step: defineSearchAttributeKey('SomagentStep', SearchAttributeType.KEYWORD),
} as const;

/** Every search attribute name with its type, e.g. for registering them on a cluster. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: ReadonlyArray<{ name: string; type: 'KEYWORD' }> = Object.values(
  SEARCH_ATTRIBUTES,
).map((key) => ({ name: key.name, type: key.type }));
