/**
 * UDP: one datagram is one message. An endpoint is one bound socket; the layer sends through
 * the endpoint its listenerFor() picks, so replies leave from the address requests came to.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { ReceiveInfo } from '../sip/types.ts';
import { normalizeIp } from './egress.ts';
import { TransportError, type Listener, type ListenSpec } from './types.ts';

export interface DatagramSink {
  deliver(data: Buffer, info: ReceiveInfo): void;
  datagramError(endpoint: UdpEndpoint, err: Error): void;
  readonly maxMessageSize: number;
}

/**
 * Kernel receive buffer asked for (Linux caps it at net.core.rmem_max). A bigger buffer
 * rides out bursts that the default ~200 KB drops under load.
 */
const RECV_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * Every address we send to is already an IP literal (the layer checks), so skip dns.lookup
 * and its extra tick per datagram.
 */
function literalLookup(
  address: string,
  family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

export class UdpEndpoint {
  readonly socket: Socket;
  listener!: Listener;
  readonly #sink: DatagramSink;

  constructor(family: 4 | 6, sink: DatagramSink) {
    this.#sink = sink;
    // ipv6Only: '::' and '0.0.0.0' can then both be bound on one port, and a v6 listener
    // never sees v4-mapped peers.
    this.socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      ipv6Only: family === 6,
      lookup: literalLookup as never,
    });
    this.socket.on('message', this.#onMessage);
    this.socket.on('error', this.#onError);
  }

  bind(spec: ListenSpec, id: number, family: 4 | 6): Promise<Listener> {
    return new Promise<Listener>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.socket.once('error', onError);
      this.socket.bind({ address: spec.host, port: spec.port, exclusive: true }, () => {
        this.socket.off('error', onError);
        try {
          this.socket.setRecvBufferSize(RECV_BUFFER_BYTES);
        } catch {
          // Best effort: a smaller buffer still works.
        }
        this.listener = {
          id,
          transport: 'udp',
          host: spec.host,
          port: this.socket.address().port,
          family,
        };
        resolve(this.listener);
      });
    });
  }

  send(data: Buffer, port: number, host: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.socket.send(data, port, host, (err) => {
        if (err === null) resolve();
        else
          reject(
            new TransportError(
              `send to ${host}:${port} failed: ${err.message}`,
              'POLYSIP_ERR_TRANSPORT_UNREACHABLE',
            ),
          );
      });
    });
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // not bound or already closed
      }
    });
  }

  readonly #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const len = msg.length;
    if (len === 0) return;
    const c = msg[0];
    // CRLF keep-alives (RFC 5626 §4.4.1 uses STUN on UDP; bare CRLFs are just ignored).
    if ((c === 0x0d || c === 0x0a) && isAllCrlf(msg)) return;
    if (len > this.#sink.maxMessageSize) {
      this.#sink.datagramError(
        this,
        new Error(
          `datagram of ${len} bytes from ${rinfo.address}:${rinfo.port} exceeds maxMessageSize`,
        ),
      );
      return;
    }
    const l = this.listener;
    this.#sink.deliver(msg, {
      transport: 'udp',
      srcIp: normalizeIp(rinfo.address),
      srcPort: rinfo.port,
      dstIp: l.host,
      dstPort: l.port,
      connectionId: null,
      receivedAt: Date.now(),
    });
  };

  readonly #onError = (err: Error): void => {
    this.#sink.datagramError(this, err);
  };
}

function isAllCrlf(msg: Buffer): boolean {
  for (let i = 0; i < msg.length; i++) {
    const c = msg[i];
    if (c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}
