/**
 * The engine's clock: CLOCK_MONOTONIC in milliseconds (process.hrtime). Unlike performance.now()
 * it is not relative to the process start, so timestamps from different processes on one machine
 * are comparable (benchmarks and tests line up events from several engines with it). It never
 * jumps with NTP or the wall clock.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}
