/**
 * The constitution gate of a worker: an activity-inbound interceptor that judges every activity
 * against the signed constitution in force and audits each decision through the outbox.
 * See workers/README.md.
 */
export {
  approvalIdFor,
  GATE_APPROVAL_HEADER,
  readGateApproval,
  withGateApproval,
  type GateApproval,
} from './approval-header';
export {
  createConstitutionHolder,
  subscribeToConstitutionUpdates,
  type ConstitutionHolder,
  type ConstitutionUpdateHandler,
  type ConstitutionHolderDeps,
  type ReloadResult,
} from './constitution-holder';
export {
  startConstitutionSubscription,
  type ConstitutionSubscription,
  type ConstitutionSubscriptionDeps,
} from './constitution-subscription';
export { GATE_DECISION_NAMESPACE, uuidV5 } from './deterministic-id';
export {
  describeActivity,
  PLATFORM_TENANT,
  type ActivityDescription,
  type DescribeActivityOptions,
  type FailClosed,
  type FailClosedReason,
  type GateActivityInfo,
} from './describe-activity';
export {
  explainEvaluation,
  explainFailClosed,
  explainRefusedBeforeReview,
  type ExplainedRule,
  type GateExplanation,
  type GateOutcome,
} from './explanation';
export {
  ConstitutionGateInterceptor,
  createConstitutionGate,
  DEFAULT_PRECHECK_TIMEOUT_MS,
  GATE_UNAVAILABLE,
  type ActivityPrecheck,
  type ApprovalRequiredDetails,
  type ConstitutionGateDeps,
} from './gate-interceptor';
export { createGateMetrics, type GateMetrics } from './gate-metrics';
export {
  gateDecisionEventId,
  GATE_DECISION_EVENT,
  GATE_EVENT_SOURCE,
  createDecisionLog,
  decisionLogFor,
  recordGateDecision,
  UNKNOWN_TENANT,
  type DecisionLog,
  type DecisionLogOptions,
  type GateAttempt,
  type GateDecisionData,
} from './record-decision';
export {
  DEFAULT_TOOL_ACTIVITIES,
  toolCatalogFromRegistry,
  type GateToolInfo,
  type ToolRegistryView,
  type ToolCall,
  type ToolCallExtractor,
  type ToolCatalog,
} from './tool-catalog';
