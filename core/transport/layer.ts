/**
 * SipTransportLayer: the listeners, the connection table and the egress guard behind the one
 * TransportLayer interface. UDP lives in udp.ts, streams in tcp.ts, the table in
 * connections.ts, the guard in egress.ts; this file routes between them.
 *
 * Log events (msg argument of `log`): polysip:transport:handler-error,
 * polysip:transport:framing-error, polysip:transport:socket-error,
 * polysip:transport:server-error, polysip:transport:udp-error,
 * polysip:transport:source-limit, polysip:transport:idle-close,
 * polysip:transport:write-overflow, polysip:transport:tls-handshake-error.
 */
import { Socket, type Server } from 'node:net';
import type { ReceiveInfo, Transport } from '../sip/types.ts';
import { ConnectionTable } from './connections.ts';
import { EgressGuard, ipFamily, isLoopback, isWildcard, normalizeIp } from './egress.ts';
import { formatListenSpec } from './listen-spec.ts';
import { createStreamServer, StreamConnection, type LogFn, type StreamSink } from './tcp.ts';
import {
  TransportError,
  type Listener,
  type ListenSpec,
  type SendTarget,
  type TransportLayer,
} from './types.ts';
import { UdpEndpoint, type DatagramSink } from './udp.ts';
import {
  connectTls,
  createTlsStreamServer,
  loadTlsSettings,
  type TlsOptions,
  type TlsSettings,
  type TlsStreamServer,
} from './tls.ts';

export interface TransportOptions {
  /**
   * Allowed destination networks (CIDR, v4 and v6). When set, a send() anywhere else rejects
   * with POLYSIP_ERR_TRANSPORT_REFUSED_DESTINATION before any socket is touched.
   */
  readonly allowDestinations?: readonly string[];
  /**
   * Told of every send the guard refused, with the bytes that would have left. Conformance
   * tests read the answers addressed to the corpus's foreign hosts here, so nothing is sent.
   */
  readonly onRefusedDestination?: (target: SendTarget, data: Buffer) => void;
  /** Largest message accepted (datagram or framed stream message). Default 65535. */
  readonly maxMessageSize?: number;
  /** A stream connection with no traffic either way for this long is closed. Default 600000. */
  readonly tcpIdleTimeoutMs?: number;
  /** Accepted connections per source IP; more are closed as soon as they are accepted. Default 256. */
  readonly maxConnectionsPerSource?: number;
  /** Outgoing connection attempts give up after this long. Default 5000. */
  readonly tcpConnectTimeoutMs?: number;
  /**
   * TLS for every `tls` listener (unless listen() gives its own) and for outgoing TLS
   * connections. Without it, outgoing TLS still works and verifies servers against Node's CAs.
   */
  readonly tls?: TlsOptions;
  readonly log?: LogFn;
}

/** Per-listener settings for SipTransportLayer.listen(). */
export interface ListenOptions {
  /** For a `tls` listener: replaces the layer's `tls` options field by field. */
  readonly tls?: TlsOptions;
}

export type MessageHandler = (data: Buffer, info: ReceiveInfo) => void;
export type FramingErrorHandler = (head: Buffer, info: ReceiveInfo, reason: string) => void;

interface StreamListenerRecord {
  readonly listener: Listener;
  readonly server: Server;
  /** TLS only: closes sockets still in their handshake. */
  readonly tls?: TlsStreamServer;
}

const RESOLVED: Promise<void> = Promise.resolve();

function closedError(): TransportError {
  return new TransportError('transport layer is closed', 'POLYSIP_ERR_TRANSPORT_CLOSED');
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`TransportOptions.${name} must be a positive number, got ${value}`);
  }
  return value;
}

function noLog(): void {}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * Listener choice for a target (used for sending UDP and for listenerFor): among listeners of
 * the target's transport and IP family, lowest rank wins, ties go to the earliest listener:
 *   0 bound to exactly the target address;
 *   1 bound to a specific address of the same kind as the target (loopback for a loopback
 *     target, non-loopback otherwise): a specific address is what can be advertised in Via;
 *   2 wildcard (0.0.0.0 / ::);
 *   3 any other specific address.
 */
function rankListener(l: Listener, host: string, family: 4 | 6, loopback: boolean): number {
  if (l.family !== family) return -1;
  if (l.host === host) return 0;
  if (isWildcard(l.host)) return 2;
  return isLoopback(l.host, family) === loopback ? 1 : 3;
}

function pick<T extends { readonly listener: Listener }>(
  items: readonly T[],
  host: string,
  family: 4 | 6,
): T | null {
  const loopback = isLoopback(host, family);
  let best: T | null = null;
  let bestRank = 4;
  for (const item of items) {
    const r = rankListener(item.listener, host, family, loopback);
    if (r >= 0 && r < bestRank) {
      best = item;
      bestRank = r;
      if (r === 0) break;
    }
  }
  return best;
}

function byId(a: { readonly listener: Listener }, b: { readonly listener: Listener }): number {
  return a.listener.id - b.listener.id;
}

export class SipTransportLayer implements TransportLayer {
  readonly #log: LogFn;
  readonly #maxMessageSize: number;
  readonly #idleTimeoutMs: number;
  readonly #maxPerSource: number;
  readonly #connectTimeoutMs: number;
  readonly #guard: EgressGuard | null;
  readonly #onRefused: ((target: SendTarget, data: Buffer) => void) | undefined;
  readonly #table = new ConnectionTable();
  /** Bound listeners, each list in id order. */
  #udp: UdpEndpoint[] = [];
  #tcp: StreamListenerRecord[] = [];
  #tls: StreamListenerRecord[] = [];
  readonly #tlsOptions: TlsOptions;
  /** Files read at construction; outgoing TLS uses these. */
  readonly #tlsSettings: TlsSettings;
  /** Sockets being bound, so close() can wait for them and shut them. */
  readonly #pending = new Set<Promise<unknown>>();
  #nextListenerId = 1;
  #onMessage: MessageHandler | null = null;
  #onFramingError: FramingErrorHandler | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;

  readonly #streamSink: StreamSink;
  readonly #datagramSink: DatagramSink;

  constructor(options: TransportOptions = {}) {
    this.#log = options.log ?? noLog;
    this.#maxMessageSize = positive('maxMessageSize', options.maxMessageSize, 65535);
    this.#idleTimeoutMs = positive('tcpIdleTimeoutMs', options.tcpIdleTimeoutMs, 600_000);
    this.#maxPerSource = positive('maxConnectionsPerSource', options.maxConnectionsPerSource, 256);
    this.#connectTimeoutMs = positive('tcpConnectTimeoutMs', options.tcpConnectTimeoutMs, 5000);
    this.#guard =
      options.allowDestinations === undefined ? null : new EgressGuard(options.allowDestinations);
    this.#onRefused = options.onRefusedDestination;
    this.#tlsOptions = options.tls ?? {};
    this.#tlsSettings = loadTlsSettings(this.#tlsOptions);

    const log = this.#log;
    this.#streamSink = {
      log,
      streamMessage: (conn, data) => this.#deliver(data, streamInfo(conn)),
      streamFramingError: (conn, head, reason) => this.#framingError(conn, head, reason),
      streamClosed: (conn) => this.#table.remove(conn),
    };
    this.#datagramSink = {
      maxMessageSize: this.#maxMessageSize,
      deliver: (data, info) => this.#deliver(data, info),
      datagramError: (endpoint, err) =>
        log('warn', 'polysip:transport:udp-error', {
          listener: endpoint.listener ? formatListenSpec(endpoint.listener) : null,
          error: err.message,
        }),
    };
  }

  /** Replaces any previous handler: the layer has exactly one consumer (the core pipeline). */
  onMessage(handler: MessageHandler): void {
    this.#onMessage = handler;
  }

  /** Replaces any previous handler. Without one, a broken stream is just logged and closed. */
  onFramingError(handler: FramingErrorHandler): void {
    this.#onFramingError = handler;
  }

  listeners(): readonly Listener[] {
    const all: Listener[] = [];
    for (const e of this.#udp) all.push(e.listener);
    for (const r of this.#tcp) all.push(r.listener);
    for (const r of this.#tls) all.push(r.listener);
    return all.sort((a, b) => a.id - b.id);
  }

  /** See rankListener for the order; null for a host that is not an IP literal. */
  listenerFor(target: SendTarget): Listener | null {
    const host = normalizeIp(target.host);
    const family = ipFamily(host);
    if (family === 0) return null;
    if (target.transport === 'udp') return pick(this.#udp, host, family)?.listener ?? null;
    if (target.transport === 'tcp') return pick(this.#tcp, host, family)?.listener ?? null;
    if (target.transport === 'tls') return pick(this.#tls, host, family)?.listener ?? null;
    return null;
  }

  async listen(spec: ListenSpec, options: ListenOptions = {}): Promise<Listener> {
    if (this.#closed) throw closedError();
    const host = normalizeIp(spec.host);
    const family = ipFamily(host);
    const text = formatListenSpec(spec);
    if (family === 0)
      throw new Error(`cannot listen on ${text}: '${spec.host}' is not an IP address`);
    if (!Number.isInteger(spec.port) || spec.port < 0 || spec.port > 65535) {
      throw new Error(`cannot listen on ${text}: bad port`);
    }
    const id = this.#nextListenerId++;
    const normalized: ListenSpec = { transport: spec.transport, host, port: spec.port };
    let binding: Promise<Listener>;
    if (spec.transport === 'udp') binding = this.#listenUdp(normalized, id, family);
    else if (spec.transport === 'tcp') binding = this.#listenTcp(normalized, id, family);
    else if (spec.transport === 'tls')
      binding = this.#listenTls(normalized, id, family, options.tls);
    else
      throw new Error(
        `cannot listen on ${text}: transport '${spec.transport}' is not supported yet`,
      );
    this.#pending.add(binding);
    try {
      return await binding;
    } catch (err) {
      if (err instanceof TransportError) throw err;
      throw new Error(`cannot listen on ${text}: ${(err as Error).message}`, { cause: err });
    } finally {
      this.#pending.delete(binding);
    }
  }

  async #listenUdp(spec: ListenSpec, id: number, family: 4 | 6): Promise<Listener> {
    const endpoint = new UdpEndpoint(family, this.#datagramSink);
    try {
      await endpoint.bind(spec, id, family);
    } catch (err) {
      await endpoint.close();
      throw err;
    }
    if (this.#closed) {
      await endpoint.close();
      throw closedError();
    }
    this.#udp = [...this.#udp, endpoint].sort(byId);
    return endpoint.listener;
  }

  async #listenTcp(spec: ListenSpec, id: number, family: 4 | 6): Promise<Listener> {
    let listener: Listener | null = null;
    const server = createStreamServer((socket) => {
      if (listener !== null) this.#accept(listener, socket);
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // ipv6Only: '::' and '0.0.0.0' can both be bound on one port, and v6 listeners never
      // see v4-mapped peers.
      server.listen({ host: spec.host, port: spec.port, ipv6Only: family === 6 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: Error) =>
      this.#log('error', 'polysip:transport:server-error', {
        listener: formatListenSpec(spec),
        error: err.message,
      }),
    );
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : spec.port;
    listener = { id, transport: 'tcp', host: spec.host, port, family };
    if (this.#closed) {
      await closeServer(server);
      throw closedError();
    }
    this.#tcp = [...this.#tcp, { listener, server }].sort(byId);
    return listener;
  }

  async #listenTls(
    spec: ListenSpec,
    id: number,
    family: 4 | 6,
    own: TlsOptions | undefined,
  ): Promise<Listener> {
    const settings =
      own === undefined ? this.#tlsSettings : loadTlsSettings({ ...this.#tlsOptions, ...own });
    let listener: Listener | null = null;
    const tls = createTlsStreamServer(
      settings,
      this.#connectTimeoutMs,
      (socket) => {
        if (listener !== null) this.#accept(listener, socket);
        else socket.destroy();
      },
      (err, socket) =>
        this.#log('debug', 'polysip:transport:tls-handshake-error', {
          listener: formatListenSpec(spec),
          remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
          code: (err as NodeJS.ErrnoException).code,
          error: err.message,
        }),
    );
    const server = tls.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: spec.host, port: spec.port, ipv6Only: family === 6 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: Error) =>
      this.#log('error', 'polysip:transport:server-error', {
        listener: formatListenSpec(spec),
        error: err.message,
      }),
    );
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : spec.port;
    listener = { id, transport: 'tls', host: spec.host, port, family };
    if (this.#closed) {
      tls.destroyAll();
      await closeServer(server);
      throw closedError();
    }
    this.#tls = [...this.#tls, { listener, server, tls }].sort(byId);
    return listener;
  }

  #accept(listener: Listener, socket: Socket): void {
    const raw = socket.remoteAddress;
    if (this.#closed || raw === undefined) {
      socket.destroy();
      return;
    }
    const remoteIp = normalizeIp(raw);
    if (this.#table.inboundFrom(remoteIp) >= this.#maxPerSource) {
      this.#log('warn', 'polysip:transport:source-limit', {
        listener: formatListenSpec(listener),
        source: remoteIp,
        limit: this.#maxPerSource,
      });
      socket.on('error', noLog);
      socket.destroy();
      return;
    }
    const conn = new StreamConnection(socket, {
      id: this.#table.nextId(),
      transport: listener.transport,
      direction: 'in',
      remoteIp,
      remotePort: socket.remotePort ?? 0,
      localIp: listener.host,
      localPort: listener.port,
      maxMessageSize: this.#maxMessageSize,
      idleTimeoutMs: this.#idleTimeoutMs,
      sink: this.#streamSink,
    });
    this.#table.add(conn);
  }

  send(target: SendTarget, data: Buffer): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    const host = normalizeIp(target.host);
    const family = ipFamily(host);
    const guard = this.#guard;
    if (guard !== null && (family === 0 || !guard.allows(host, family))) {
      this.#onRefused?.(target, data);
      return Promise.reject(
        new TransportError(
          `destination ${target.host} is not in allowDestinations`,
          'POLYSIP_ERR_TRANSPORT_REFUSED_DESTINATION',
        ),
      );
    }
    if (family === 0) {
      return Promise.reject(
        new TransportError(
          `destination '${target.host}' is not an IP address`,
          'POLYSIP_ERR_TRANSPORT_UNREACHABLE',
        ),
      );
    }
    const port = target.port;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      return Promise.reject(
        new TransportError(
          `destination port ${port} is invalid`,
          'POLYSIP_ERR_TRANSPORT_UNREACHABLE',
        ),
      );
    }
    if (target.transport === 'udp') {
      const endpoint = pick(this.#udp, host, family);
      if (endpoint === null) return Promise.reject(noListener('udp', family));
      return endpoint.send(data, port, host);
    }
    if (target.transport === 'tcp' || target.transport === 'tls') {
      return this.#sendStream(target, host, family, port, data);
    }
    return Promise.reject(
      new TransportError(
        `transport '${target.transport}' is not supported yet`,
        'POLYSIP_ERR_TRANSPORT_NO_LISTENER',
      ),
    );
  }

  #sendStream(
    target: SendTarget,
    host: string,
    family: 4 | 6,
    port: number,
    data: Buffer,
  ): Promise<void> {
    const transport = target.transport;
    let conn: StreamConnection | undefined;
    const id = target.connectionId;
    if (id !== undefined && id !== null) {
      const c = this.#table.byId(id);
      if (c !== undefined && c.usable && c.transport === transport) {
        // The guard is about where bytes go: the connection's peer, whatever the target says.
        if (c.remoteIp === host || this.#guard === null || this.#allowed(c.remoteIp)) conn = c;
        else {
          return Promise.reject(
            new TransportError(
              `connection ${id} goes to ${c.remoteIp}, not in allowDestinations`,
              'POLYSIP_ERR_TRANSPORT_REFUSED_DESTINATION',
            ),
          );
        }
      }
    }
    if (conn === undefined) {
      const c = this.#table.byRemote(transport, host, port);
      if (c !== undefined && c.usable) conn = c;
    }
    if (conn === undefined) conn = this.#connect(transport, host, family, port);
    if (conn.open) return conn.write(data) ? RESOLVED : Promise.reject(overflow(conn));
    const c = conn;
    // Continuations run in registration order, so queued sends keep their order.
    return c.ready.then(() => {
      if (!c.open) {
        throw this.#closed
          ? closedError()
          : new TransportError(
              `connection to ${host}:${port} closed before the send`,
              'POLYSIP_ERR_TRANSPORT_UNREACHABLE',
            );
      }
      if (!c.write(data)) throw overflow(c);
    });
  }

  #allowed(ip: string): boolean {
    const family = ipFamily(ip);
    return family !== 0 && this.#guard!.allows(ip, family);
  }

  #connect(transport: Transport, host: string, family: 4 | 6, port: number): StreamConnection {
    const tls = transport === 'tls';
    const via = pick(tls ? this.#tls : this.#tcp, host, family)?.listener ?? null;
    // Not connected yet for TCP (connect() comes after the table holds it); TLS connects now,
    // but its events only fire on a later tick, once StreamConnection listens.
    const socket = tls ? connectTls(this.#tlsSettings, host, port) : new Socket();
    const conn = new StreamConnection(socket, {
      id: this.#table.nextId(),
      transport,
      direction: 'out',
      remoteIp: host,
      remotePort: port,
      localIp: via?.host ?? '',
      localPort: via?.port ?? 0,
      maxMessageSize: this.#maxMessageSize,
      idleTimeoutMs: this.#idleTimeoutMs,
      connectTimeoutMs: this.#connectTimeoutMs,
      readyEvent: tls ? 'secureConnect' : 'connect',
      sink: this.#streamSink,
    });
    this.#table.add(conn);
    if (!tls) socket.connect({ host, port, family });
    return conn;
  }

  #deliver(data: Buffer, info: ReceiveInfo): void {
    const handler = this.#onMessage;
    // Closed: a burst framed from one read may still be mid-loop when a handler closes us.
    if (handler === null || this.#closed) return;
    try {
      const r: unknown = handler(data, info);
      if (r !== undefined && isThenable(r)) r.then(undefined, this.#onHandlerRejected);
    } catch (err) {
      this.#handlerFailed('onMessage', err);
    }
  }

  #framingError(conn: StreamConnection, head: Buffer, reason: string): void {
    const handler = this.#onFramingError;
    if (handler === null || this.#closed) return;
    try {
      const r: unknown = handler(head, streamInfo(conn), reason);
      if (r !== undefined && isThenable(r)) r.then(undefined, this.#onHandlerRejected);
    } catch (err) {
      this.#handlerFailed('onFramingError', err);
    }
  }

  readonly #onHandlerRejected = (err: unknown): void => this.#handlerFailed('handler', err);

  #handlerFailed(which: string, err: unknown): void {
    this.#log('error', 'polysip:transport:handler-error', {
      handler: which,
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
  }

  /** Closes listeners and destroys every connection. Idempotent; later sends reject CLOSED. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      const reason = closedError();
      for (const conn of this.#table.all()) conn.destroy(reason);
      const udp = this.#udp;
      const tcp = this.#tcp;
      const tls = this.#tls;
      this.#udp = [];
      this.#tcp = [];
      this.#tls = [];
      for (const r of tls) r.tls?.destroyAll();
      await Promise.all([
        ...udp.map((e) => e.close()),
        ...tcp.map((r) => closeServer(r.server)),
        ...tls.map((r) => closeServer(r.server)),
        ...[...this.#pending].map((p) => p.then(noLog, noLog)),
      ]);
    })();
    return this.#closing;
  }
}

function streamInfo(conn: StreamConnection): ReceiveInfo {
  return {
    transport: conn.transport,
    srcIp: conn.remoteIp,
    srcPort: conn.remotePort,
    dstIp: conn.localIp,
    dstPort: conn.localPort,
    connectionId: conn.id,
    receivedAt: Date.now(),
  };
}

function noListener(transport: Transport, family: 4 | 6): TransportError {
  return new TransportError(
    `no ${transport} listener for IPv${family}`,
    'POLYSIP_ERR_TRANSPORT_NO_LISTENER',
  );
}

function overflow(conn: StreamConnection): TransportError {
  return new TransportError(
    `connection to ${conn.remoteIp}:${conn.remotePort} dropped: the peer is not reading`,
    'POLYSIP_ERR_TRANSPORT_UNREACHABLE',
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
