export { parseHaCf, HA_CF_KEYWORDS, type HaCf, type HaCfDirective, type HaCfLink } from './ha-cf.js';
export { parseAuthkeys, type Authkeys, type AuthkeysOptions, type AuthMethod } from './authkeys.js';
export { parseHaresources, type HaResource, type HaResourceGroup } from './haresources.js';
export { heartbeatToModel, ocfEquivalent, HEARTBEAT_SCRIPTS, PREFERRED_NODE_SCORE, NO_FAILBACK_STICKINESS, type HeartbeatModel, type HeartbeatOptions } from './to-model.js';
export { loadHeartbeatDir, type HeartbeatDir, type HeartbeatDirOptions } from './load-dir.js';
