import { OPERATOR_SERVICE, WORKFLOW_SERVICE } from './proto';

/**
 * What each frontend method needs, after Temporal's api metadata (`common/api/metadata.go` of
 * temporalio/temporal): the access class decides the role a caller must hold, the scope whether
 * the request's `namespace` role counts besides the system role. Methods Temporal's table does not
 * list yet (deployments, workflow rules, standalone activities, ...) follow its pattern: reads
 * (Describe, Get, List, Count, Fetch, polls that only wait for an outcome) are `read`, everything
 * that changes state is `write`. A unit test checks every method of the loaded descriptors has an
 * entry, so a new method cannot slip through unclassified.
 */

/** The role class a method needs. */
export type MethodAccess = 'read' | 'write' | 'admin';

/** `namespace`: the request's `namespace` field names the namespace whose role counts. */
export type MethodScope = 'namespace' | 'cluster';

export interface MethodRule {
  access: MethodAccess;
  scope: MethodScope;
}

const READ: MethodRule = { access: 'read', scope: 'namespace' };
const WRITE: MethodRule = { access: 'write', scope: 'namespace' };
const ADMIN: MethodRule = { access: 'admin', scope: 'namespace' };
const CLUSTER_READ: MethodRule = { access: 'read', scope: 'cluster' };
const CLUSTER_ADMIN: MethodRule = { access: 'admin', scope: 'cluster' };

/** Calls answered without a token: Temporal's health-check APIs (the SDK calls GetSystemInfo on connect). */
export const ALWAYS_ALLOWED: ReadonlySet<string> = new Set([
  `/${WORKFLOW_SERVICE}/GetSystemInfo`,
  '/grpc.health.v1.Health/Check',
  '/grpc.health.v1.Health/Watch',
]);

const WORKFLOW_SERVICE_RULES: Record<string, MethodRule> = {
  RegisterNamespace: ADMIN,
  DescribeNamespace: READ,
  ListNamespaces: CLUSTER_READ,
  UpdateNamespace: ADMIN,
  DeprecateNamespace: ADMIN,
  StartWorkflowExecution: WRITE,
  ExecuteMultiOperation: WRITE,
  GetWorkflowExecutionHistory: READ,
  GetWorkflowExecutionHistoryReverse: READ,
  PollWorkflowTaskQueue: WRITE,
  RespondWorkflowTaskCompleted: WRITE,
  RespondWorkflowTaskFailed: WRITE,
  PollActivityTaskQueue: WRITE,
  RecordActivityTaskHeartbeat: WRITE,
  RecordActivityTaskHeartbeatById: WRITE,
  RespondActivityTaskCompleted: WRITE,
  RespondActivityTaskCompletedById: WRITE,
  RespondActivityTaskFailed: WRITE,
  RespondActivityTaskFailedById: WRITE,
  RespondActivityTaskCanceled: WRITE,
  RespondActivityTaskCanceledById: WRITE,
  RequestCancelWorkflowExecution: WRITE,
  SignalWorkflowExecution: WRITE,
  SignalWithStartWorkflowExecution: WRITE,
  ResetWorkflowExecution: WRITE,
  TerminateWorkflowExecution: WRITE,
  DeleteWorkflowExecution: WRITE,
  ListOpenWorkflowExecutions: READ,
  ListClosedWorkflowExecutions: READ,
  ListWorkflowExecutions: READ,
  ListArchivedWorkflowExecutions: READ,
  ScanWorkflowExecutions: READ,
  CountWorkflowExecutions: READ,
  GetSearchAttributes: CLUSTER_READ,
  RespondQueryTaskCompleted: WRITE,
  ResetStickyTaskQueue: WRITE,
  ShutdownWorker: WRITE,
  QueryWorkflow: READ,
  DescribeWorkflowExecution: READ,
  DescribeTaskQueue: READ,
  GetClusterInfo: CLUSTER_READ,
  GetSystemInfo: CLUSTER_READ,
  ListTaskQueuePartitions: READ,
  CreateSchedule: WRITE,
  DescribeSchedule: READ,
  UpdateSchedule: WRITE,
  PatchSchedule: WRITE,
  ListScheduleMatchingTimes: READ,
  DeleteSchedule: WRITE,
  ListSchedules: READ,
  CountSchedules: READ,
  UpdateWorkerBuildIdCompatibility: WRITE,
  GetWorkerBuildIdCompatibility: READ,
  UpdateWorkerVersioningRules: WRITE,
  GetWorkerVersioningRules: READ,
  GetWorkerTaskReachability: READ,
  DescribeDeployment: READ,
  DescribeWorkerDeploymentVersion: READ,
  ListDeployments: READ,
  GetDeploymentReachability: READ,
  GetCurrentDeployment: READ,
  SetCurrentDeployment: WRITE,
  SetWorkerDeploymentCurrentVersion: WRITE,
  DescribeWorkerDeployment: READ,
  DeleteWorkerDeployment: WRITE,
  DeleteWorkerDeploymentVersion: WRITE,
  SetWorkerDeploymentRampingVersion: WRITE,
  ListWorkerDeployments: READ,
  CreateWorkerDeployment: WRITE,
  CreateWorkerDeploymentVersion: WRITE,
  UpdateWorkerDeploymentVersionComputeConfig: WRITE,
  // Validation may call out to the compute provider: a write, like the update it precedes.
  ValidateWorkerDeploymentVersionComputeConfig: WRITE,
  UpdateWorkerDeploymentVersionMetadata: WRITE,
  SetWorkerDeploymentManager: WRITE,
  UpdateWorkflowExecution: WRITE,
  PollWorkflowExecutionUpdate: READ,
  StartBatchOperation: WRITE,
  StopBatchOperation: WRITE,
  DescribeBatchOperation: READ,
  ListBatchOperations: READ,
  PollNexusTaskQueue: WRITE,
  RespondNexusTaskCompleted: WRITE,
  RespondNexusTaskFailed: WRITE,
  UpdateActivityOptions: WRITE,
  UpdateWorkflowExecutionOptions: WRITE,
  PauseActivity: WRITE,
  UnpauseActivity: WRITE,
  ResetActivity: WRITE,
  CreateWorkflowRule: WRITE,
  DescribeWorkflowRule: READ,
  DeleteWorkflowRule: WRITE,
  ListWorkflowRules: READ,
  TriggerWorkflowRule: WRITE,
  RecordWorkerHeartbeat: WRITE,
  ListWorkers: READ,
  CountWorkers: READ,
  UpdateTaskQueueConfig: WRITE,
  FetchWorkerConfig: READ,
  UpdateWorkerConfig: WRITE,
  DescribeWorker: READ,
  PauseWorkflowExecution: WRITE,
  UnpauseWorkflowExecution: WRITE,
  StartActivityExecution: WRITE,
  StartNexusOperationExecution: WRITE,
  DescribeActivityExecution: READ,
  DescribeNexusOperationExecution: READ,
  PollActivityExecution: READ,
  PollNexusOperationExecution: READ,
  ListActivityExecutions: READ,
  ListNexusOperationExecutions: READ,
  CountActivityExecutions: READ,
  CountNexusOperationExecutions: READ,
  RequestCancelActivityExecution: WRITE,
  RequestCancelNexusOperationExecution: WRITE,
  TerminateActivityExecution: WRITE,
  DeleteActivityExecution: WRITE,
  PauseActivityExecution: WRITE,
  ResetActivityExecution: WRITE,
  UnpauseActivityExecution: WRITE,
  UpdateActivityExecutionOptions: WRITE,
  TerminateNexusOperationExecution: WRITE,
  DeleteNexusOperationExecution: WRITE,
  // Moves the run's clock forward while it waits: changes state, so a write.
  PollWorkflowExecutionTimeSkipping: WRITE,
};

const OPERATOR_SERVICE_RULES: Record<string, MethodRule> = {
  AddSearchAttributes: ADMIN,
  RemoveSearchAttributes: ADMIN,
  ListSearchAttributes: READ,
  DeleteNamespace: ADMIN,
  AddOrUpdateRemoteCluster: CLUSTER_ADMIN,
  RemoveRemoteCluster: CLUSTER_ADMIN,
  ListClusters: CLUSTER_ADMIN,
  GetNexusEndpoint: CLUSTER_ADMIN,
  CreateNexusEndpoint: CLUSTER_ADMIN,
  UpdateNexusEndpoint: CLUSTER_ADMIN,
  DeleteNexusEndpoint: CLUSTER_ADMIN,
  ListNexusEndpoints: CLUSTER_ADMIN,
};

/** Rules per service, by method name. */
export const METHOD_RULES: Readonly<Record<string, Readonly<Record<string, MethodRule>>>> = {
  [WORKFLOW_SERVICE]: WORKFLOW_SERVICE_RULES,
  [OPERATOR_SERVICE]: OPERATOR_SERVICE_RULES,
};

/** A method missing from the table needs the system admin role (Temporal: unknown access = admin). */
const UNCLASSIFIED: MethodRule = CLUSTER_ADMIN;

/** The rule for `method` of `service` (fully qualified service name). */
export function methodRule(service: string, method: string): MethodRule {
  return METHOD_RULES[service]?.[method] ?? UNCLASSIFIED;
}
