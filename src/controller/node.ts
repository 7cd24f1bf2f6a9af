/**
 * The node-local controller: runs on every node, DC or not. It keeps track of what is active on
 * this node (from the CIB and from every local executor result), probes everything when the node
 * joins or the DC changes, and — when the node has not had contact with a quorate DC for
 * deadtime — applies no-quorum-policy to its own resources:
 *
 *   stop     stop every managed resource here (in reverse dependency order);
 *   demote   demote promoted instances, stop everything else (Pacemaker's meaning);
 *   freeze   keep what runs, start nothing (nothing starts without a DC anyway);
 *   ignore   carry on as if nothing happened (unsafe: warned);
 *   suicide  self-fence at once.
 *
 * With self-fencing (fencing enabled and watchdog-timeout set) it guarantees that within
 * watchdog-timeout of its last contact with a quorate DC nothing managed is active here: it arms
 * the watchdog with that deadline (the daemon keeps a hardware or supervisor watchdog armed to
 * it, so a hung daemon dies too) and asks for `self-fence` if the stops have not finished by then.
 * Nodes in maintenance and unmanaged resources are never touched.
 *
 * Two-node fence race (two_node with exactly two voters): a survivor alone is never quorate until
 * it has fenced its peer, and only a DC fences — which needs quorum. So the node controller does
 * it: when the peer is gone from the membership and this node has no quorum, it fences the peer
 * (after the peer's fence delay, so that two halves of a split do not shoot each other at once)
 * and holds no-quorum-policy meanwhile. On success the engine holds the peer's vote, this node
 * becomes DC and recovers the peer's resources; on failure no-quorum-policy applies.
 */
import { OcfRc, OpStatus, type Cib, type Role } from '../model/cluster.js';
import { fenceLevels } from './fence-devices.js';
import { propMs, stonithEnabled, watchdogTimeoutOf } from './options.js';
import { possiblyActive } from './records.js';
import { baseId, buildRequest, isPromotable, managed, orphanInfo, primitives, truthy, withStartParams, type PrimitiveInfo } from './resources.js';
import type { ActionResult, NodeInput, NodeOptions, NodeOutput, StepResult } from './types.js';

export type LocalRole = Role;

/** The two-node fence race in progress (see the header). */
export interface FenceRace {
  peer: string;
  state: 'waiting' | 'in-flight' | 'failed' | 'fenced';
  /** waiting: fence at this time (the peer's fence delay); failed: retry then. */
  notBefore: number;
  key: string;
  /** in-flight: give up at this time (the fence timeout plus a grace). */
  deadline: number;
  failures: number;
  /** fenced: when the fence succeeded; `lapsed`: the hold after it ran out without quorum. */
  fencedAt: number;
  lapsed?: boolean;
}

/** After a won race, how long to hold no-quorum-policy while this node becomes DC (an election and a commit). */
const RACE_WON_HOLD_MS = 10_000;
/** Beyond the fence timeout, before an unanswered fence counts as failed (the DC's result grace). */
const RACE_RESULT_GRACE_MS = 10_000;

export interface NodeControllerState {
  opts: NodeOptions;
  cib: Cib;
  startedAt: number;
  /** Last two-way contact with a quorate DC (null: none since start). */
  lastContact: number | null;
  dc: string | null;
  /** Whether this node currently counts itself as in a quorate partition. */
  quorate: boolean;
  /** What is (possibly) active here, by status id. */
  active: Map<string, LocalRole>;
  /** Status ids whose state comes from local results (newer than what the CIB may say). */
  localKnown: Set<string>;
  /** Local operations in flight, by status id. */
  busy: Map<string, { key: string; action: string }>;
  /** Last watchdog deadline output (undefined: none yet). */
  watchdog: number | null | undefined;
  selfFenced: boolean;
  seq: number;
  warned: boolean;
  warnedTiming: boolean;
  /** The membership as last reported (null: not yet), and the nodes that left cleanly. */
  members: string[] | null;
  left: string[];
  race: FenceRace | null;
  /**
   * A peer this node fenced in a race, until it is seen back (the DC is told, so that it records
   * the peer fenced instead of fencing it again). `seenGone`: the membership has dropped it since
   * (until then a listing is stale: it notices a power-off only after deadtime).
   */
  fencedPeer: { node: string; seenGone: boolean } | null;
}

function watchdogTimeout(s: NodeControllerState): number | undefined {
  return stonithEnabled(s.cib) ? watchdogTimeoutOf(s.cib, s.opts.watchdogTimeoutMs) : undefined;
}

function policy(cib: Cib): 'stop' | 'freeze' | 'ignore' | 'suicide' | 'demote' {
  const v = (cib.config.properties['no-quorum-policy'] ?? 'stop').toLowerCase();
  return v === 'freeze' || v === 'ignore' || v === 'suicide' || v === 'demote' ? v : 'stop';
}

function roleFromHistory(ops: import('../model/cluster.js').OperationRecord[]): LocalRole | undefined {
  if (!possiblyActive(ops)) return undefined;
  let last: import('../model/cluster.js').OperationRecord | undefined;
  for (const o of ops) if (o.intervalMs === 0 && (!last || o.callId > last.callId)) last = o;
  if (!last) return 'Started';
  if (last.operation === 'promote' || (last.operation === 'monitor' && last.rc === OcfRc.RunningPromoted)) return 'Promoted';
  if (last.operation === 'demote') return 'Unpromoted';
  return 'Started';
}

function refreshFromCib(s: NodeControllerState): void {
  const me = s.cib.status.nodes.find((n) => n.name === s.opts.self);
  for (const h of me?.history ?? []) {
    if (s.localKnown.has(h.rsc)) continue;
    const role = roleFromHistory(h.ops);
    if (role) s.active.set(h.rsc, role);
    else s.active.delete(h.rsc);
  }
}

export function createNodeController(opts: NodeOptions, cib: Cib, now: number): NodeControllerState {
  const s: NodeControllerState = {
    opts, cib, startedAt: now, lastContact: null, dc: null, quorate: false, active: new Map(), localKnown: new Set(),
    busy: new Map(), watchdog: undefined, selfFenced: false, seq: 0, warned: false, warnedTiming: false,
    members: null, left: [], race: null, fencedPeer: null,
  };
  refreshFromCib(s);
  return s;
}

function copy(s: NodeControllerState): NodeControllerState {
  return {
    ...s, active: new Map(s.active), localKnown: new Set(s.localKnown), busy: new Map(s.busy),
    race: s.race ? { ...s.race } : null, fencedPeer: s.fencedPeer ? { ...s.fencedPeer } : null,
  };
}

class Step {
  readonly out: NodeOutput[] = [];
  constructor(readonly s: NodeControllerState, readonly now: number) {}
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.out.push({ type: 'log', line: { level, message } });
  }
}

export function nodeStep(state: NodeControllerState, input: NodeInput): StepResult<NodeControllerState, NodeOutput> {
  const s = copy(state);
  const st = new Step(s, input.now);
  switch (input.type) {
    case 'tick':
      break;
    case 'cib':
      s.cib = input.cib;
      refreshFromCib(s);
      break;
    case 'dc-contact':
      s.lastContact = input.now;
      if (s.dc !== input.dc) s.dc = input.dc;
      if (!s.quorate) {
        s.quorate = true;
        s.warned = false;
        st.out.push({ type: 'quorum', have: true });
        st.log('info', `in contact with the quorate DC ${input.dc}`);
      }
      break;
    case 'joined':
      probeAll(st, 'joined the cluster');
      break;
    case 'dc-changed':
      s.dc = input.dc;
      if (input.dc !== null) probeAll(st, `new DC ${input.dc}`);
      break;
    case 'executed':
      onExecuted(st, input.result);
      break;
    case 'membership':
      onMembership(s, input.members, input.left ?? [], input.restarted ?? []);
      break;
    case 'fence-result':
      onRaceResult(st, input.key, input.ok, input.reason);
      break;
  }
  evaluate(st);
  return { state: s, outputs: st.out, wakeAt: nextWake(s, input.now) };
}

/** Same as nodeStep. */
export const stepNode = nodeStep;

function inMaintenance(s: NodeControllerState): boolean {
  if (truthy(s.cib.config.properties['maintenance-mode'])) return true;
  const conf = s.cib.config.nodes.find((n) => n.name === s.opts.self);
  const st = s.cib.status.nodes.find((n) => n.name === s.opts.self);
  return truthy(conf?.attributes.maintenance) || truthy(st?.transientAttributes.maintenance);
}

function isManaged(s: NodeControllerState, id: string): boolean {
  const info = primitives(s.cib.config).get(baseId(id));
  // Something active here that is no longer configured (an orphan) is ours to stop.
  return info ? managed(s.cib.config, info) : !truthy(s.cib.config.properties['maintenance-mode']);
}

function probeAll(st: Step, why: string): void {
  const s = st.s;
  if (inMaintenance(s)) return;
  let n = 0;
  for (const [id, info] of primitives(s.cib.config)) {
    if (info.primitive.agent.class === 'stonith' || !managed(s.cib.config, info)) continue;
    const ids = info.clone && truthy(info.meta['globally-unique'])
      ? Array.from({ length: Number.parseInt(info.meta['clone-max'] ?? '', 10) || s.cib.config.nodes.length }, (_, i) => `${id}:${i}`)
      : [id];
    for (const rid of ids) {
      const key = `lp${++s.seq}:0:${OcfRc.NotRunning}:${s.opts.self}`;
      st.out.push({ type: 'execute', request: buildRequest(s.cib.config, info, s.opts.self, rid, 'monitor', 0, key, OcfRc.NotRunning) });
      n++;
    }
  }
  if (n > 0) st.log('info', `probing ${n} resource(s): ${why}`);
}

function onExecuted(st: Step, r: ActionResult): void {
  const s = st.s;
  const id = r.resource;
  const busy = s.busy.get(id);
  if (busy && busy.key === r.userData) s.busy.delete(id);
  const done = r.opStatus === OpStatus.Done;
  const before = s.active.get(id);
  let after: LocalRole | undefined = before;
  if (r.intervalMs === 0) {
    switch (r.action) {
      case 'start': after = done && r.rc === OcfRc.Success ? 'Started' : before ?? 'Started'; break;
      case 'stop': after = done && (r.rc === OcfRc.Success || r.rc === OcfRc.NotRunning) ? undefined : before ?? 'Started'; break;
      case 'promote': after = 'Promoted'; break;
      case 'demote': after = done && r.rc === OcfRc.Success ? 'Unpromoted' : before ?? 'Promoted'; break;
      case 'monitor':
        if (done && r.rc === OcfRc.NotRunning) after = undefined;
        else if (done && r.rc === OcfRc.RunningPromoted) after = 'Promoted';
        else if (done && r.rc === OcfRc.Success) after = before === 'Promoted' || before === undefined ? 'Started' : before;
        else after = before ?? 'Started';
        break;
      default: break;
    }
    s.localKnown.add(id);
  }
  if (after) s.active.set(id, after);
  else s.active.delete(id);
  if (r.userData && /^l[ps]\d+:/.test(r.userData)) st.out.push({ type: 'report', result: r });
}

/** What no-quorum-policy wants of a resource active here: keep, demote, or stop. */
function wanted(s: NodeControllerState, id: string, role: LocalRole): 'keep' | 'demote' | 'stop' {
  const p = policy(s.cib);
  if (p === 'freeze' || p === 'ignore') return 'keep';
  if (p === 'demote') {
    if (!isPromotable(primitives(s.cib.config).get(baseId(id)))) return 'stop';
    return role === 'Promoted' ? 'demote' : 'keep';
  }
  return role === 'Promoted' ? 'demote' : 'stop';
}

/** Resources that must stop before `id` may (its group successors and mandatory order dependents). */
function stopsBefore(s: NodeControllerState, id: string): string[] {
  const base = baseId(id);
  const prims = primitives(s.cib.config);
  const info = prims.get(base);
  const out: string[] = [];
  if (info?.group) {
    const members = [...prims.values()].filter((p) => p.group === info.group && p.top === info.top).map((p) => p.primitive.id);
    out.push(...members.slice(members.indexOf(base) + 1));
  }
  const resolve = (rid: string): string[] => [...prims.entries()].filter(([pid, p]) => pid === rid || p.group === rid || p.top === rid).map(([pid]) => pid);
  for (const c of s.cib.config.constraints) {
    if (c.kind !== 'order' || c.orderKind !== 'Mandatory' || !c.symmetrical || c.firstAction !== 'start' || c.thenAction !== 'start') continue;
    if (resolve(c.first).includes(base)) out.push(...resolve(c.then));
  }
  return out;
}

function evaluate(st: Step): void {
  const s = st.s;
  const now = st.now;
  const wd = watchdogTimeout(s);
  const since = s.lastContact ?? s.startedAt;
  // Where the quorum-loss line goes: it says what happens, which is known only after the race below.
  let lostAt = -1;
  if (s.quorate && now >= since + s.opts.deadtimeMs) {
    s.quorate = false;
    st.out.push({ type: 'quorum', have: false });
    lostAt = st.out.length;
  }
  if (wd !== undefined && wd <= s.opts.deadtimeMs && !s.warnedTiming) {
    s.warnedTiming = true;
    st.log('warn', `watchdog-timeout (${wd} ms) is not longer than deadtime (${s.opts.deadtimeMs} ms): this node will self-fence on any loss of quorum before it can stop anything; make it deadtime plus the time stops take, with a margin`);
  }
  const maintenance = inMaintenance(s);
  const managedActive = [...s.active].filter(([id]) => isManaged(s, id));
  const noQuorum = !s.quorate && now >= since + s.opts.deadtimeMs;
  const holding = fenceRace(st, noQuorum);
  if (lostAt >= 0) {
    const p = policy(s.cib);
    const what = holding && s.race ? `no-quorum-policy=${p} held while this node fences ${s.race.peer} (two-node fence race)`
      : maintenance ? `no-quorum-policy=${p}, but this node is in maintenance: nothing is touched`
        : `applying no-quorum-policy=${p}`;
    st.out.splice(lostAt, 0, { type: 'log', line: { level: 'warn', message: `no contact with a quorate DC for ${now - since} ms: ${what}` } });
  }
  if (noQuorum && !maintenance && !s.selfFenced && !holding) {
    const p = policy(s.cib);
    if (p === 'suicide' && managedActive.length > 0) {
      selfFence(st, 'no-quorum-policy=suicide');
    } else if (p === 'ignore' && !s.warned) {
      s.warned = true;
      st.log('warn', 'no-quorum-policy=ignore: resources keep running without quorum; another partition may run them too');
    } else if (p === 'freeze' && !s.warned) {
      s.warned = true;
      st.log('warn', 'no-quorum-policy=freeze: resources keep running, nothing new starts');
    }
    if (p === 'stop' || p === 'demote') runPolicy(st, managedActive);
  }
  // The watchdog: armed while anything managed may run here, to the last contact + watchdog-timeout.
  if (wd !== undefined && !s.selfFenced) {
    const unsafe = managedActive.filter(([id, role]) => !noQuorum || wanted(s, id, role) !== 'keep' || policy(s.cib) === 'freeze' || policy(s.cib) === 'ignore');
    const deadline = unsafe.length > 0 && !maintenance ? since + wd : null;
    if (deadline !== null && now >= deadline && noQuorum) {
      selfFence(st, `watchdog-timeout: ${unsafe.map(([id]) => id).join(', ')} still active ${now - since} ms after the last contact with a quorate DC`);
    } else if (deadline !== s.watchdog) {
      s.watchdog = deadline;
      st.out.push({ type: 'watchdog', deadline });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The two-node fence race

/** The peer, when `self` is one of exactly two voters with two_node on (a witness is a third voter). */
export function twoNodePeerOf(quorum: NodeOptions['quorum'], self: string): string | null {
  if (!quorum?.twoNode || quorum.voters.length !== 2 || !quorum.voters.includes(self)) return null;
  return quorum.voters.find((v) => v !== self) ?? null;
}

const twoNodePeer = (s: NodeControllerState): string | null => twoNodePeerOf(s.opts.quorum, s.opts.self);

function onMembership(s: NodeControllerState, members: string[], left: string[], restarted: string[]): void {
  s.members = members.slice();
  s.left = left.slice();
  const f = s.fencedPeer;
  if (!f) return;
  if (restarted.includes(f.node) || (members.includes(f.node) && f.seenGone)) s.fencedPeer = null;
  else if (!members.includes(f.node)) f.seenGone = true;
}

function raceKey(s: NodeControllerState, peer: string): string {
  return `race:${s.opts.self}:${peer}:${++s.seq}`;
}

function fenceTimeout(s: NodeControllerState): number {
  return s.opts.fenceTimeoutMs ?? propMs(s.cib.config.properties['stonith-timeout']) ?? 60_000;
}

/**
 * Start, run or drop the fence race; true while it holds no-quorum-policy: while the first
 * attempt is pending (waiting out the delay or in flight) and for a while after it won. Holding
 * is safe: nothing of this node's is recovered elsewhere until this node is fenced (recovery needs
 * a DC, which needs this node's vote or a fence of it), and if the peer is alive too, one of the
 * two is powered off by the other.
 */
function fenceRace(st: Step, noQuorum: boolean): boolean {
  const s = st.s;
  const now = st.now;
  const peer = twoNodePeer(s);
  // Like wait_for_all: a node that has not been in contact with a quorate DC since it started
  // (it booted alone, maybe after being fenced) never races, or two nodes would fence each other
  // in turn for as long as a split lasts.
  const levels = peer !== null ? fenceLevels(s.cib.config, peer) : [];
  const wanted = peer !== null && noQuorum && stonithEnabled(s.cib) && levels.length > 0 && s.lastContact !== null
    && s.members !== null && !s.members.includes(peer) && !s.left.includes(peer) && !s.selfFenced;
  let r = s.race;
  if (r && !wanted && r.state !== 'in-flight') {
    // Quorum is back (the peer returned, or this node became DC after winning), or the race no longer applies.
    if (r.state === 'waiting') st.log('info', `fence race for ${r.peer} called off: ${noQuorum ? `${r.peer} is back` : 'quorum regained'}`);
    s.race = r = null;
  }
  if (!wanted || peer === null) return r !== null && r.state === 'in-flight' && r.failures === 0;
  if (!r) {
    const delay = s.opts.fenceDelayMs?.[peer] ?? 0;
    r = s.race = { peer, state: 'waiting', notBefore: now + delay, key: '', deadline: 0, failures: 0, fencedAt: 0 };
    st.log('warn', `${peer} is gone and this node has no quorum (two-node): fencing ${peer}${delay > 0 ? ` in ${delay} ms (its fence delay)` : ''}; no-quorum-policy is held meanwhile`);
  }
  if ((r.state === 'waiting' || r.state === 'failed') && now >= r.notBefore) {
    r.state = 'in-flight';
    r.key = raceKey(s, peer);
    r.deadline = now + fenceTimeout(s) + RACE_RESULT_GRACE_MS;
    st.out.push({ type: 'fence', request: { node: peer, action: 'reboot', levels, method: 'device', reason: 'two-node fence race: peer lost without quorum', key: r.key, timeoutMs: fenceTimeout(s) } });
    st.log('warn', `fencing ${peer} (two-node fence race${r.failures > 0 ? `, attempt ${r.failures + 1}` : ''})`);
  } else if (r.state === 'in-flight' && now >= r.deadline) {
    raceFailed(st, r, 'no answer before the fence timeout');
  }
  if (r.state === 'fenced' && now >= r.fencedAt + RACE_WON_HOLD_MS && !r.lapsed) {
    r.lapsed = true;
    st.log('warn', `${peer} was fenced ${now - r.fencedAt} ms ago but this node is still without quorum (wait_for_all?): applying no-quorum-policy=${policy(s.cib)}`);
  }
  return r.failures === 0 && (r.state === 'waiting' || r.state === 'in-flight' || (r.state === 'fenced' && now < r.fencedAt + RACE_WON_HOLD_MS));
}

function raceFailed(st: Step, r: FenceRace, reason: string): void {
  const retry = st.s.opts.fenceRetryMs ?? 5_000;
  r.state = 'failed';
  r.failures++;
  r.notBefore = st.now + retry;
  st.log('error', `fencing ${r.peer} failed (${reason}): applying no-quorum-policy=${policy(st.s.cib)}; retrying in ${retry} ms`);
}

function onRaceResult(st: Step, key: string, ok: boolean, reason?: string): void {
  const s = st.s;
  const r = s.race;
  // A success that comes after this attempt was given up (timed out) still fenced the peer.
  if (!r || r.state === 'fenced' || !(r.key === key || (ok && key.startsWith(`race:${s.opts.self}:${r.peer}:`)))) return;
  if (!ok && r.state !== 'in-flight') return;
  if (!ok) { raceFailed(st, r, reason ?? 'fence device error'); return; }
  r.state = 'fenced';
  r.fencedAt = st.now;
  s.fencedPeer = { node: r.peer, seenGone: !(s.members ?? []).includes(r.peer) };
  st.log('warn', `${r.peer} fenced (two-node fence race): this node holds its vote and takes over`);
}

/**
 * Peers this node fenced in a fence race and has not seen back since: the daemon passes them to
 * its DC controller with the membership (`fenced`), so that the DC records them fenced instead of
 * fencing them a second time for the same loss.
 */
export function fencedByRace(state: NodeControllerState): string[] {
  return state.fencedPeer ? [state.fencedPeer.node] : [];
}

function selfFence(st: Step, reason: string): void {
  st.s.selfFenced = true;
  st.log('error', `self-fencing: ${reason}`);
  st.out.push({ type: 'self-fence', reason });
}

function runPolicy(st: Step, managedActive: Array<[string, LocalRole]>): void {
  const s = st.s;
  const prims = primitives(s.cib.config);
  const activeIds = new Set(managedActive.map(([id]) => baseId(id)));
  for (const [id, role] of managedActive) {
    if (s.busy.has(id)) continue;
    const want = wanted(s, id, role);
    if (want === 'keep') continue;
    if (want === 'stop' && stopsBefore(s, id).some((d) => activeIds.has(d) && d !== baseId(id))) continue;
    const info: PrimitiveInfo | undefined = prims.get(baseId(id)) ?? orphanInfo(s, s.opts.self, id);
    if (!info) continue;
    const action = want === 'demote' ? 'demote' : 'stop';
    const key = `ls${++s.seq}:0:${OcfRc.Success}:${s.opts.self}`;
    s.busy.set(id, { key, action });
    st.log('info', `no quorum: ${action} ${id}`);
    st.out.push({ type: 'execute', request: buildRequest(s.cib.config, action === 'stop' ? withStartParams(s, s.opts.self, id, info) : info, s.opts.self, id, action, 0, key, OcfRc.Success) });
  }
}

function nextWake(s: NodeControllerState, now: number): number | null {
  if (s.selfFenced) return null;
  const since = s.lastContact ?? s.startedAt;
  const candidates: number[] = [];
  if (s.quorate || s.lastContact === null) candidates.push(since + s.opts.deadtimeMs);
  const wd = watchdogTimeout(s);
  if (wd !== undefined && s.watchdog !== null && s.watchdog !== undefined) candidates.push(s.watchdog);
  const r = s.race;
  if (r?.state === 'waiting' || r?.state === 'failed') candidates.push(r.notBefore);
  else if (r?.state === 'in-flight') candidates.push(r.deadline);
  else if (r?.state === 'fenced') candidates.push(r.fencedAt + RACE_WON_HOLD_MS);
  const future = candidates.filter((c) => c > now);
  return future.length ? Math.min(...future) : null;
}

/**
 * Whether this node should run a request that came from a DC: never on a node in maintenance or
 * on an unmanaged resource; without quorum, no start or promote (a DC that lost its lease may
 * still be sending), unless no-quorum-policy=ignore. Stops, demotes and probes are always allowed
 * (they make things safer or only look).
 */
export function mayRun(state: NodeControllerState, req: { resource: string; action: string; intervalMs: number }, now: number): { ok: true } | { ok: false; reason: string } {
  const s = state;
  const probe = req.action === 'monitor' && req.intervalMs === 0;
  if (inMaintenance(s) && !probe) return { ok: false, reason: `${s.opts.self} is in maintenance` };
  if (!isManaged(s, req.resource) && !probe) return { ok: false, reason: `${req.resource} is not managed` };
  const since = s.lastContact ?? s.startedAt;
  const quorate = s.lastContact !== null && now < since + s.opts.deadtimeMs;
  if (!quorate && (req.action === 'start' || req.action === 'promote') && policy(s.cib) !== 'ignore') {
    return { ok: false, reason: `no contact with a quorate DC for ${now - since} ms` };
  }
  if (s.selfFenced) return { ok: false, reason: 'this node is self-fencing' };
  return { ok: true };
}
