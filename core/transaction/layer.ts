/**
 * The transaction layer: the tables that match requests and responses to their transactions,
 * the timer heap that drives them, and the send path they share. It sits on the transport
 * layer and knows nothing of scripts or routing; the stateful proxy (core/proxy/stateful.ts)
 * is the TU above it.
 */
import type { ReceiveInfo, SipMessage } from '../sip/types.ts';
import type { SendTarget, TransportLayer } from '../transport/types.ts';
import { ClientTransaction, type ClientTxUser } from './client-tx.ts';
import type { TxHost } from './host.ts';
import { clientKey, dialogKey, responseKey, serverKey } from './keys.ts';
import { ServerTransaction } from './server-tx.ts';
import { DEFAULT_TIMERS, TimerHeap, type TimerConfig } from './timers.ts';

export type TxLogger = (
  level: 'debug' | 'info' | 'warn',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface TransactionLayerOptions {
  readonly transport: Pick<TransportLayer, 'send'>;
  readonly timers?: Partial<TimerConfig>;
  readonly log?: TxLogger;
  /** Clock for the timer heap (tests). */
  readonly now?: () => number;
}

export interface TransactionStats {
  readonly servers: number;
  readonly clients: number;
  readonly timers: number;
}

export class TransactionLayer implements TxHost {
  readonly heap: TimerHeap;
  config: TimerConfig;
  readonly #transport: Pick<TransportLayer, 'send'>;
  readonly #log: TxLogger;
  readonly #servers = new Map<string, ServerTransaction>();
  /** INVITE server transactions by Call-ID/From-tag/CSeq, for end-to-end ACKs. */
  readonly #invites = new Map<string, ServerTransaction>();
  readonly #clients = new Map<string, ClientTransaction>();
  #closed = false;

  constructor(opts: TransactionLayerOptions) {
    this.#transport = opts.transport;
    this.#log = opts.log ?? (() => {});
    this.config = { ...DEFAULT_TIMERS, ...opts.timers };
    this.heap = new TimerHeap(opts.now);
  }

  stats(): TransactionStats {
    return { servers: this.#servers.size, clients: this.#clients.size, timers: this.heap.size };
  }

  // ---- server side ----------------------------------------------------------------------

  /** The server transaction a request belongs to (an ACK finds its INVITE), or null. */
  findServer(msg: SipMessage): ServerTransaction | null {
    if (this.#servers.size === 0) return null;
    const key = serverKey(msg);
    return key === null ? null : (this.#servers.get(key) ?? null);
  }

  /** The INVITE transaction a CANCEL targets (§9.2: same branch, or the RFC 2543 fields). */
  findInviteForCancel(cancel: SipMessage): ServerTransaction | null {
    const key = serverKey(cancel, 'INVITE');
    return key === null ? null : (this.#servers.get(key) ?? null);
  }

  /** The INVITE transaction an ACK to its 2xx belongs to (it has a branch of its own). */
  findInviteForAck(ack: SipMessage): ServerTransaction | null {
    if (this.#invites.size === 0) return null;
    const key = dialogKey(ack);
    const st = key === null ? undefined : this.#invites.get(key);
    return st && st.state === 'accepted' ? st : null;
  }

  /** Creates the server transaction for a request; null when the request cannot have one. */
  createServer(msg: SipMessage, rcv: ReceiveInfo): ServerTransaction | null {
    if (this.#closed || msg.method === 'ACK') return null;
    const key = serverKey(msg);
    if (key === null) return null;
    const existing = this.#servers.get(key);
    if (existing) return existing;
    const st = new ServerTransaction(this, msg, rcv, key);
    this.#servers.set(key, st);
    if (st.isInvite) {
      const dk = dialogKey(msg);
      if (dk !== null && !this.#invites.has(dk)) {
        st.dialogKey = dk;
        this.#invites.set(dk, st);
      }
    }
    return st;
  }

  // ---- client side ----------------------------------------------------------------------

  /**
   * Creates a client transaction for `request` (our Via, with `branch`, already on top) and
   * sends it. The returned promise resolves once the first send is done.
   */
  createClient(
    request: SipMessage,
    branch: string,
    target: SendTarget,
    user: ClientTxUser,
    timers: { fr: number; frInv: number },
  ): ClientTransaction {
    const key = clientKey(branch, request.method);
    const ct = new ClientTransaction(this, request, target, key, user, timers.fr, timers.frInv);
    this.#clients.set(key, ct);
    return ct;
  }

  /** The client transaction a response belongs to, or null. */
  findClient(msg: SipMessage): ClientTransaction | null {
    if (this.#clients.size === 0) return null;
    const key = responseKey(msg);
    return key === null ? null : (this.#clients.get(key) ?? null);
  }

  // ---- TxHost -----------------------------------------------------------------------------

  released(tx: object): void {
    if (tx instanceof ServerTransaction) {
      if (this.#servers.get(tx.key) === tx) this.#servers.delete(tx.key);
      if (tx.dialogKey !== null && this.#invites.get(tx.dialogKey) === tx)
        this.#invites.delete(tx.dialogKey);
    } else if (tx instanceof ClientTransaction) {
      if (this.#clients.get(tx.key) === tx) this.#clients.delete(tx.key);
    }
  }

  async send(target: SendTarget, data: Buffer): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.#transport.send(target, data);
      return true;
    } catch (e) {
      this.#log('warn', 'send failed', {
        target: `${target.transport}:${target.host}:${target.port}`,
        err: (e as Error).message,
      });
      return false;
    }
  }

  log(level: 'debug' | 'info' | 'warn', msg: string, fields?: Record<string, unknown>): void {
    this.#log(level, msg, fields);
  }

  /** Stops every timer and forgets every transaction (server stop). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.heap.stop();
    this.#servers.clear();
    this.#invites.clear();
    this.#clients.clear();
  }
}
