/**
 * `service:<name>`: Pacemaker's "whichever the system uses" class. With systemd running and a
 * unit of that name loaded, the unit; otherwise the LSB init script.
 */
import { lsbDriver } from './lsb.js';
import { systemdDriver, systemdRunning } from './systemd.js';
import type { AgentContext, AgentDriver, AgentRequest } from './types.js';

async function pick(req: AgentRequest, ctx: AgentContext): Promise<AgentDriver> {
  if (await systemdRunning()) {
    const unit = await systemdDriver.installed(req, ctx);
    if (unit.ok) return systemdDriver;
  }
  return lsbDriver;
}

export const serviceDriver: AgentDriver = {
  async installed(req, ctx) {
    return (await pick(req, ctx)).installed(req, ctx);
  },
  async run(req, ctx) {
    return (await pick(req, ctx)).run(req, ctx);
  },
};
