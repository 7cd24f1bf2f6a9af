/**
 * OCF resource agents: `$OCF_ROOT/resource.d/<provider>/<type> <action>`, configured through the
 * environment (OCF resource agent API 1.1), answering with the OCF exit codes.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ocfResult } from './rc.js';
import type { AgentContext, AgentDriver, AgentRequest, AgentResult, AgentSettings } from './types.js';

/** A provider or type name that is safe to put into a path (no separators, no dot-dirs). */
export function safeName(s: string | undefined): boolean {
  return s !== undefined && /^[A-Za-z0-9_.+-]+$/.test(s) && s !== '.' && s !== '..';
}

export function ocfAgentPath(settings: AgentSettings, provider: string, type: string): string {
  return join(settings.ocfRoot, 'resource.d', provider, type);
}

/** Meta attribute names reach agents with dashes turned into underscores (clone-max → clone_max). */
function metaKey(name: string): string {
  return name.replace(/-/g, '_');
}

/** The environment of one OCF call. */
export function ocfEnvironment(req: AgentRequest, settings: AgentSettings): Record<string, string> {
  const env: Record<string, string> = {
    ...settings.baseEnv,
    OCF_ROOT: settings.ocfRoot,
    OCF_FUNCTIONS_DIR: join(settings.ocfRoot, 'lib', 'heartbeat'),
    OCF_RA_VERSION_MAJOR: '1',
    OCF_RA_VERSION_MINOR: '1',
    OCF_RESOURCE_INSTANCE: req.resource,
    OCF_RESOURCE_TYPE: req.agent.type,
    OCF_RESOURCE_PROVIDER: req.agent.provider ?? 'heartbeat',
    OCF_EXIT_REASON_PREFIX: 'ocf-exit-reason:',
    HA_RSCTMP: settings.rscTmpDir,
    // Without a log facility the shell functions write their log lines to stderr, which we keep.
    HA_LOGFACILITY: 'none',
    HA_LOGD: 'no',
    HA_debug: '0',
  };
  for (const [k, v] of Object.entries(req.params)) env[`OCF_RESKEY_${k}`] = v;
  for (const [k, v] of Object.entries(req.meta)) env[`OCF_RESKEY_CRM_meta_${metaKey(k)}`] = v;
  // Pacemaker names the operation in CRM_meta_name; some agents log or branch on it.
  env.OCF_RESKEY_CRM_meta_name ??= req.action;
  env.OCF_RESKEY_CRM_meta_timeout = String(req.timeoutMs);
  env.OCF_RESKEY_CRM_meta_interval = String(req.intervalMs);
  if (settings.nodeName !== undefined && env.OCF_RESKEY_CRM_meta_on_node === undefined) {
    env.OCF_RESKEY_CRM_meta_on_node = settings.nodeName;
  }
  const depth = req.meta.OCF_CHECK_LEVEL ?? req.params.OCF_CHECK_LEVEL;
  if (depth !== undefined) env.OCF_CHECK_LEVEL = depth;
  return env;
}

/** HA_RSCTMP directories already created by this process (one mkdir per directory, not per call). */
const madeDirs = new Set<string>();

export const ocfDriver: AgentDriver = {
  async installed(req, ctx) {
    const { provider = 'heartbeat', type } = req.agent;
    if (!safeName(provider) || !safeName(type)) return { ok: false, reason: `invalid OCF agent name ${provider}:${type}` };
    const path = ocfAgentPath(ctx.settings, provider, type);
    try {
      await access(path, constants.X_OK);
      return { ok: true };
    } catch {
      return { ok: false, reason: `${path} is not an executable file` };
    }
  },

  async run(req: AgentRequest, ctx: AgentContext): Promise<AgentResult> {
    const { provider = 'heartbeat', type } = req.agent;
    const path = ocfAgentPath(ctx.settings, provider, type);
    // Agents expect HA_RSCTMP to exist (it is a tmpfs directory created at boot on real nodes).
    if (!madeDirs.has(ctx.settings.rscTmpDir)) {
      await mkdir(ctx.settings.rscTmpDir, { recursive: true }).catch(() => undefined);
      madeDirs.add(ctx.settings.rscTmpDir);
    }
    const outcome = await ctx.run([path, req.action], { env: ocfEnvironment(req, ctx.settings) });
    return ocfResult(outcome, `ocf:${provider}:${type} ${req.action}`);
  },
};
