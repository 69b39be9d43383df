/**
 * The management listener: JSON-RPC 2.0 over HTTP POST (any path; Kamailio's jsonrpcs uses
 * /RPC) and Prometheus text at GET /metrics. Commands are registered by the composition root
 * under Kamailio's names (core.version, ul.dump…). Bound to loopback by default; elsewhere a
 * bearer token is required (checked by the caller's config, enforced here when set).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/** Positional (kamcmd style) or named parameters. */
export type RpcParams = readonly unknown[] | Readonly<Record<string, unknown>>;
export type RpcMethod = (params: RpcParams) => unknown;

/** An error a method throws to answer with a JSON-RPC error object. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export const RPC_PARSE_ERROR = -32700;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_INTERNAL_ERROR = -32603;

export interface MgmtServerOptions {
  readonly host: string;
  readonly port: number;
  /** Required as `Authorization: Bearer <token>` on every request when set. */
  readonly token?: string | null;
  readonly methods: ReadonlyMap<string, RpcMethod>;
  /** GET /metrics. */
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
  readonly log?: (level: 'info' | 'warn', fields: Record<string, unknown>, msg: string) => void;
}

export interface MgmtServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

/** Param `i` (positional) or `name` (named), or undefined. */
export function param(p: RpcParams, i: number, name: string): unknown {
  return Array.isArray(p) ? p[i] : (p as Record<string, unknown>)[name];
}

export function stringParam(p: RpcParams, i: number, name: string): string {
  const v = param(p, i, name);
  if (typeof v !== 'string' || v === '') {
    throw new RpcError(
      RPC_INVALID_PARAMS,
      `parameter ${i + 1} (${name}) must be a non-empty string`,
    );
  }
  return v;
}

export async function startMgmtServer(opts: MgmtServerOptions): Promise<MgmtServer> {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  const want = opts.token ? digest(`Bearer ${opts.token}`) : null;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log?.('warn', { err: (e as Error).message }, 'management request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (want && !timingSafeEqual(digest(req.headers.authorization ?? ''), want)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics' && opts.metrics) {
      const m = await opts.metrics();
      res.writeHead(200, { 'content-type': m.contentType }).end(m.body);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const body = await readBody(req);
    if (body === null) {
      res.writeHead(413).end();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return send(res, errorObj(null, RPC_PARSE_ERROR, 'Parse error'));
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0)
        return send(res, errorObj(null, RPC_INVALID_REQUEST, 'Invalid Request'));
      const out = (await Promise.all(parsed.map((r) => call(r)))).filter((r) => r !== null);
      if (out.length === 0) res.writeHead(204).end();
      else send(res, out);
      return;
    }
    const out = await call(parsed);
    if (out === null) res.writeHead(204).end();
    else send(res, out);
  }

  /** One request object → its response object, or null for a notification. */
  async function call(r: unknown): Promise<object | null> {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      return errorObj(null, RPC_INVALID_REQUEST, 'Invalid Request');
    }
    const req = r as Record<string, unknown>;
    const id = req['id'];
    const validId =
      id === undefined || id === null || typeof id === 'string' || typeof id === 'number';
    const params = req['params'] ?? [];
    if (
      req['jsonrpc'] !== '2.0' ||
      typeof req['method'] !== 'string' ||
      !validId ||
      typeof params !== 'object' ||
      params === null
    ) {
      return errorObj(validId ? (id ?? null) : null, RPC_INVALID_REQUEST, 'Invalid Request');
    }
    const isNotification = !('id' in req);
    const method = opts.methods.get(req['method']);
    let result: object;
    if (!method) {
      result = errorObj(id ?? null, RPC_METHOD_NOT_FOUND, `Method not found: ${req['method']}`);
    } else {
      try {
        const value = await method(params as RpcParams);
        result = { jsonrpc: '2.0', result: value ?? null, id: id ?? null };
      } catch (e) {
        if (e instanceof RpcError) result = errorObj(id ?? null, e.rpcCode, e.message, e.data);
        else {
          opts.log?.(
            'warn',
            { method: req['method'], err: (e as Error).message },
            'RPC method failed',
          );
          result = errorObj(id ?? null, RPC_INTERNAL_ERROR, (e as Error).message);
        }
      }
    }
    return isNotification ? null : result;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function errorObj(id: unknown, code: number, message: string, data?: unknown): object {
  return {
    jsonrpc: '2.0',
    error: data === undefined ? { code, message } : { code, message, data },
    id,
  };
}

function send(res: ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json' }).end(text);
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    n += (chunk as Buffer).length;
    if (n > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The management server could not be reached at all (nothing listening, no route). */
export class ManagementUnreachable extends Error {
  override readonly name = 'ManagementUnreachable';
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON-RPC client for `polysip ctl` and tests. */
export async function rpcCall(
  url: string,
  method: string,
  params: RpcParams = [],
  token?: string | null,
): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
    });
  } catch (e) {
    // fetch says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND…) is what the
    // operator needs, with the address that was tried.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED') {
      throw new ManagementUnreachable(
        url,
        `no polysip management server is running at ${url} (connection refused)`,
      );
    }
    throw new ManagementUnreachable(
      url,
      `cannot reach the management server at ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
    );
  }
  if (res.status === 401)
    throw new RpcError(RPC_INVALID_REQUEST, 'unauthorized: a management token is required');
  if (!res.ok) throw new RpcError(RPC_INTERNAL_ERROR, `HTTP ${res.status}`);
  const body = (await res.json()) as {
    result?: unknown;
    error?: { code: number; message: string; data?: unknown };
  };
  if (body.error) throw new RpcError(body.error.code, body.error.message, body.error.data);
  return body.result;
}
