/**
 * Failure detection per peer and per link: a pure state machine.
 *
 *   step(state, input) -> { state, outputs, wakeAt }
 *
 * `now` (ms on a monotonic clock) comes with every input. The host calls step with a `tick` at
 * `wakeAt` at the latest (earlier is harmless), and with a `heartbeat` input whenever the transport
 * heard an authenticated frame from a peer on a link (any frame counts: a peer busy sending a CIB
 * snapshot is obviously alive). Nothing here reads a clock or a socket.
 *
 * Status of a link (per peer) and of a peer, from the silence since last heard:
 *   unknown  not heard since we started watching it, and initdead has not passed
 *   alive    heard within warntime
 *   late     silent for warntime or more (a warning only)
 *   dead     silent for deadtime or more (or never heard within initdead)
 * A peer is heard when any of its links is, so it is dead exactly when EVERY link is dead.
 */
import type { Millis, NodeId } from '../model/index.js';
import { checkTimings, DEFAULT_TIMINGS } from './timings.js';
import type { MembershipTimings } from './timings.js';

export type LinkId = string;
export type Liveness = 'unknown' | 'alive' | 'late' | 'dead';

export interface LinkView {
  status: Liveness;
  lastHeardAt: number | undefined;
}

export interface PeerView {
  status: Liveness;
  /** Latest incarnation heard; undefined before the first heartbeat. */
  incarnation: number | undefined;
  lastHeardAt: number | undefined;
  /** When we started watching this peer (start, or when it was added): initdead counts from here. */
  watchedSince: number;
  links: Record<LinkId, LinkView>;
}

export interface MembershipConfig {
  self: NodeId;
  peers: readonly NodeId[];
  links: readonly LinkId[];
  timings: MembershipTimings;
}

export interface MembershipState {
  config: MembershipConfig;
  /** Latest `now` seen; time never goes backwards inside the machine. */
  now: number;
  nextHeartbeatAt: number;
  peers: Record<NodeId, PeerView>;
}

export type MembershipInput =
  | { kind: 'tick'; now: number }
  /** The transport heard an authenticated frame from `from` on `link`. */
  | { kind: 'heartbeat'; now: number; from: NodeId; link: LinkId; incarnation: number }
  /** The configured peers changed (a node joined or left); new peers start `unknown`. */
  | { kind: 'set-peers'; now: number; peers: readonly NodeId[] };

export type MembershipOutput =
  /** Send one heartbeat frame on every link. */
  | { kind: 'send-heartbeat' }
  /** The peer is alive again after being unknown or dead. */
  | { kind: 'peer-up'; peer: NodeId; incarnation: number; link: LinkId }
  | { kind: 'peer-late'; peer: NodeId; silentMs: Millis }
  /** A late peer was heard before deadtime: it never left. */
  | { kind: 'peer-recovered'; peer: NodeId; silentMs: Millis }
  | { kind: 'peer-dead'; peer: NodeId; silentMs: Millis; lastHeardAt: number | undefined }
  /** The peer runs a newer incarnation: it restarted and lost its volatile state (even if we never saw it die). */
  | { kind: 'peer-restarted'; peer: NodeId; incarnation: number; previousIncarnation: number }
  | { kind: 'link-up'; peer: NodeId; link: LinkId }
  | { kind: 'link-down'; peer: NodeId; link: LinkId; silentMs: Millis };

export interface StepResult {
  state: MembershipState;
  outputs: MembershipOutput[];
  /** Latest time at which the host must call step again (a tick) for timeouts to fire on time. */
  wakeAt: number;
}

export function initialLinkViews(links: readonly LinkId[]): Record<LinkId, LinkView> {
  return Object.fromEntries(links.map((l) => [l, { status: 'unknown', lastHeardAt: undefined }]));
}

function newPeer(links: readonly LinkId[], now: number): PeerView {
  return { status: 'unknown', incarnation: undefined, lastHeardAt: undefined, watchedSince: now, links: initialLinkViews(links) };
}

/**
 * Start watching. Throws RangeError on unusable timings or a config that names self as a peer
 * (configuration loaders validate earlier and report InputErrors).
 */
export function initMembership(config: Partial<MembershipConfig> & Pick<MembershipConfig, 'self' | 'peers' | 'links'>, now: number): StepResult {
  const cfg: MembershipConfig = { ...config, timings: config.timings ?? { ...DEFAULT_TIMINGS } };
  const errs = checkTimings(cfg.timings);
  if (errs.length) throw new RangeError(errs.join('; '));
  if (cfg.links.length === 0) throw new RangeError('membership needs at least one link');
  if (new Set(cfg.links).size !== cfg.links.length) throw new RangeError('link ids must be unique');
  const peers = [...new Set(cfg.peers)].filter((p) => p !== cfg.self);
  const state: MembershipState = {
    config: { ...cfg, peers },
    now,
    nextHeartbeatAt: now + cfg.timings.keepaliveMs,
    peers: Object.fromEntries(peers.map((p) => [p, newPeer(cfg.links, now)])),
  };
  // Announce ourselves at once rather than a keepalive later.
  return { state, outputs: [{ kind: 'send-heartbeat' }], wakeAt: computeWakeAt(state) };
}

/** Status implied by silence alone (what a tick decides). */
function statusFromSilence(lastHeardAt: number | undefined, watchedSince: number, now: number, t: MembershipTimings): Liveness {
  if (lastHeardAt === undefined) return now - watchedSince >= t.initdeadMs ? 'dead' : 'unknown';
  const silent = now - lastHeardAt;
  if (silent >= t.deadtimeMs) return 'dead';
  if (silent >= t.warntimeMs) return 'late';
  return 'alive';
}

function silence(lastHeardAt: number | undefined, watchedSince: number, now: number): number {
  return now - (lastHeardAt ?? watchedSince);
}

/** Apply the passage of time to one peer; push the resulting events. */
function age(peer: NodeId, v: PeerView, now: number, t: MembershipTimings, out: MembershipOutput[]): PeerView {
  let links = v.links;
  for (const [id, l] of Object.entries(v.links)) {
    const s = statusFromSilence(l.lastHeardAt, v.watchedSince, now, t);
    if (s === l.status) continue;
    if (links === v.links) links = { ...v.links };
    links[id] = { ...l, status: s };
    if (s === 'dead') out.push({ kind: 'link-down', peer, link: id, silentMs: silence(l.lastHeardAt, v.watchedSince, now) });
  }
  const s = statusFromSilence(v.lastHeardAt, v.watchedSince, now, t);
  if (s !== v.status) {
    const silentMs = silence(v.lastHeardAt, v.watchedSince, now);
    if (s === 'late') out.push({ kind: 'peer-late', peer, silentMs });
    if (s === 'dead') out.push({ kind: 'peer-dead', peer, silentMs, lastHeardAt: v.lastHeardAt });
  }
  return links === v.links && s === v.status ? v : { ...v, status: s, links };
}

function ageAll(state: MembershipState, now: number, out: MembershipOutput[]): Record<NodeId, PeerView> {
  let peers = state.peers;
  for (const [p, v] of Object.entries(state.peers)) {
    const nv = age(p, v, now, state.config.timings, out);
    if (nv !== v) {
      if (peers === state.peers) peers = { ...state.peers };
      peers[p] = nv;
    }
  }
  return peers;
}

function heard(peer: NodeId, v: PeerView, link: LinkId, incarnation: number, now: number, out: MembershipOutput[]): PeerView {
  if (v.incarnation !== undefined && incarnation < v.incarnation) return v; // a stale frame proves nothing about now
  if (v.incarnation !== undefined && incarnation > v.incarnation) {
    out.push({ kind: 'peer-restarted', peer, incarnation, previousIncarnation: v.incarnation });
  }
  const l = v.links[link];
  if (l.status === 'unknown' || l.status === 'dead') out.push({ kind: 'link-up', peer, link });
  if (v.status === 'unknown' || v.status === 'dead') out.push({ kind: 'peer-up', peer, incarnation, link });
  if (v.status === 'late') out.push({ kind: 'peer-recovered', peer, silentMs: now - (v.lastHeardAt ?? v.watchedSince) });
  return {
    ...v,
    status: 'alive',
    incarnation,
    lastHeardAt: now,
    links: { ...v.links, [link]: { status: 'alive', lastHeardAt: now } },
  };
}

/** The earliest future time at which some status would change by silence alone, or a heartbeat is due. */
export function computeWakeAt(state: MembershipState): number {
  const t = state.config.timings;
  let at = state.nextHeartbeatAt;
  const consider = (last: number | undefined, since: number, status: Liveness) => {
    if (status === 'dead') return;
    if (last === undefined) { at = Math.min(at, since + t.initdeadMs); return; }
    at = Math.min(at, status === 'alive' ? last + t.warntimeMs : last + t.deadtimeMs);
  };
  for (const v of Object.values(state.peers)) {
    consider(v.lastHeardAt, v.watchedSince, v.status);
    for (const l of Object.values(v.links)) consider(l.lastHeardAt, v.watchedSince, l.status);
  }
  return at;
}

export function step(state: MembershipState, input: MembershipInput): StepResult {
  const now = Math.max(state.now, input.now);
  const out: MembershipOutput[] = [];
  let peers = state.peers;
  let config = state.config;

  if (input.kind === 'set-peers') {
    const wanted = [...new Set(input.peers)].filter((p) => p !== config.self);
    const next: Record<NodeId, PeerView> = {};
    for (const p of wanted) next[p] = peers[p] ?? newPeer(config.links, now);
    peers = next;
    config = { ...config, peers: wanted };
  }

  // Time passes first, so a heartbeat arriving after deadtime reports the death and then the return.
  peers = ageAll({ ...state, peers }, now, out);

  if (input.kind === 'heartbeat') {
    const v = peers[input.from];
    // Unknown peers and links are ignored: the transport already authenticated the frame, but
    // membership only tracks what is configured.
    if (v && Object.prototype.hasOwnProperty.call(v.links, input.link) && Number.isSafeInteger(input.incarnation)) {
      const nv = heard(input.from, v, input.link, input.incarnation, now, out);
      if (nv !== v) peers = { ...peers, [input.from]: nv };
    }
  }

  let nextHeartbeatAt = state.nextHeartbeatAt;
  if (now >= nextHeartbeatAt) {
    out.push({ kind: 'send-heartbeat' });
    // Re-anchor on now: after a stall we send one heartbeat, not a burst of missed ones.
    nextHeartbeatAt += config.timings.keepaliveMs;
    if (nextHeartbeatAt <= now) nextHeartbeatAt = now + config.timings.keepaliveMs;
  }
  const ns: MembershipState = { config, now, nextHeartbeatAt, peers };
  return { state: ns, outputs: out, wakeAt: computeWakeAt(ns) };
}

// ---- Queries the layers above use -------------------------------------------------------------

/** Peers currently considered members (alive or late: not yet declared dead). */
export function reachablePeers(state: MembershipState): NodeId[] {
  return Object.entries(state.peers).filter(([, v]) => v.status === 'alive' || v.status === 'late').map(([p]) => p);
}

export function peerStatus(state: MembershipState, peer: NodeId): Liveness | undefined {
  return state.peers[peer]?.status;
}

export function linkStatus(state: MembershipState, peer: NodeId, link: LinkId): Liveness | undefined {
  return state.peers[peer]?.links[link]?.status;
}
