/**
 * Engine settings: what the daemon's layers (transport, membership, coordination, fencing,
 * daemon paths) need beyond the cluster model. One section per layer so each can grow its own
 * fields: add the field to the vigil.yaml schema (vigil/schema.ts), here, in `toSettings`
 * (vigil/load.ts) and in the emitter (vigil/emit.ts), with a default.
 */
import type { NodeName } from '../model/ids.js';
import type { Millis } from '../model/time.js';

export type LinkTransport = 'unicast' | 'multicast' | 'broadcast';
export type NoQuorumPolicy = 'stop' | 'freeze' | 'ignore' | 'suicide' | 'demote';

export interface NodeSettings {
  name: NodeName;
  /** Numeric node id, unique in the cluster; carried in every packet. */
  id: number;
  /** One address per link, in the order of `transport.links` (may be empty for multicast/broadcast-only clusters). */
  addresses: string[];
  votes: number;
}

export interface LinkSettings {
  /** Name for logs and status (`link0`, `link1`, ... unless configured). */
  name: string;
  transport: LinkTransport;
  /** Network interface to bind/send on (needed for broadcast; optional otherwise). */
  interface?: string;
  port: number;
  /** Multicast group (multicast links only). */
  group?: string;
  /** Multicast TTL (multicast links only). */
  ttl: number;
  /** Deliver our own multicast packets back to us (Heartbeat's mcast `loop`). */
  loop: boolean;
  /** Extra unicast destinations not tied to a configured node (Heartbeat `ucast` lines). */
  peers: string[];
}

export interface TransportSettings {
  links: LinkSettings[];
  /** Key file: HMAC (and cipher) key for every packet; must be mode 0600. */
  authkeyFile: string;
  /** `vigil`: the file's bytes are the key; `heartbeat-authkeys`: a Heartbeat authkeys file whose active secret is the key. */
  keyFormat: 'vigil' | 'heartbeat-authkeys';
  auth: 'hmac-sha256';
  cipher: 'none' | 'aes-256-gcm';
}

export interface MembershipSettings {
  /** Interval between heartbeats on each link. */
  keepaliveMs: Millis;
  /** Silence after which a peer is reported late. */
  warntimeMs: Millis;
  /** Silence after which a peer is declared dead. */
  deadtimeMs: Millis;
  /** Deadtime used right after start, while links and peers come up. */
  initdeadMs: Millis;
}

export interface QuorumSettings {
  /** Total votes expected; default: the sum of the nodes' votes (+1 with a witness). */
  expectedVotes?: number;
  twoNode: boolean;
  waitForAll: boolean;
  witness?: { address: string; port: number };
}

export interface FencingSettings {
  /** stonith-enabled. */
  enabled: boolean;
  /** With self-fencing: a node without quorum has stopped everything within this time. */
  watchdogTimeoutMs?: Millis;
  /** Fencing this node first waits this long (give the node that should survive a fence race a delay). */
  delayMs: Record<NodeName, Millis>;
}

export interface PathSettings {
  /** The configuration this was loaded from (file, or Heartbeat directory). */
  config: string;
  stateDir: string;
  runtimeDir: string;
}

export interface EngineSettings {
  /** Where these settings came from. */
  source: 'vigil.yaml' | 'heartbeat' | 'cib';
  clusterName: string;
  nodes: NodeSettings[];
  transport: TransportSettings;
  membership: MembershipSettings;
  quorum: QuorumSettings;
  fencing: FencingSettings;
  noQuorumPolicy: NoQuorumPolicy;
  paths: PathSettings;
}

/** Defaults, shared by the schema (documented there), the loaders and the emitter. */
export const DEFAULTS = {
  port: 694,
  ttl: 1,
  authkeyFile: '/etc/vigil/authkey',
  configFile: '/etc/vigil/vigil.yaml',
  stateDir: '/var/lib/vigil',
  runtimeDir: '/run/vigil',
  // Fast enough for a sub-1.5 s failover, slow enough not to flap on a busy host.
  keepaliveMs: 250,
  warntimeMs: 750,
  deadtimeMs: 1000,
  initdeadMs: 10_000,
  noQuorumPolicy: 'stop' as NoQuorumPolicy,
  witnessPort: 694,
} as const;
