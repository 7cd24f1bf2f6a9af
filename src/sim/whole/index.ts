export * from './shapes.js';
export * from './world.js';
export * from './scenario.js';
export { formatTimeline as formatWholeTimeline, formatWholeSummary, runWholeSeeds, type WholeSeedsOptions, type WholeSummary } from './run.js';
