import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HardwareWatchdog } from '../../src/daemon/hw-watchdog.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// A plain file stands in for /dev/watchdog: what is written to it is what the kernel would see.
test('hardware watchdog: pets while healthy, stops before a deadline and after a self-fence, magic close on stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-wd-'));
  const dev = join(dir, 'watchdog');
  try {
    const wd = new HardwareWatchdog(dev, pino({ level: 'silent' }), 20);
    wd.start();
    await sleep(120);
    const healthy = readFileSync(dev).length;
    assert.ok(healthy >= 3, `petted ${healthy} times`);
    wd.setDeadline(Date.now() + 30);
    await sleep(120);
    const atDeadline = readFileSync(dev).length;
    await sleep(100);
    assert.equal(readFileSync(dev).length, atDeadline, 'no pets once the deadline is near');
    wd.setDeadline(null);
    await sleep(80);
    assert.ok(readFileSync(dev).length > atDeadline, 'pets again when the deadline is lifted');
    wd.fence('test');
    const fenced = readFileSync(dev).length;
    await sleep(100);
    assert.equal(readFileSync(dev).length, fenced, 'no pets after a self-fence');
    wd.stop();
    assert.equal(readFileSync(dev, 'utf8').slice(-1), 'V', 'magic close');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
