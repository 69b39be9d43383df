/**
 * Byte-stream connections: SIP framing over a stream socket (RFC 3261 §18.3), CRLF
 * keep-alives (RFC 5626 §3.5.1), idle timeout, graceful close after a framing error.
 *
 * Nothing here is TCP-specific beyond `net.Socket`: a `tls.TLSSocket` is a `net.Socket`, so
 * the TLS transport reuses StreamConnection as is (with `readyEvent: 'secureConnect'` for
 * outgoing connections and the server's 'secureConnection' event for incoming ones).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { findHeaderEnd, frameStream } from '../sip/framing.ts';
import type { Transport } from '../sip/types.ts';
import { TransportError } from './types.ts';

export type LogFn = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** What a connection reports to its owner (the transport layer): one object per layer, so no closure per message. */
export interface StreamSink {
  streamMessage(conn: StreamConnection, data: Buffer): void;
  streamFramingError(conn: StreamConnection, head: Buffer, reason: string): void;
  streamClosed(conn: StreamConnection): void;
  readonly log: LogFn;
}

export interface StreamConnectionInit {
  readonly id: number;
  readonly transport: Transport;
  /** 'in': accepted by a listener; 'out': we connected to the peer. */
  readonly direction: 'in' | 'out';
  readonly remoteIp: string;
  readonly remotePort: number;
  /** Reported as ReceiveInfo.dstIp/dstPort; for 'out' with no listener, filled in on connect. */
  readonly localIp: string;
  readonly localPort: number;
  readonly maxMessageSize: number;
  readonly idleTimeoutMs: number;
  /** Only for 'out': the connection is usable once the socket emits `readyEvent`. */
  readonly connectTimeoutMs?: number;
  readonly readyEvent?: 'connect' | 'secureConnect';
  readonly sink: StreamSink;
}

const enum State {
  Connecting,
  Open,
  /** FIN sent after a framing error; reads are ignored, the socket is destroyed soon. */
  Closing,
  Closed,
}

const CRLF = Buffer.from('\r\n', 'latin1');
/** A ping is CRLFCRLF: four keep-alive bytes earn one pong. */
const PING_BYTES = 4;
/** How long a connection closed after a framing error may take to flush before destroy. */
const CLOSE_GRACE_MS = 2000;
const MIN_ACC = 4096;
/** Bytes queued for a peer that is not reading, beyond which the connection is dropped. */
const MAX_UNSENT = 4 * 1024 * 1024;

function noop(): void {}

function uncork(conn: StreamConnection): void {
  conn.flush();
}

export class StreamConnection {
  readonly id: number;
  readonly transport: Transport;
  readonly direction: 'in' | 'out';
  readonly remoteIp: string;
  readonly remotePort: number;
  localIp: string;
  localPort: number;
  readonly socket: Socket;
  /** Settles when an outgoing connection is up (or failed); already resolved for 'in'. */
  readonly ready: Promise<void>;

  #state: State;
  readonly #sink: StreamSink;
  readonly #maxSize: number;
  readonly #idleTimeoutMs: number;
  /** Bytes of an unfinished message. Never handed out: messages framed from it are copied. */
  #acc: Buffer | null = null;
  #accLen = 0;
  /** Keep-alive bytes seen since the last message, to spot a ping split over segments. */
  #crlfRun = 0;
  #resolveReady: () => void = noop;
  #rejectReady: (err: TransportError) => void = noop;
  #timer: NodeJS.Timeout | null = null;
  #closeReason: TransportError | null = null;
  #corked = false;

  constructor(socket: Socket, init: StreamConnectionInit) {
    this.socket = socket;
    this.id = init.id;
    this.transport = init.transport;
    this.direction = init.direction;
    this.remoteIp = init.remoteIp;
    this.remotePort = init.remotePort;
    this.localIp = init.localIp;
    this.localPort = init.localPort;
    this.#sink = init.sink;
    this.#maxSize = init.maxMessageSize;
    this.#idleTimeoutMs = init.idleTimeoutMs;

    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('data', this.#onData);
    socket.on('timeout', this.#onIdle);

    if (init.direction === 'out') {
      this.#state = State.Connecting;
      this.ready = new Promise<void>((resolve, reject) => {
        this.#resolveReady = resolve;
        this.#rejectReady = reject;
      });
      this.ready.catch(noop);
      socket.once(init.readyEvent ?? 'connect', this.#onConnect);
      this.#timer = setTimeout(this.#onConnectTimeout, init.connectTimeoutMs ?? 5000);
      this.#timer.unref();
    } else {
      this.#state = State.Open;
      this.ready = Promise.resolve();
      socket.setTimeout(this.#idleTimeoutMs);
    }
  }

  /** Open and writable: a send may use it right now. */
  get open(): boolean {
    return this.#state === State.Open;
  }

  /** Open or still connecting: a send may queue on it. */
  get usable(): boolean {
    return this.#state === State.Open || this.#state === State.Connecting;
  }

  get closed(): boolean {
    return this.#state === State.Closed;
  }

  /**
   * Caller checks `open` first. Returns false, and destroys the connection, when the peer has
   * stopped reading and MAX_UNSENT bytes are already waiting: a stuck peer must not make the
   * server buffer without bound.
   */
  write(data: Buffer): boolean {
    if (this.socket.writableLength > MAX_UNSENT) {
      this.#sink.log('warn', 'polysip:transport:write-overflow', {
        connectionId: this.id,
        remote: `${this.remoteIp}:${this.remotePort}`,
        unsent: this.socket.writableLength,
      });
      this.socket.destroy();
      return false;
    }
    if (!this.#corked) {
      // Writes issued in the same tick (a burst of responses framed from one read) leave in
      // one writev instead of one syscall each.
      this.#corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    this.socket.write(data);
    return true;
  }

  /** @internal for uncork() */
  flush(): void {
    this.#corked = false;
    this.socket.uncork();
  }

  /** Stops at once; pending sends on a connecting socket reject with `reason`. */
  destroy(reason?: TransportError): void {
    if (this.#state === State.Closed) return;
    if (reason !== undefined) this.#closeReason = reason;
    this.socket.destroy();
  }

  /** Sends FIN after whatever was written so far, then gives the peer a moment before destroy. */
  end(): void {
    if (this.#state !== State.Open) {
      if (this.#state === State.Connecting) this.destroy();
      return;
    }
    this.#state = State.Closing;
    this.#acc = null;
    this.#accLen = 0;
    this.socket.end();
    this.#clearTimer();
    this.#timer = setTimeout(this.#onGraceOver, CLOSE_GRACE_MS);
    this.#timer.unref();
  }

  readonly #onConnect = (): void => {
    this.#clearTimer();
    if (this.#state !== State.Connecting) return;
    this.#state = State.Open;
    if (this.localPort === 0) {
      this.localIp = this.socket.localAddress ?? '';
      this.localPort = this.socket.localPort ?? 0;
    }
    this.socket.setNoDelay(true);
    this.socket.setTimeout(this.#idleTimeoutMs);
    this.#resolveReady();
  };

  readonly #onConnectTimeout = (): void => {
    this.#timer = null;
    this.destroy(
      new TransportError(
        `connect to ${this.remoteIp}:${this.remotePort} timed out`,
        'POLYSIP_ERR_TRANSPORT_UNREACHABLE',
      ),
    );
  };

  readonly #onGraceOver = (): void => {
    this.#timer = null;
    this.socket.destroy();
  };

  readonly #onIdle = (): void => {
    this.#sink.log('debug', 'polysip:transport:idle-close', {
      connectionId: this.id,
      remote: `${this.remoteIp}:${this.remotePort}`,
    });
    this.socket.destroy();
  };

  readonly #onError = (err: NodeJS.ErrnoException): void => {
    // Resets and refusals are routine on a SIP server: never fatal, and 'close' follows.
    if (this.#state === State.Connecting && this.#closeReason === null) {
      this.#closeReason = new TransportError(
        `connect to ${this.remoteIp}:${this.remotePort} failed: ${err.code ?? err.message}`,
        'POLYSIP_ERR_TRANSPORT_UNREACHABLE',
      );
    }
    this.#sink.log('debug', 'polysip:transport:socket-error', {
      connectionId: this.id,
      remote: `${this.remoteIp}:${this.remotePort}`,
      code: err.code,
      error: err.message,
    });
  };

  readonly #onClose = (): void => {
    const wasConnecting = this.#state === State.Connecting;
    this.#state = State.Closed;
    this.#clearTimer();
    this.#acc = null;
    this.#accLen = 0;
    if (wasConnecting) {
      this.#rejectReady(
        this.#closeReason ??
          new TransportError(
            `connection to ${this.remoteIp}:${this.remotePort} closed before it was up`,
            'POLYSIP_ERR_TRANSPORT_UNREACHABLE',
          ),
      );
    }
    this.#sink.streamClosed(this);
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#state !== State.Open) return;
    if (this.#accLen === 0) {
      // Fast path: Node hands every read a fresh Buffer, so messages may be views of it.
      const used = this.#consume(chunk, false);
      if (used < chunk.length && this.#state === State.Open) this.#keep(chunk, used);
      return;
    }
    this.#append(chunk);
    const acc = this.#acc!;
    const used = this.#consume(acc.subarray(0, this.#accLen), true);
    if (this.#state !== State.Open) return;
    if (used === this.#accLen) {
      this.#accLen = 0;
      // A large buffer left over from a big message is not worth keeping per connection.
      if (acc.length > MIN_ACC * 4) this.#acc = null;
    } else if (used > 0) {
      acc.copyWithin(0, used, this.#accLen);
      this.#accLen -= used;
    }
  };

  /**
   * Frames as many messages as `buf` holds; returns how many bytes were used. `copy`: the
   * bytes live in the reusable accumulator, so each message handed out is copied.
   */
  #consume(buf: Buffer, copy: boolean): number {
    let off = 0;
    while (off < buf.length) {
      const view = off === 0 ? buf : buf.subarray(off);
      const r = frameStream(view, this.#maxSize);
      if (r.kind === 'message') {
        this.#crlfRun = 0;
        const msg = view.subarray(r.start, r.end);
        off += r.end;
        this.#sink.streamMessage(this, copy ? Buffer.from(msg) : msg);
        if (this.#state !== State.Open) return off;
      } else if (r.kind === 'keepalive') {
        off += r.end;
        this.#crlfRun += r.end;
        if (this.#crlfRun >= PING_BYTES) {
          this.#crlfRun = 0;
          this.socket.write(CRLF);
        }
      } else if (r.kind === 'incomplete') {
        return off;
      } else {
        this.#framingError(view, r.reason);
        return off;
      }
    }
    return off;
  }

  #framingError(view: Buffer, reason: string): void {
    const headEnd = findHeaderEnd(view);
    const headLen = headEnd >= 0 ? headEnd + 4 : Math.min(view.length, this.#maxSize);
    const head = Buffer.from(view.subarray(0, headLen));
    this.#sink.log('info', 'polysip:transport:framing-error', {
      connectionId: this.id,
      remote: `${this.remoteIp}:${this.remotePort}`,
      reason,
    });
    // The connection stays writable during the handler so it can answer 400 on it.
    try {
      this.#sink.streamFramingError(this, head, reason);
    } finally {
      this.end();
    }
  }

  /** Starts the accumulator with the unused tail of a fresh chunk. */
  #keep(chunk: Buffer, from: number): void {
    this.#accLen = 0;
    this.#append(from === 0 ? chunk : chunk.subarray(from));
  }

  #append(bytes: Buffer): void {
    const need = this.#accLen + bytes.length;
    let acc = this.#acc;
    if (acc === null || acc.length < need) {
      let size = acc === null ? MIN_ACC : acc.length * 2;
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      if (acc !== null && this.#accLen > 0) acc.copy(grown, 0, 0, this.#accLen);
      this.#acc = acc = grown;
    }
    bytes.copy(acc, this.#accLen);
    this.#accLen = need;
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}

/** A stream server tuned for SIP: Nagle off (small messages, latency matters). */
export function createStreamServer(onSocket: (socket: Socket) => void): Server {
  return createServer({ noDelay: true, allowHalfOpen: false }, onSocket);
}
