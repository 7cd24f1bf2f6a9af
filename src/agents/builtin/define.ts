/**
 * The frame of a built-in agent: meta-data, parameter defaults and checks, `validate-all`, and
 * "unimplemented" for actions it does not have, so each agent only writes its actions.
 */
import { OcfRc, OpStatus } from '../../model/index.js';
import { checkParameters, renderMetadata, withDefaults, type AgentMetadata } from '../metadata.js';
import type { AgentContext, AgentDriver, AgentRequest, AgentResult } from '../types.js';

export interface BuiltinCall {
  req: AgentRequest;
  ctx: AgentContext;
  /** Parameters with meta-data defaults filled in. */
  params: Record<string, string>;
}

export type BuiltinAction = (call: BuiltinCall) => Promise<AgentResult>;

export interface BuiltinAgent {
  metadata(settings: AgentContext['settings']): AgentMetadata;
  actions: Record<string, BuiltinAction>;
  /** Checks beyond what meta-data can express; returns problems (empty when valid). */
  validate?(call: BuiltinCall): Promise<string[]>;
}

export function ok(stdout = ''): AgentResult {
  return { rc: OcfRc.Success, status: OpStatus.Done, stdout, stderr: '' };
}

export function rc(code: number, exitReason?: string, stdout = '', stderr = ''): AgentResult {
  return { rc: code, status: OpStatus.Done, exitReason, stdout, stderr };
}

/** Sleep that ends early (rejecting) when the operation is aborted. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(new Error('aborted')); return; }
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(new Error('aborted')); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on|y)$/i.test(v);
}

export function builtinDriver(agent: BuiltinAgent): AgentDriver {
  return {
    async installed() {
      return { ok: true };
    },
    async run(req, ctx) {
      const meta = agent.metadata(ctx.settings);
      if (req.action === 'meta-data') return ok(renderMetadata(meta));
      const params = withDefaults(meta, req.params);
      // Defaults may name per-resource files; `$resource` stands for a file-safe resource id.
      const safeId = req.resource.replace(/[^A-Za-z0-9_.:-]/g, '_');
      for (const p of meta.parameters) {
        if (req.params[p.name] === undefined && params[p.name] !== undefined) params[p.name] = params[p.name].replaceAll('$resource', safeId);
      }
      const call: BuiltinCall = { req, ctx, params };
      const problems = [...checkParameters(meta, req.params), ...(agent.validate ? await agent.validate(call) : [])];
      if (req.action === 'validate-all') {
        return problems.length === 0 ? ok() : rc(OcfRc.NotConfigured, problems.join('; '));
      }
      const action = agent.actions[req.action];
      if (!action) return { rc: OcfRc.Unimplemented, status: OpStatus.NotSupported, exitReason: `${meta.name} has no ${req.action} action`, stdout: '', stderr: '' };
      // Bad configuration makes start fail as "not configured"; stop and monitor still run
      // (a probe must be able to say "stopped" even for a resource configured wrongly).
      if (problems.length > 0 && req.action !== 'stop' && req.action !== 'monitor') {
        return rc(OcfRc.NotConfigured, problems.join('; '));
      }
      return action(call);
    },
  };
}
