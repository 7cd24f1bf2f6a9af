/**
 * Whom a node takes orders from. Only the DC this node follows may have it run operations: a
 * deposed DC's request, held up in the network (up to the request timeout), could otherwise start
 * a resource that the new DC placed elsewhere. A DC stamps each request with its term.
 *
 * A new DC's first heartbeat reaches the nodes before it can be DC (its lease needs their
 * answers), so a node normally knows the new DC before its first request arrives. It may not: that
 * heartbeat was lost while a quorum of others answered, or this node voted in the new term and has
 * not heard the winner yet. Then the answer is "not yet": the request is not run; the DC takes any
 * refusal as undeliverable, records nothing, and plans again half a second later.
 */

export type OrderVerdict =
  | { ok: true }
  | { ok: false; retry: boolean; reason: string };

export interface OrderContext {
  /** Who sent the request, and the term it stamped it with (absent: an older vigild). */
  from: string;
  dcTerm: number | undefined;
  /** This node's view: the DC (leader of its term) it follows, or null, and its term. */
  dc: string | null;
  term: number;
}

export function judgeOrder(c: OrderContext): OrderVerdict {
  const { from, dcTerm, dc, term } = c;
  const dcName = dc ?? 'none known';
  if (dcTerm !== undefined && dcTerm < term) {
    return { ok: false, retry: false, reason: `stale request: ${from} sent it in term ${dcTerm}, this node is in term ${term} (DC: ${dcName})` };
  }
  if (dcTerm !== undefined && (dcTerm > term || (dcTerm === term && dc === null))) {
    return { ok: false, retry: true, reason: `${from} is not this node's DC yet (its term ${dcTerm}, this node's ${term}, DC: ${dcName}): not run, retry` };
  }
  if (from !== dc) return { ok: false, retry: false, reason: `${from} is not this node's DC (DC: ${dcName}, term ${term})` };
  return { ok: true };
}

/**
 * A node that is leaving (`vigil stop`) brings nothing up any more (a DC may have planned it before
 * it heard of the shutdown): stops, demotes and probes still run, nothing else does.
 */
export function refusedWhileLeaving(req: { action: string; intervalMs: number }): boolean {
  return !(req.action === 'stop' || req.action === 'demote' || (req.action === 'monitor' && req.intervalMs === 0));
}
