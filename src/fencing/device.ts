/**
 * A fence device as configured (a `stonith:fence_xxx` primitive) turned into fence-agent calls,
 * with Pacemaker's device parameters: pcmk_host_map / pcmk_host_list / pcmk_host_check say which
 * nodes a device can fence and under which port name; pcmk_host_argument names the parameter that
 * carries it; pcmk_<action>_action and pcmk_<action>_timeout rename and time actions;
 * pcmk_delay_base / pcmk_delay_max delay fencing (so two nodes do not shoot each other at once).
 * Everything that does not start with `pcmk_` is handed to the agent.
 */
import { parseDuration, type Attributes, type Primitive } from '../model/index.js';
import type { FenceAction, FenceRequest, FenceResult, FenceRunner } from './agent.js';

export interface FenceDevice {
  id: string;
  /** The fence agent: `fence_xxx` or an absolute path. */
  agent: string;
  params: Attributes;
}

export function deviceFromPrimitive(p: Primitive): FenceDevice {
  return { id: p.id, agent: p.agent.type, params: { ...p.params } };
}

/** `node1:port1;node2:port2` (also `=`, and entries separated by spaces or commas). */
export function parseHostMap(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!text) return out;
  for (const entry of text.split(/[;,\s]+/)) {
    const m = /^([^:=]+)[:=](.*)$/.exec(entry.trim());
    if (m && m[1] !== '') out.set(m[1], m[2]);
  }
  return out;
}

export function parseHostList(text: string | undefined): string[] {
  return (text ?? '').split(/[;,\s]+/).filter((s) => s !== '');
}

/** The port name of a node on this device (pcmk_host_map), else the node name itself. */
export function portFor(device: FenceDevice, node: string): string {
  return parseHostMap(device.params.pcmk_host_map).get(node) ?? node;
}

/** How this device decides whether it can fence a node (Pacemaker's defaults). */
export function hostCheck(device: FenceDevice): 'static-list' | 'dynamic-list' | 'status' | 'none' {
  const c = device.params.pcmk_host_check;
  if (c === 'static-list' || c === 'dynamic-list' || c === 'status' || c === 'none') return c;
  return device.params.pcmk_host_list || device.params.pcmk_host_map ? 'static-list' : 'dynamic-list';
}

/** The agent parameters: everything that is not Pacemaker's own `pcmk_*`. */
export function agentParams(device: FenceDevice): Attributes {
  return Object.fromEntries(Object.entries(device.params).filter(([k]) => !k.startsWith('pcmk_')));
}

/** The agent call for an action on a node, with the device's renaming and timeout applied. */
export function fenceRequest(device: FenceDevice, action: FenceAction, node?: string, defaultTimeoutMs = 60_000): FenceRequest {
  const renamed = device.params[`pcmk_${action}_action`] as FenceAction | undefined;
  const timeout = device.params[`pcmk_${action}_timeout`] ?? device.params.pcmk_timeout;
  const timeoutMs = (timeout !== undefined ? parseDuration(timeout) : undefined) ?? defaultTimeoutMs;
  return {
    agent: device.agent,
    action: renamed ?? action,
    target: node === undefined ? undefined : portFor(device, node),
    params: agentParams(device),
    hostArgument: device.params.pcmk_host_argument ?? 'port',
    timeoutMs,
  };
}

/** Whether this device can fence `node`, asking the device itself when configured to. */
export async function canFence(device: FenceDevice, node: string, runner: FenceRunner): Promise<boolean> {
  switch (hostCheck(device)) {
    case 'none':
      return true;
    case 'static-list':
      return parseHostMap(device.params.pcmk_host_map).has(node) || parseHostList(device.params.pcmk_host_list).includes(node);
    case 'dynamic-list': {
      const r = await runner.run(fenceRequest(device, 'list'));
      const port = portFor(device, node);
      return r.ok && (r.outlets ?? []).some((o) => o.plug === port || o.alias === port || o.plug === node || o.alias === node);
    }
    case 'status': {
      const r = await runner.run(fenceRequest(device, 'status', node));
      return r.ok;
    }
  }
}

/**
 * The delay before fencing `node` with this device: pcmk_delay_base (a duration, or a map of
 * node:duration) plus a random part up to pcmk_delay_max. `random` is a number in [0, 1).
 */
export function fenceDelayMs(device: FenceDevice, node: string, random: number): number {
  const baseText = device.params.pcmk_delay_base;
  let base = 0;
  if (baseText) {
    const perNode = parseHostMap(baseText);
    base = parseDuration(perNode.size > 0 ? (perNode.get(node) ?? '0') : baseText) ?? 0;
  }
  const max = device.params.pcmk_delay_max ? parseDuration(device.params.pcmk_delay_max) ?? 0 : 0;
  const spread = Math.max(0, max - base);
  return base + Math.floor(random * spread);
}

/** Fence a node with one device: off (or reboot), confirmed by status for off. */
export async function fenceWith(device: FenceDevice, node: string, runner: FenceRunner, action: 'off' | 'reboot' = 'off'): Promise<FenceResult> {
  const req = fenceRequest(device, action, node);
  if (action === 'off' && req.action === 'off') return runner.fenceOff(req);
  return runner.run(req);
}
