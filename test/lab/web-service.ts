/**
 * The lab's web service: answers every request with the name of the host it runs on. The host is
 * found from the addresses of the namespace it runs in (`--names 192.0.2.10=n1,...`), so one
 * resource definition serves every host. Listens on 0.0.0.0: only the host holding the virtual
 * IP receives the client's packets.
 *
 *   node web-service.js --port 8080 --names 192.0.2.10=n1,192.0.2.11=n2
 */
import { createServer } from 'node:http';
import { networkInterfaces } from 'node:os';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const port = Number(arg('port', '8080'));
const names = new Map(arg('names', '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));

function hostName(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const n = names.get(a.address);
      if (n) return n;
    }
  }
  return 'unknown';
}

const me = hostName();
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`${me}\n`);
});
server.listen(port, '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
