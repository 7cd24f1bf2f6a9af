/**
 * `vigil config show` (the running cluster's configuration as vigil.yaml) and
 * `vigil config apply FILE` (validate, show the plan of what changes, apply through the DC).
 * They join the `config` command that config.ts defines (validate, schema).
 */
import type { Command } from 'commander';
import { daemonCall, type ConfigPlan } from '../../api/index.js';
import { formatWarning, loadClusterConfig } from '../../config/index.js';

function configCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'config') ?? program.command('config').description('cluster configuration');
}

export function register(program: Command): void {
  const config = configCommand(program);
  config.command('show')
    .description('print the configuration the cluster runs now (as vigil.yaml)')
    .option('--runtime-dir <dir>', 'runtime directory of the local daemon')
    .option('--json', 'print the typed model as JSON instead')
    .action(async (o: { runtimeDir?: string; json?: boolean }) => {
      const r = await daemonCall<{ yaml: string; config: unknown }>(o, { op: 'config-show' });
      process.stdout.write(o.json ? `${JSON.stringify(r.config, null, 2)}\n` : r.yaml);
    });

  config.command('apply')
    .description('validate FILE, print what would change, and apply it through the DC')
    .argument('<file>', 'vigil.yaml (or CIB XML, or Heartbeat directory)')
    .option('--dry-run', 'only print the plan')
    .option('--runtime-dir <dir>', 'runtime directory of the local daemon')
    .action(async (file: string, o: { dryRun?: boolean; runtimeDir?: string }) => {
      const loaded = await loadClusterConfig(file);
      for (const w of loaded.warnings) process.stderr.write(`vigil: ${formatWarning(w)}\n`);
      const plan = await daemonCall<ConfigPlan>(o, { op: 'config-apply', config: loaded.config, dryRun: true });
      if (plan.changes.length === 0) { process.stdout.write('no changes\n'); return; }
      process.stdout.write(`plan:\n${plan.changes.map((c) => `  ${c}`).join('\n')}\n`);
      if (o.dryRun) return;
      const done = await daemonCall<ConfigPlan>(o, { op: 'config-apply', config: loaded.config }, 60_000);
      process.stdout.write(done.applied ? 'applied\n' : 'not applied\n');
    });
}
