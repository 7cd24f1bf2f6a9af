/**
 * From the configured model to an executor request: which operation definition applies, its
 * timeout (operation, then op_defaults, then 20 s as in Pacemaker), and the meta attributes the
 * agent sees (the resource's own, the operation's, and what the caller adds for clones/notify).
 */
import { isIPv6 } from 'node:net';
import { parseDuration, type Attributes, type OperationConfig, type Primitive } from '../model/index.js';
import type { OperationRequest } from './executor.js';

export const DEFAULT_OPERATION_TIMEOUT_MS = 20_000;

export interface RequestOptions {
  /** Interval of the operation (recurring monitor); 0 for one-off operations and probes. */
  intervalMs?: number;
  /** Instance id for clone instances (`web:2`); default the primitive's id. */
  instance?: string;
  /** Cluster-wide op_defaults (timeout, ...). */
  opDefaults?: Attributes;
  /** Extra meta for the agent: clone_max, clone_node_max, notify_*, on_node, ... */
  meta?: Attributes;
  /** Role this operation applies to, to pick between monitors of the same interval. */
  role?: OperationConfig['role'];
  userData?: string;
}

/** The configured operation for an action and interval (a probe uses the monitor's settings). */
export function findOperation(p: Primitive, action: string, intervalMs: number, role?: OperationConfig['role']): OperationConfig | undefined {
  const same = p.operations.filter((o) => o.name === action && o.intervalMs === intervalMs);
  const match = same.find((o) => o.role === role) ?? same[0];
  if (match || action !== 'monitor' || intervalMs !== 0) return match;
  // A probe without its own definition borrows the timeout of the first monitor (as Pacemaker does).
  return p.operations.find((o) => o.name === 'monitor');
}

export function requestFor(p: Primitive, action: string, opts: RequestOptions = {}): OperationRequest {
  const intervalMs = opts.intervalMs ?? 0;
  const op = findOperation(p, action, intervalMs, opts.role);
  const defaultTimeout = opts.opDefaults?.timeout !== undefined ? parseDuration(opts.opDefaults.timeout) : undefined;
  const timeoutMs = op?.timeoutMs ?? defaultTimeout ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const meta: Attributes = { ...p.meta, ...(op?.meta ?? {}), ...(opts.meta ?? {}) };
  return {
    resource: opts.instance ?? p.id,
    agent: p.agent,
    action,
    params: { ...p.params },
    meta,
    timeoutMs,
    intervalMs,
    userData: opts.userData,
  };
}

/**
 * The operation that announces a virtual IP held here again (gratuitous ARP), for a resource
 * given by any request of it (the kept stop request will do); undefined for resources that hold
 * no address. Used after a partition heals, so that clients and switches stop sending to the
 * node that gave the address up.
 *   builtin:vip            its `announce` action.
 *   ocf:heartbeat:IPaddr2  it has no such action, but its monitor sends `arp_count_refresh`
 *                          unsolicited ARPs (its own remedy for caches stuck by a split brain;
 *                          IPv4 only): one monitor with it set to the resource's `arp_count`
 *                          (default 5), through the agent's own ARP sender and parameters.
 *   IPaddr2 for IPv6, IPaddr  builtin:vip's `announce` with the same ip, nic and cidr_netmask
 *                          (it announces only an address configured here).
 */
export function announceRequest(req: OperationRequest): OperationRequest | undefined {
  const a = req.agent;
  const params = req.params ?? {};
  const base = { resource: req.resource, agent: a, params, ...(req.meta ? { meta: req.meta } : {}), intervalMs: 0, timeoutMs: 20_000 };
  if (a.class === 'builtin' && a.type === 'vip') return { ...base, action: 'announce' };
  const heartbeatIp = a.class === 'ocf' && a.provider === 'heartbeat' && (a.type === 'IPaddr2' || a.type === 'IPaddr');
  if (!heartbeatIp) return undefined;
  if (a.type === 'IPaddr2' && !isIPv6(params.ip ?? '')) {
    return { ...base, action: 'monitor', params: { ...params, arp_count_refresh: params.arp_count ?? '5' } };
  }
  const keep = ['ip', 'nic', 'cidr_netmask', 'arp_count'].filter((k) => params[k] !== undefined);
  return { ...base, agent: { class: 'builtin', type: 'vip' }, action: 'announce', params: Object.fromEntries(keep.map((k) => [k, params[k]])) };
}
