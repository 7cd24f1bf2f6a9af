/**
 * The peer channel: daemon-to-daemon requests that are not part of the replicated log — the DC
 * asking a node to run an operation and getting its result back, a node telling the DC that a
 * recurring monitor failed, an admin request forwarded to the DC.
 *
 * Why not through the log: only the DC may append, so a node could not report a result through
 * it; and an operation result is recorded in the log by the DC anyway, once.
 *
 * HTTP over TCP on each link address (the link's port number, TCP). Every request and response
 * carries an HMAC-SHA256 over sender, time, nonce and body with the cluster key; requests older
 * than 30 s or with a nonce seen before are refused, so a recorded request cannot be replayed.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ClusterKeys } from '../transport/index.js';

export interface PeerAddress { node: string; addresses: string[]; port: number }

export type PeerHandler = (from: string, method: string, body: unknown) => Promise<unknown>;

const MAX_BODY = 8 * 1024 * 1024;
const MAX_SKEW_MS = 30_000;

function mac(keys: ClusterKeys, parts: string[]): string {
  const h = createHmac('sha256', keys.hmacKey);
  for (const p of parts) { h.update(p); h.update('\0'); }
  return h.digest('hex');
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export class PeerError extends Error {
  /** The call went to another of the node's addresses first and got no answer there. */
  earlierUnanswered = false;

  constructor(message: string, readonly remoteCode?: string) {
    super(message);
    this.name = 'PeerError';
  }

  /**
   * The node answered that it would not act on the request (`unavailable`: not now, not from this
   * sender), or it reached a different node: nothing was done. Any other failure — no answer, a
   * broken connection, a failure while acting, a refusal after an unanswered attempt on another
   * address — leaves open whether the request took effect.
   */
  get refused(): boolean {
    return !this.earlierUnanswered && (this.remoteCode === 'unavailable' || this.remoteCode === 'wrong-node');
  }

  /** The API error code a forwarded request keeps (an input error on the DC is one here too). */
  get code(): string {
    return this.remoteCode === 'input' || this.remoteCode === 'unavailable' ? this.remoteCode : 'failed';
  }
}

export class PeerChannel {
  private servers: Server[] = [];
  private readonly seen = new Map<string, number>();
  readonly counters = { accepted: 0, forged: 0, stale: 0, replayed: 0, malformed: 0 };

  constructor(
    private readonly self: string,
    private readonly cluster: string,
    private readonly keys: ClusterKeys,
    private readonly peers: PeerAddress[],
    private readonly log: Logger,
  ) {}

  /** Listen on this node's own addresses (one per link); none known (Heartbeat ucast): on all. */
  async listen(addresses: string[], port: number, handler: PeerHandler): Promise<void> {
    for (const addr of addresses.length > 0 ? addresses : ['0.0.0.0']) {
      const server = createServer((req, res) => void this.serve(req, res, handler));
      server.keepAliveTimeout = 5000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, addr, () => { server.off('error', reject); resolve(); });
      });
      this.servers.push(server);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
    this.servers = [];
  }

  /** Call `method` on `node`, trying its link addresses in turn. */
  async call<T = unknown>(node: string, method: string, body: unknown, timeoutMs = 30_000): Promise<T> {
    const peer = this.peers.find((p) => p.node === node);
    if (!peer) throw new PeerError(`unknown peer ${node}`);
    let last: Error = new PeerError(`no address for ${node}`);
    // An attempt that got no answer may have arrived: a later refusal does not undo that.
    let unanswered = false;
    for (const address of peer.addresses) {
      try {
        return await this.callAt<T>(node, address, peer.port, method, body, timeoutMs);
      } catch (e) {
        last = e as Error;
        if (unanswered && e instanceof PeerError) e.earlierUnanswered = true;
        // It answered: do not retry elsewhere, unless the address belonged to another node.
        if (e instanceof PeerError && e.remoteCode !== undefined && e.remoteCode !== 'wrong-node') throw e;
        if (!(e instanceof PeerError && e.remoteCode !== undefined)) unanswered = true;
      }
    }
    throw last;
  }

  private callAt<T>(to: string, address: string, port: number, method: string, body: unknown, timeoutMs: number): Promise<T> {
    const text = JSON.stringify(body ?? null);
    const time = String(Date.now());
    const nonce = randomBytes(12).toString('hex');
    const sig = mac(this.keys, [this.cluster, this.self, to, method, time, nonce, text]);
    return new Promise<T>((resolve, reject) => {
      const req = httpRequest({
        // The signal bounds the whole call, connecting included: a request must never arrive late
        // (a stale order delivered after a partition heals would act on a changed situation).
        host: address, port, method: 'POST', path: `/${method}`, timeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs),
        headers: { 'content-type': 'application/json', 'x-vigil-node': this.self, 'x-vigil-to': to, 'x-vigil-time': time, 'x-vigil-nonce': nonce, 'x-vigil-mac': sig },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out = Buffer.concat(chunks).toString('utf8');
          const rmac = String(res.headers['x-vigil-mac'] ?? '');
          if (!sameMac(rmac, mac(this.keys, [this.cluster, 'response', nonce, String(res.statusCode), out]))) {
            reject(new PeerError(`unauthenticated answer from ${address}`));
            return;
          }
          let parsed: { ok: boolean; result?: unknown; error?: string; code?: string };
          try { parsed = JSON.parse(out) as typeof parsed; } catch { reject(new PeerError(`malformed answer from ${address}`)); return; }
          if (parsed.ok) resolve(parsed.result as T);
          else reject(new PeerError(parsed.error ?? 'failed', parsed.code ?? 'failed'));
        });
      });
      const late = (): PeerError => new PeerError(`${method} to ${address}: no answer within ${timeoutMs} ms`);
      req.on('timeout', () => req.destroy(late()));
      req.on('error', (e) => reject(e instanceof PeerError ? e : e.name === 'AbortError' ? late() : new PeerError(`${method} to ${address}: ${e.message}`)));
      req.end(text);
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse, handler: PeerHandler): Promise<void> {
    const nonce = String(req.headers['x-vigil-nonce'] ?? '');
    const reply = (status: number, obj: unknown): void => {
      const text = JSON.stringify(obj);
      res.writeHead(status, { 'content-type': 'application/json', 'x-vigil-mac': mac(this.keys, [this.cluster, 'response', nonce, String(status), text]) });
      res.end(text);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) { this.counters.malformed++; req.destroy(); return; }
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const from = String(req.headers['x-vigil-node'] ?? '');
    const to = String(req.headers['x-vigil-to'] ?? '');
    const time = String(req.headers['x-vigil-time'] ?? '');
    const method = (req.url ?? '/').slice(1);
    const expected = mac(this.keys, [this.cluster, from, to, method, time, nonce, text]);
    if (!sameMac(String(req.headers['x-vigil-mac'] ?? ''), expected) || !this.peers.some((p) => p.node === from)) {
      this.counters.forged++;
      this.log.warn({ from, remote: req.socket.remoteAddress }, 'peer request with a bad signature dropped');
      res.writeHead(403).end();
      return;
    }
    if (to !== this.self) { reply(200, { ok: false, error: `this is ${this.self}, not ${to}`, code: 'wrong-node' }); return; }
    const now = Date.now();
    if (!(Math.abs(now - Number(time)) <= MAX_SKEW_MS)) { this.counters.stale++; reply(400, { ok: false, error: 'stale request (clocks more than 30 s apart?)' }); return; }
    if (this.seen.has(nonce)) { this.counters.replayed++; reply(400, { ok: false, error: 'replayed request' }); return; }
    this.seen.set(nonce, now);
    if (this.seen.size > 10_000) for (const [n, t] of this.seen) if (now - t > 2 * MAX_SKEW_MS) this.seen.delete(n);
    let body: unknown;
    try { body = JSON.parse(text); } catch { this.counters.malformed++; reply(400, { ok: false, error: 'malformed body' }); return; }
    this.counters.accepted++;
    try {
      reply(200, { ok: true, result: await handler(from, method, body) });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      reply(200, { ok: false, error: (e as Error).message, code: typeof code === 'string' ? code : 'failed' });
    }
  }
}
