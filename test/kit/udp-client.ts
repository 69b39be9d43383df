/**
 * A tiny test UA and a recording peer, loopback only.
 *
 * - udpExchange / tcpExchange: send one message, collect up to `expect` responses.
 * - udpPeer: a bound socket that records every datagram it receives (bytes, origin, time),
 *   to assert what a proxy forwarded; it can also answer through `onMessage`.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { connect } from 'node:net';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface ExchangeOptions {
  readonly to: Endpoint;
  readonly message: Buffer | string;
  /** Stop after this many responses (default 1). */
  readonly expect?: number;
  /** Give up after this long; whatever arrived is returned. */
  readonly timeoutMs: number;
  /** Bind to this local port (default: any free one). */
  readonly localPort?: number;
}

export interface ExchangeResult {
  readonly responses: Buffer[];
  readonly localPort: number;
  /** Fewer than `expect` responses arrived in time. */
  readonly timedOut: boolean;
}

function assertLoopback(host: string): void {
  if (host !== '::1' && !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    throw new Error(`test kit sends to loopback only, not ${host}`);
  }
}

const toBuf = (m: Buffer | string): Buffer =>
  typeof m === 'string' ? Buffer.from(m, 'latin1') : m;

export function udpExchange(opts: ExchangeOptions): Promise<ExchangeResult> {
  assertLoopback(opts.to.host);
  const expect = opts.expect ?? 1;
  const v6 = opts.to.host.includes(':');
  return new Promise((resolve, reject) => {
    const sock = createSocket(v6 ? 'udp6' : 'udp4');
    const responses: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let localPort = 0;
    const finish = (timedOut: boolean): void => {
      clearTimeout(timer);
      sock.close();
      resolve({ responses, localPort, timedOut });
    };
    sock.on('error', (e) => {
      clearTimeout(timer);
      sock.close();
      reject(e);
    });
    sock.on('message', (data) => {
      responses.push(data);
      if (responses.length >= expect) finish(false);
    });
    sock.bind(opts.localPort ?? 0, v6 ? '::1' : '127.0.0.1', () => {
      localPort = sock.address().port;
      timer = setTimeout(() => finish(true), opts.timeoutMs);
      if (expect <= 0) {
        sock.send(toBuf(opts.message), opts.to.port, opts.to.host, () => finish(false));
        return;
      }
      sock.send(toBuf(opts.message), opts.to.port, opts.to.host);
    });
  });
}

/**
 * Split complete SIP messages off the front of a stream buffer (Content-Length framing,
 * RFC 3261 §18.3; a missing Content-Length counts as 0). Leading CRLFs are skipped.
 */
export function splitSipStream(buf: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let off = 0;
  for (;;) {
    while (off + 1 < buf.length && buf[off] === 0x0d && buf[off + 1] === 0x0a) off += 2;
    const end = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (end < 0) break;
    const head = buf.subarray(off, end).toString('latin1');
    const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec('\r\n' + head);
    const total = end + 4 + (m ? Number(m[1]) : 0);
    if (total > buf.length) break;
    messages.push(buf.subarray(off, total));
    off = total;
  }
  return { messages, rest: buf.subarray(off) };
}

export function tcpExchange(opts: ExchangeOptions): Promise<ExchangeResult> {
  assertLoopback(opts.to.host);
  const expect = opts.expect ?? 1;
  return new Promise((resolve, reject) => {
    const responses: Buffer[] = [];
    let pending = Buffer.alloc(0);
    let localPort = 0;
    let done = false;
    const sock = connect({
      host: opts.to.host,
      port: opts.to.port,
      ...(opts.localPort ? { localPort: opts.localPort } : {}),
    });
    const finish = (timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ responses, localPort, timedOut });
    };
    const timer = setTimeout(() => finish(true), opts.timeoutMs);
    sock.on('connect', () => {
      localPort = sock.localPort ?? 0;
      sock.write(toBuf(opts.message));
      if (expect <= 0) sock.end(() => finish(false));
    });
    sock.on('data', (chunk: Buffer) => {
      const { messages, rest } = splitSipStream(Buffer.concat([pending, chunk]));
      pending = Buffer.from(rest);
      responses.push(...messages.map((m) => Buffer.from(m)));
      if (expect > 0 && responses.length >= expect) finish(false);
    });
    sock.on('close', () => finish(responses.length < expect));
    sock.on('error', (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    });
  });
}

export interface Datagram {
  readonly data: Buffer;
  readonly from: Endpoint;
  /** Date.now() on receipt. */
  readonly at: number;
}

export interface UdpPeer {
  readonly host: string;
  readonly port: number;
  /** Every datagram received so far, in order. */
  readonly received: readonly Datagram[];
  /** Resolves once `count` datagrams in total have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<readonly Datagram[]>;
  send(data: Buffer | string, to: Endpoint): Promise<void>;
  close(): Promise<void>;
}

export interface UdpPeerOptions {
  readonly host?: '127.0.0.1' | '::1';
  readonly port?: number;
  /** Called for each datagram after it is recorded, e.g. to answer like a UAS. */
  readonly onMessage?: (d: Datagram, peer: UdpPeer) => void;
}

export function udpPeer(opts: UdpPeerOptions = {}): Promise<UdpPeer> {
  const host = opts.host ?? '127.0.0.1';
  const sock: Socket = createSocket(host === '::1' ? 'udp6' : 'udp4');
  const received: Datagram[] = [];
  const waiters = new Set<{ count: number; wake: () => void }>();
  let closed = false;
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(opts.port ?? 0, host, () => {
      sock.off('error', reject);
      sock.on('error', () => {
        /* a peer in a test never throws asynchronously */
      });
      const peer: UdpPeer = {
        host,
        port: sock.address().port,
        received,
        waitFor(count, timeoutMs) {
          if (received.length >= count) return Promise.resolve(received);
          return new Promise((res, rej) => {
            const w = {
              count,
              wake: () => {
                clearTimeout(t);
                waiters.delete(w);
                res(received);
              },
            };
            const t = setTimeout(() => {
              waiters.delete(w);
              rej(
                new Error(`udpPeer: ${received.length}/${count} datagrams after ${timeoutMs} ms`),
              );
            }, timeoutMs);
            waiters.add(w);
          });
        },
        send(data, to) {
          assertLoopback(to.host);
          return new Promise((res, rej) =>
            sock.send(toBuf(data), to.port, to.host, (e) => (e ? rej(e) : res())),
          );
        },
        close() {
          if (closed) return Promise.resolve();
          closed = true;
          return new Promise((res) => sock.close(() => res()));
        },
      };
      sock.on('message', (data: Buffer, rinfo: RemoteInfo) => {
        const d: Datagram = {
          data,
          from: { host: rinfo.address, port: rinfo.port },
          at: Date.now(),
        };
        received.push(d);
        opts.onMessage?.(d, peer);
        for (const w of [...waiters]) if (received.length >= w.count) w.wake();
      });
      resolve(peer);
    });
  });
}
