/**
 * The workflow bundle's entry (`workflowsPath`): every workflow type the SomaGent worker runs.
 * Only workflow functions are exported here; clients import definitions from `./shared`.
 */
export { capsuleWorkflow } from './capsule';
export { personaWorkflow } from './persona';
