/**
 * One interface for every transport. The rest of the core sees only this: bytes in with
 * their origin, bytes out to a target. UDP and TCP now; TLS and WebSocket plug in later.
 */
import type { ReceiveInfo, Transport } from '../sip/types.ts';

export interface ListenSpec {
  readonly transport: Transport;
  /** Literal IP address ('127.0.0.1', '::1', '0.0.0.0'). */
  readonly host: string;
  readonly port: number;
}

export interface Listener extends ListenSpec {
  readonly id: number;
  readonly family: 4 | 6;
}

export interface SendTarget {
  readonly transport: Transport;
  /** Literal IP address (no brackets). */
  readonly host: string;
  readonly port: number;
  /** Reuse this connection when it is still open (responses on the request's connection). */
  readonly connectionId?: number | null;
}

export interface TransportLayer {
  listen(spec: ListenSpec): Promise<Listener>;
  /** One complete SIP message (a datagram, or one framed message of a stream). */
  onMessage(handler: (data: Buffer, info: ReceiveInfo) => void): void;
  /**
   * A stream whose framing broke (bad or missing Content-Length, oversize message). The
   * bytes are the header section as far as it was read; the connection is closed after the
   * handler returns, so the handler may answer 400 on it first.
   */
  onFramingError(handler: (head: Buffer, info: ReceiveInfo, reason: string) => void): void;
  /** Resolves once the bytes are handed to the OS; rejects with TransportError. */
  send(target: SendTarget, data: Buffer): Promise<void>;
  listeners(): readonly Listener[];
  /** The listener a message to `target` would leave from (for our Via/Record-Route). */
  listenerFor(target: SendTarget): Listener | null;
  close(): Promise<void>;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly code:
      | 'POLYSIP_ERR_TRANSPORT_UNREACHABLE'
      | 'POLYSIP_ERR_TRANSPORT_REFUSED_DESTINATION'
      | 'POLYSIP_ERR_TRANSPORT_NO_LISTENER'
      | 'POLYSIP_ERR_TRANSPORT_CLOSED',
  ) {
    super(message);
  }
}
