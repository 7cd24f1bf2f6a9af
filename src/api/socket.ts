/**
 * The local API socket: a unix socket, mode 0600, one JSON request per line, one JSON response
 * per line. The server side runs in `vigild`; the client side is what the `vigil` CLI uses.
 */
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { ApiErrorCode, ApiRequest, ApiResponse } from './protocol.js';

export const SOCKET_NAME = 'vigild.sock';
/** A request line longer than this is refused (a whole configuration fits easily). */
const MAX_LINE = 8 * 1024 * 1024;

export function socketPath(runtimeDir: string): string {
  return join(runtimeDir, SOCKET_NAME);
}

export type ApiHandler = (req: ApiRequest) => Promise<unknown>;

function errorCode(e: unknown): ApiErrorCode {
  const c = (e as { code?: unknown }).code;
  return c === 'input' || c === 'unavailable' ? c : 'failed';
}

/** Serve the API on `path`; a stale socket file from a dead daemon is replaced. */
export async function serveApi(path: string, handler: ApiHandler): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) {
    // Only replace it when nobody answers there: two daemons must not share one socket.
    const alive = await new Promise<boolean>((resolve) => {
      const s = createConnection(path);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (alive) throw new Error(`another vigild is already serving ${path}`);
    rmSync(path, { force: true });
  }
  const server = createServer((sock) => onConnection(sock, handler));
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  return server;
}

function onConnection(sock: Socket, handler: ApiHandler): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', () => undefined);
  sock.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE) {
      sock.end(`${JSON.stringify({ ok: false, error: 'request too large', code: 'input' })}\n`);
      return;
    }
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() !== '') void answer(sock, line, handler);
    }
  });
}

async function answer(sock: Socket, line: string, handler: ApiHandler): Promise<void> {
  let req: (ApiRequest & { id?: unknown }) | undefined;
  let res: ApiResponse;
  try {
    req = JSON.parse(line) as ApiRequest & { id?: unknown };
    if (!req || typeof req !== 'object' || typeof req.op !== 'string') throw Object.assign(new Error('a request is a JSON object with an "op"'), { code: 'input' });
    res = { id: req.id, ok: true, result: await handler(req) };
  } catch (e) {
    const msg = e instanceof SyntaxError ? 'request is not JSON' : (e as Error).message;
    res = { id: req?.id, ok: false, error: msg, code: e instanceof SyntaxError ? 'input' : errorCode(e) };
  }
  if (!sock.destroyed) sock.write(`${JSON.stringify(res)}\n`);
}

/** Raised by the client when the daemon answered with an error. */
export class ApiCallError extends Error {
  constructor(message: string, readonly code: ApiErrorCode) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/** One request to the daemon at `path`; rejects when it is not running or answers with an error. */
export function callApi<T = unknown>(path: string, req: ApiRequest, timeoutMs = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new ApiCallError(`no answer from vigild within ${timeoutMs} ms`, 'unavailable')); }, timeoutMs);
    sock.setEncoding('utf8');
    sock.once('connect', () => sock.write(`${JSON.stringify({ id: 1, ...req })}\n`));
    sock.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        const r = JSON.parse(buf.slice(0, nl)) as ApiResponse;
        if (r.ok) resolve(r.result as T);
        else reject(new ApiCallError(r.error, r.code));
      } catch {
        reject(new ApiCallError('vigild answered with something that is not JSON', 'failed'));
      }
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `vigild is not running (no socket at ${path})` : `cannot reach vigild at ${path}: ${e.message}`;
      reject(new ApiCallError(why, 'unavailable'));
    });
  });
}
