/**
 * The lab's HTTP client: GET http://HOST:PORT/ every INTERVAL ms (each request with its own
 * timeout, a new connection each time) and print one JSON line per probe:
 *   {"t": <CLOCK_MONOTONIC ms at send>, "ok": true, "host": "n2", "ms": 3}
 *   {"t": ..., "ok": false, "error": "ECONNREFUSED"}
 * It runs inside the client's network namespace; the test reads its stdout.
 *
 *   node prober.js 192.0.2.200 8080 20
 */
import { request } from 'node:http';

const [host = '127.0.0.1', portText = '8080', intervalText = '20', timeoutText = '200'] = process.argv.slice(2);
const port = Number(portText);
const interval = Number(intervalText);
const timeout = Number(timeoutText);

const mono = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

function probe(): void {
  const t = mono();
  let settled = false;
  const done = (line: Record<string, unknown>): void => {
    if (settled) return;
    settled = true;
    process.stdout.write(`${JSON.stringify({ t, ...line })}\n`);
  };
  const req = request({ host, port, path: '/', agent: false, timeout }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => { body += c; });
    res.on('end', () => done({ ok: res.statusCode === 200, host: body.trim(), ms: Math.round(mono() - t) }));
    res.on('error', (e) => done({ ok: false, error: e.message }));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? e.message }));
  req.end();
}

setInterval(probe, interval);
process.on('SIGTERM', () => process.exit(0));
process.stdout.on('error', () => process.exit(0));
