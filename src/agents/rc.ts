/**
 * Exit codes: the OCF ones, the LSB ones, and turning a finished process into an agent result.
 */
import { OcfRc, OpStatus } from '../model/index.js';
import type { ProcessOutcome } from '../executor/process.js';
import type { AgentResult } from './types.js';

export const OCF_RC_NAMES: Record<number, string> = {
  0: 'success', 1: 'generic error', 2: 'invalid parameter', 3: 'unimplemented feature',
  4: 'insufficient privileges', 5: 'not installed', 6: 'not configured', 7: 'not running',
  8: 'running promoted', 9: 'failed promoted',
};

export function describeRc(rc: number): string {
  return OCF_RC_NAMES[rc] ?? `unknown exit code ${rc}`;
}

/** Prefix OCF agents put before their exit reason on stderr (ocf_exit_reason). */
export const EXIT_REASON_PREFIX = 'ocf-exit-reason:';

/** The last `ocf-exit-reason:` line of an agent's stderr, if any. */
export function exitReasonFrom(stderr: string): string | undefined {
  let reason: string | undefined;
  for (const line of stderr.split('\n')) {
    const at = line.indexOf(EXIT_REASON_PREFIX);
    if (at >= 0) reason = line.slice(at + EXIT_REASON_PREFIX.length).trim();
  }
  return reason || undefined;
}

/**
 * A process that did not end normally: timed out, aborted, killed by a signal, or never started.
 * Returns undefined when the process exited with a code (the class then maps that code).
 */
export function abnormalEnd(p: ProcessOutcome, what: string): AgentResult | undefined {
  const io = { stdout: p.stdout, stderr: p.stderr };
  if (p.timedOut) return { rc: OcfRc.Error, status: OpStatus.Timeout, exitReason: `${what} timed out`, ...io };
  if (p.aborted) return { rc: OcfRc.Error, status: OpStatus.Cancelled, exitReason: `${what} was cancelled`, ...io };
  if (p.spawnError) {
    const code = p.spawnError.code;
    if (code === 'ENOENT') return { rc: OcfRc.NotInstalled, status: OpStatus.NotInstalled, exitReason: `${what}: not found`, ...io };
    if (code === 'EACCES') return { rc: OcfRc.InsufficientPriv, status: OpStatus.Error, exitReason: `${what}: permission denied`, ...io };
    return { rc: OcfRc.Error, status: OpStatus.Error, exitReason: `${what}: ${p.spawnError.message}`, ...io };
  }
  if (p.exitCode === null) {
    return { rc: OcfRc.Error, status: OpStatus.Error, exitReason: `${what} killed by ${p.signal ?? 'a signal'}`, ...io };
  }
  return undefined;
}

/** An OCF exit code as the agent returned it; codes outside 0..9 become generic errors. */
export function ocfResult(p: ProcessOutcome, what: string): AgentResult {
  const bad = abnormalEnd(p, what);
  if (bad) return bad;
  const code = p.exitCode!;
  const reason = exitReasonFrom(p.stderr);
  if (code >= 0 && code <= 9) {
    return { rc: code, status: OpStatus.Done, exitReason: reason, stdout: p.stdout, stderr: p.stderr };
  }
  return {
    rc: OcfRc.Error, status: OpStatus.Done,
    exitReason: reason ?? `${what} exited with code ${code}, outside the OCF range`,
    stdout: p.stdout, stderr: p.stderr,
  };
}

/**
 * LSB init script exit codes → OCF. `status` has its own table (LSB 4.1 §20.2): 0 running,
 * 1 dead with pidfile, 2 dead with lockfile, 3 not running, 4 unknown. Other actions share the
 * first eight codes with OCF (0 ok, 1 generic, 2 bad args, 3 unimplemented, 4 privileges,
 * 5 not installed, 6 not configured, 7 not running).
 */
export function lsbToOcf(action: string, code: number): number {
  if (action === 'status' || action === 'monitor') {
    if (code === 0) return OcfRc.Success;
    if (code === 1 || code === 2 || code === 3) return OcfRc.NotRunning;
    return OcfRc.Error;
  }
  if (code >= 0 && code <= 7) return code;
  return OcfRc.Error;
}
