/**
 * Manual fencing (`vigil fence confirm NODE`; Pacemaker's `stonith_admin --confirm`, Heartbeat's
 * meatware): the operator asserts that NODE is powered off, so the DC records it as fenced — the
 * state change a fence device's success makes — and may recover its resources. The one way out
 * for a lost node that no device can fence and that no watchdog-timeout covers, and for a node
 * whose device keeps failing.
 *
 * The DC accepts it for a configured node that is not in its membership. It refuses an unknown
 * node, itself and a member it hears: declaring a node down that is up would start its resources
 * a second time (split brain). A node that is silent but still up (a network split) is the
 * operator's to rule out: that is what they assert.
 */
import type { DcState } from './dc.js';

export type FenceConfirmCheck =
  /** `pending`: the node was waiting to be fenced (its resources held); else it was down already. */
  | { ok: true; pending: boolean }
  /** `input`: the operator must change the request; `unavailable`: the DC cannot judge it yet. */
  | { ok: false; code: 'input' | 'unavailable'; reason: string };

export function checkFenceConfirm(s: DcState, node: string): FenceConfirmCheck {
  const configured = s.cib.config.nodes.map((n) => n.name);
  if (!configured.includes(node) && !s.cib.status.nodes.some((n) => n.name === node)) {
    return { ok: false, code: 'input', reason: `no node "${node}" (nodes: ${configured.join(', ') || 'none'})` };
  }
  if (node !== s.opts.self && s.members === null) return { ok: false, code: 'unavailable', reason: 'the DC does not know the membership yet; try again' };
  if (node === s.opts.self || s.members?.includes(node)) {
    return {
      ok: false, code: 'input',
      reason: `${node} is ${node === s.opts.self ? 'the DC' : 'a member of the cluster'} and up: confirming it down would start its resources elsewhere while they still run there (split brain); stop it (vigil stop) or power it off first`,
    };
  }
  const waiting = s.transition?.actions.some((a) => a.task === 'fence' && a.node === node && (a.state === 'waiting' || a.state === 'in-flight')) ?? false;
  return { ok: true, pending: s.unsafe.has(node) || waiting };
}
