export * from './types.js';
export { applyUpdate, applyUpdates, failCountName, lastFailureName, recordResult } from './cib-state.js';
export { isFailure, possiblyActive, transitionKey, parseTransitionKey, recordId, lastFailureId } from './records.js';
export { createDc, dcStep, stepDc, type DcState, type UnsafeNode } from './dc.js';
export { schedulerView, WATCHDOG_DEVICE, type GraphAction, type Transition as RunningTransition } from './transition-graph.js';
export { createNodeController, mayRun, nodeStep, stepNode, type NodeControllerState } from './node.js';
export { fenceLevels } from './fence-devices.js';
export { expiredFailCounts, nextFailureExpiry } from './failure-timeout.js';
