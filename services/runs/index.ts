export { CapsuleRunRequestError } from './errors';
export {
  requestWorkflowId,
  startCapsuleRun,
  type CapsuleLookup,
  type StartCapsuleRunDeps,
  type StartCapsuleRunRequest,
  type StartedCapsuleRun,
} from './start-capsule-run';
