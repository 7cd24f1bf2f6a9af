/**
 * Configuration loaders: native vigil.yaml, Heartbeat v1 files, Pacemaker CIB XML. All produce
 * the typed cluster model (src/model) plus, for the daemon, the engine settings.
 */
export { loadVigilYaml, emptyStatus, type VigilLoadResult } from './vigil/load.js';
export { toVigilYaml, emitVigilYaml, type EmitOptions, type EmitResult } from './vigil/emit.js';
export { vigilJsonSchema, vigilJsonSchemaText, vigilYaml as vigilYamlSchema } from './vigil/schema.js';
export { DEFAULTS, type EngineSettings, type NodeSettings, type LinkSettings, type TransportSettings, type MembershipSettings, type QuorumSettings, type FencingSettings, type PathSettings, type NoQuorumPolicy, type LinkTransport } from './settings.js';
export { parseAgent, formatAgent } from './agent.js';
export * from './heartbeat/index.js';
export { settingsForCib } from './defaults.js';
export { formatWarning } from './warnings.js';
export { loadClusterConfig, type LoadedClusterConfig, type LoadClusterConfigOptions, type ConfigKind } from './load-any.js';
