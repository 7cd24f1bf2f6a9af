/**
 * The one place that names the controller's entry points (src/controller), so that the daemon's
 * host code does not depend on how that layer spells them.
 */
import { checkFenceConfirm, createDc, createNodeController, dcStep, fencedByRace, mayRun, nodeStep, previewConfig } from '../controller/index.js';

export const CONTROLLER = {
  createDc,
  dcStep,
  createNode: createNodeController,
  nodeStep,
  checkFenceConfirm,
  fencedByRace,
  mayRun,
  previewConfig,
};
