/**
 * Test kit for the transport tests (not used by production code): SIP message builders,
 * raw loopback peers, a bounded waiter, and a net guard that throws on any non-loopback
 * destination so a bug can never let a packet leave the machine.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { ReceiveInfo } from '../sip/types.ts';
import { SipTransportLayer, type TransportOptions } from './layer.ts';

export interface NetAttempt {
  readonly kind: 'tcp-connect' | 'udp-send';
  readonly host: string;
}

/** Every connect/send attempt made through node:net / node:dgram in this process. */
export const netAttempts: NetAttempt[] = [];

function isLoopbackHost(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host === 'localhost';
}

let installed = false;
/** Patches Socket.connect and dgram send to record destinations and refuse non-loopback ones. */
export function installLoopbackOnlyNet(): void {
  if (installed) return;
  installed = true;
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const a0 = args[0];
    let host: unknown;
    if (typeof a0 === 'object' && a0 !== null && !Array.isArray(a0)) {
      const o = a0 as { host?: string; path?: string };
      host = o.path !== undefined ? 'unix' : (o.host ?? 'localhost');
    } else if (Array.isArray(a0)) {
      const o = a0[0] as { host?: string; path?: string };
      host = o.path !== undefined ? 'unix' : (o.host ?? 'localhost');
    } else if (typeof a0 === 'number' || /^\d+$/.test(String(a0))) {
      host = typeof args[1] === 'string' ? args[1] : 'localhost';
    } else {
      host = 'unix';
    }
    const h = String(host);
    if (h !== 'unix') {
      netAttempts.push({ kind: 'tcp-connect', host: h });
      if (!isLoopbackHost(h)) throw new Error(`test guard: refusing TCP connect to ${h}`);
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
    // send(msg, port, address, cb) or send(msg, offset, length, port, address, cb)
    const host = args.find((a, i) => i > 0 && typeof a === 'string') as string | undefined;
    const h = host ?? 'connected';
    netAttempts.push({ kind: 'udp-send', host: h });
    if (host !== undefined && !isLoopbackHost(host)) {
      throw new Error(`test guard: refusing UDP send to ${host}`);
    }
    return (send as (...a: unknown[]) => void).apply(this, args);
  } as typeof send;
}

export function sipRequest(opts: { body?: string; callId?: string; method?: string } = {}): Buffer {
  const body = opts.body ?? '';
  const method = opts.method ?? 'OPTIONS';
  return Buffer.from(
    `${method} sip:alice@127.0.0.1 SIP/2.0\r\n` +
      'Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-test\r\n' +
      `Call-ID: ${opts.callId ?? 'c1'}\r\n` +
      'CSeq: 1 ' +
      method +
      '\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
    'latin1',
  );
}

export function sipResponse(status = 200): Buffer {
  return Buffer.from(
    `SIP/2.0 ${status} OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-test\r\n` +
      'Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    'latin1',
  );
}

/** Rejects after `ms`: every wait in these tests is bounded. */
export function within<T>(p: Promise<T>, ms = 3000, what = 'event'): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects items and lets a test wait until it has `n` of them. */
export class Collector<T> {
  readonly items: T[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];

  push = (item: T): void => {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.items.length >= w.n) w.resolve();
      return this.items.length < w.n;
    });
  };

  waitFor(n: number, ms = 3000): Promise<T[]> {
    if (this.items.length >= n) return Promise.resolve(this.items);
    const p = new Promise<void>((resolve) => this.#waiters.push({ n, resolve }));
    return within(p, ms, `${n} items (have ${this.items.length})`).then(() => this.items);
  }
}

export interface Received {
  readonly data: Buffer;
  readonly info: ReceiveInfo;
}

/** A layer whose messages land in `received`; closed by the test's teardown. */
export function makeLayer(
  teardown: (fn: () => Promise<void>) => void,
  options: TransportOptions = {},
): { layer: SipTransportLayer; received: Collector<Received> } {
  const layer = new SipTransportLayer(options);
  const received = new Collector<Received>();
  // Kept as handed over, not copied: the layer promises the bytes stay valid afterwards.
  layer.onMessage((data, info) => received.push({ data, info }));
  teardown(() => layer.close());
  return { layer, received };
}

/** A raw TCP peer that records every byte it receives and when it closes. */
export class RawTcpClient {
  readonly socket: net.Socket;
  #buf = Buffer.alloc(0);
  #waiters: { n: number; resolve: () => void }[] = [];
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      this.#waiters = this.#waiters.filter((w) => {
        if (this.#buf.length >= w.n) w.resolve();
        return this.#buf.length < w.n;
      });
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawTcpClient> {
    return within(
      new Promise<RawTcpClient>((resolve, reject) => {
        const socket = net.connect({ port, host, noDelay: true });
        const client = new RawTcpClient(socket);
        socket.once('connect', () => resolve(client));
        socket.once('error', reject);
      }),
      3000,
      'connect',
    );
  }

  get bytes(): Buffer {
    return this.#buf;
  }

  waitForBytes(n: number, ms = 3000): Promise<Buffer> {
    if (this.#buf.length >= n) return Promise.resolve(this.#buf);
    const p = new Promise<void>((resolve) => this.#waiters.push({ n, resolve }));
    return within(p, ms, `${n} bytes (have ${this.#buf.length})`).then(() => this.#buf);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A raw TCP server on 127.0.0.1 that counts accepted connections and records bytes. */
export async function rawTcpServer(host = '127.0.0.1'): Promise<{
  server: net.Server;
  port: number;
  sockets: Collector<net.Socket>;
  bytes: () => Buffer;
  close: () => Promise<void>;
}> {
  const sockets = new Collector<net.Socket>();
  let buf = Buffer.alloc(0);
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
    });
    sockets.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    port,
    sockets,
    bytes: () => buf,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets.items) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A raw UDP peer on loopback. */
export async function rawUdp(family: 4 | 6 = 4, host = family === 6 ? '::1' : '127.0.0.1') {
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  const received = new Collector<{ data: Buffer; rinfo: dgram.RemoteInfo }>();
  socket.on('message', (data, rinfo) => received.push({ data, rinfo }));
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return {
    socket,
    port: socket.address().port,
    received,
    send: (data: Buffer, port: number, to = host) =>
      new Promise<void>((resolve, reject) =>
        socket.send(data, port, to, (err) => (err ? reject(err) : resolve())),
      ),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
