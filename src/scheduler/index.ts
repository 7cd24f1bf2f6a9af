export { schedule, type SchedulerResult, type ScheduleOptions } from './schedule.js';
export { toCanonical, type CanonicalResult } from './canonical.js';
export type { Placement, SummaryEntry, FenceEntry } from './summary.js';
export type { Action, Transition, Edge } from './transition.js';
