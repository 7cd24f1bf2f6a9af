/**
 * A hardware watchdog (/dev/watchdog), used only when the operator names the device
 * (`vigil start --watchdog-device /dev/watchdog`): opening it arms a timer in the kernel that
 * resets the machine unless something is written to it in time. vigild writes while it is
 * healthy and, with a self-fencing deadline, only until shortly before that deadline; a clean
 * shutdown writes the magic 'V' first so that closing the device disarms it.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';

export class HardwareWatchdog {
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deadline: number | null = null;
  private fenced = false;

  constructor(private readonly device: string, private readonly log: Logger, private readonly intervalMs = 1000) {}

  /** Open (arm) the device and start petting it. */
  start(): void {
    this.fd = openSync(this.device, 'w');
    this.log.info({ device: this.device }, 'hardware watchdog armed');
    this.timer = setInterval(() => this.pet(), this.intervalMs);
    this.pet();
  }

  /** The node controller's deadline (epoch ms) by which this node must be dead, or null. */
  setDeadline(deadline: number | null): void {
    this.deadline = deadline;
  }

  /** Stop petting for good: the machine resets when the device's timeout runs out. */
  fence(reason: string): void {
    this.fenced = true;
    this.log.fatal({ reason }, 'no more watchdog pets: the machine resets');
  }

  /** Disarm (clean shutdown): the magic close. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.fd === undefined) return;
    try { writeSync(this.fd, 'V'); } catch { /* the device may not support magic close */ }
    closeSync(this.fd);
    this.fd = undefined;
  }

  private pet(): void {
    if (this.fd === undefined || this.fenced) return;
    // Stop a little before the deadline so that the reset comes by then at the latest.
    if (this.deadline !== null && Date.now() + 2 * this.intervalMs >= this.deadline) return;
    try { writeSync(this.fd, '\0'); } catch (e) { this.log.error({ err: (e as Error).message }, 'watchdog write failed'); }
  }
}
