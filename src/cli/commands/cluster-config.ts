/**
 * `vigil config show` (the running cluster's configuration as vigil.yaml) and
 * `vigil config apply FILE` (validate, show the plan of what changes, apply through the DC).
 * The options are declared in index.ts.
 */
import { daemonCall, type ConfigPlan } from '../../api/index.js';
import { formatWarning, loadClusterConfig } from '../../config/index.js';

/** `vigil config show` */
export async function show(o: { runtimeDir?: string; config?: string; json?: boolean }): Promise<void> {
  const r = await daemonCall<{ yaml: string; config: unknown }>(o, { op: 'config-show' });
  process.stdout.write(o.json ? `${JSON.stringify(r.config, null, 2)}\n` : r.yaml);
}

/** `vigil config apply FILE` */
export async function apply(file: string, o: { dryRun?: boolean; runtimeDir?: string; config?: string }): Promise<void> {
  const loaded = await loadClusterConfig(file);
  for (const w of loaded.warnings) process.stderr.write(`vigil: ${formatWarning(w)}\n`);
  const plan = await daemonCall<ConfigPlan>(o, { op: 'config-apply', config: loaded.config, dryRun: true });
  if (plan.changes.length === 0) { process.stdout.write('no changes\n'); return; }
  process.stdout.write(`plan:\n${plan.changes.map((c) => `  ${c}`).join('\n')}\n`);
  if (plan.actions) process.stdout.write(`then the cluster would:\n${(plan.actions.length ? plan.actions : ['change nothing that runs']).map((a) => `  ${a}`).join('\n')}\n`);
  if (o.dryRun) return;
  const done = await daemonCall<ConfigPlan>(o, { op: 'config-apply', config: loaded.config }, 60_000);
  process.stdout.write(done.applied ? 'applied\n' : 'not applied\n');
}
