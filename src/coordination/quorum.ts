/**
 * Quorum arithmetic: a majority of votes, where the total is at least expected_votes, plus the
 * two-node fence-held votes.
 */
import type { NodeId } from '../model/ids.js';
import type { Member, MembershipConfig, QuorumOptions } from './types.js';

export function totalVotes(config: MembershipConfig): number {
  let t = 0;
  for (const m of config.members) t += m.votes;
  return t;
}

/** Votes needed for quorum: a strict majority of max(expected_votes, configured votes). */
export function votesNeeded(config: MembershipConfig, opts: QuorumOptions): number {
  const total = Math.max(totalVotes(config), opts.expectedVotes ?? 0);
  return Math.floor(total / 2) + 1;
}

export function member(config: MembershipConfig, id: NodeId): Member | undefined {
  return config.members.find((m) => m.id === id);
}

export function votesOf(config: MembershipConfig, id: NodeId): number {
  return member(config, id)?.votes ?? 0;
}

/** Whether the two-node rules apply to this configuration. */
export function twoNodeActive(config: MembershipConfig, opts: QuorumOptions): boolean {
  return opts.twoNode === true && config.members.filter((m) => m.votes > 0).length === 2;
}

/** Whether the nodes for which `has` is true carry a quorum of votes. */
export function isQuorum(config: MembershipConfig, opts: QuorumOptions, has: (id: NodeId) => boolean): boolean {
  let v = 0;
  for (const m of config.members) if (m.votes > 0 && has(m.id)) v += m.votes;
  return v >= votesNeeded(config, opts);
}

/**
 * The largest value x such that the voters whose value is >= x carry a quorum (value(id) gives
 * each voter's figure, e.g. its match index or the send time it last echoed). -Infinity if none.
 */
export function quorumValue(config: MembershipConfig, opts: QuorumOptions, value: (id: NodeId) => number): number {
  const voters = config.members.filter((m) => m.votes > 0).map((m) => ({ votes: m.votes, v: value(m.id) }));
  voters.sort((a, b) => b.v - a.v);
  const need = votesNeeded(config, opts);
  let acc = 0;
  for (const x of voters) {
    acc += x.votes;
    if (acc >= need) return x.v;
  }
  return -Infinity;
}
