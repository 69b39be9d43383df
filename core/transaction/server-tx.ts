/**
 * Server transactions (RFC 3261 §17.2, with RFC 6026's Accepted state for 2xx to INVITE).
 * The transaction owns the response bytes it last sent and re-sends them when the request
 * is retransmitted; the TU (proxy core or local UAS) decides what to send.
 */
import { buildResponse, generateTag } from '../sip/build.ts';
import type { ReceiveInfo, SipMessage } from '../sip/types.ts';
import { responseTarget, stampTopVia } from '../proxy/target.ts';
import type { SendTarget } from '../transport/types.ts';
import { isReliable, type TxHost } from './host.ts';
import { TimerNode, type TimerTarget } from './timers.ts';

export type ServerState =
  'trying' | 'proceeding' | 'completed' | 'accepted' | 'confirmed' | 'terminated';

/** The TU above a server transaction (the stateful proxy). */
export interface ServerTxOwner {
  /** The transaction ended (after its last timer): release what belongs to it. */
  serverTerminated(st: ServerTransaction): void;
}

/** Timer G (or local 2xx retransmission) and the lifetime timers H, I, J, L share two nodes. */
const RETR = 1;
const LIFE = 2;
const TRYING = 3;

/** What a request matching this transaction turned out to be. */
export type RetransmissionOutcome =
  /** A retransmission or an ACK this transaction consumed: nothing more to do. */
  | 'absorbed'
  /** An ACK for a 2xx this server relayed: end to end, the script routes it. */
  | 'ack-2xx';

export class ServerTransaction implements TimerTarget {
  state: ServerState;
  readonly isInvite: boolean;
  readonly reliable: boolean;
  /** Where responses go (§18.2.2, RFC 3581), fixed when the request arrived. */
  readonly target: SendTarget;
  owner: ServerTxOwner | null = null;
  /** Automatic 100 Trying for INVITE (Kamailio auto_inv_100, t_set_auto_inv_100). */
  autoTrying = true;
  /** Index keys the layer filed this transaction under. */
  dialogKey: string | null = null;
  lastStatus = 0;
  /**
   * The request as received, until the final response: building a local response is all it
   * serves, and the wait states after the final (Timers H/J/L, 32 s over UDP) would otherwise
   * hold every parsed request of the last half-minute.
   */
  #request: SipMessage | null;
  #lastResponse: Buffer | null = null;
  #toTag: string | null = null;
  #local2xx = false;
  #retr: TimerNode | null = null;
  #life: TimerNode | null = null;
  #trying: TimerNode | null = null;
  #interval = 0;

  constructor(
    readonly host: TxHost,
    /** The request as received (top Via stamped with received/rport). */
    request: SipMessage,
    readonly rcv: ReceiveInfo,
    readonly key: string,
  ) {
    this.#request = request;
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.reliable = isReliable(rcv.transport);
    stampTopVia(request, rcv);
    this.target = responseTarget(request.topVia!, rcv);
  }

  /** The request as received (top Via stamped), until a final response was sent; then null. */
  get request(): SipMessage | null {
    return this.#request;
  }

  /** The To-tag of every response this transaction generates locally. */
  get toTag(): string {
    return (this.#toTag ??= this.#request?.toTag ?? generateTag());
  }

  get lastResponse(): Buffer | null {
    return this.#lastResponse;
  }

  get finalSent(): boolean {
    return this.lastStatus >= 200;
  }

  /** A request that matched this transaction (§17.2.1, §17.2.2). */
  onRequest(msg: SipMessage): RetransmissionOutcome {
    if (msg.method === 'ACK') {
      if (this.state === 'completed') {
        this.state = 'confirmed';
        this.#stopRetr();
        this.#arm(LIFE, this.reliable ? 0 : this.host.config.t4); // Timer I
        return 'absorbed';
      }
      if (this.state === 'accepted') {
        if (this.#local2xx) {
          this.#stopRetr();
          return 'absorbed';
        }
        return 'ack-2xx';
      }
      return 'absorbed';
    }
    // A retransmitted request: the last response goes out again (nothing yet in Trying).
    if (this.#lastResponse && this.state !== 'accepted' && this.state !== 'terminated') {
      void this.host.send(this.target, this.#lastResponse);
    } else if (this.#trying?.scheduled && this.autoTrying) {
      // The client is already retransmitting: no point waiting to say we are on it.
      this.host.heap.cancel(this.#trying);
      this.reply(100, 'Trying');
    }
    return 'absorbed';
  }

  /** An end-to-end ACK matched by dialog (RFC 3261 ACK to a 2xx has its own branch). */
  onAck2xx(): RetransmissionOutcome {
    if (this.state === 'accepted' && this.#local2xx) {
      this.#stopRetr();
      return 'absorbed';
    }
    return 'ack-2xx';
  }

  /**
   * Sends a response through the transaction. `local` marks responses this server generated
   * itself (they are retransmitted if they are 2xx to INVITE over UDP: we are the UAS then).
   * Returns false when the state machine refuses it (a second final, anything after the end).
   */
  send(status: number, data: Buffer, local = false): boolean {
    if (this.#trying?.scheduled) this.host.heap.cancel(this.#trying);
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        break;
      case 'accepted':
        // RFC 6026 §7.1: further 2xx (retransmissions, other forks) pass through.
        if (status >= 200 && status < 300 && !local) {
          void this.host.send(this.target, data);
          return true;
        }
        return false;
      default:
        return false;
    }
    this.#lastResponse = data;
    if (status < 200) {
      this.state = 'proceeding';
      if (this.lastStatus < status) this.lastStatus = status;
    } else {
      this.lastStatus = status;
      this.#request = null;
      this.#trying = null; // cancelled above; no 100 Trying after a final
      const t1 = this.host.config.t1;
      if (!this.isInvite) {
        this.state = 'completed';
        this.#arm(LIFE, this.reliable ? 0 : 64 * t1); // Timer J
      } else if (status < 300) {
        this.state = 'accepted';
        this.#local2xx = local;
        this.#arm(LIFE, 64 * t1); // Timer L
        if (local && !this.reliable) this.#startRetr();
      } else {
        this.state = 'completed';
        this.#arm(LIFE, 64 * t1); // Timer H
        if (!this.reliable) this.#startRetr(); // Timer G
      }
    }
    void this.host.send(this.target, data);
    return true;
  }

  /** Sends 100 Trying after the configured delay unless another response goes out first. */
  scheduleTrying(): void {
    if (!this.isInvite || this.lastStatus > 0 || this.state === 'terminated') return;
    this.host.heap.schedule(
      (this.#trying ??= new TimerNode(this, TRYING)),
      this.host.config.trying,
    );
  }

  /** Builds and sends a local response to the request (t_reply). */
  reply(
    status: number,
    reason: string,
    opts: {
      headers?: [string, string][];
      body?: Buffer | string;
      contentType?: string;
    } = {},
  ): boolean {
    const request = this.#request;
    if (this.state === 'terminated' || this.finalSent || !request) return false;
    if (request.method === 'ACK') return false;
    const msg = buildResponse(request, status, reason, {
      toTag: status > 100 ? this.toTag : undefined,
      headers: opts.headers,
      body: opts.body,
      contentType: opts.contentType,
    });
    return this.send(status, msg.serialize(), true);
  }

  /** Ends the transaction now (server stop, a TU that gave up). */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.#request = null;
    this.#stopRetr();
    if (this.#life) this.host.heap.cancel(this.#life);
    if (this.#trying) this.host.heap.cancel(this.#trying);
    this.host.released(this);
    this.owner?.serverTerminated(this);
    this.owner = null;
  }

  onTimer(kind: number): void {
    if (kind === LIFE) {
      this.terminate();
      return;
    }
    if (kind === TRYING) {
      if (this.lastStatus === 0 && this.autoTrying) this.reply(100, 'Trying');
      return;
    }
    if (!this.#lastResponse || (this.state !== 'completed' && this.state !== 'accepted')) return;
    void this.host.send(this.target, this.#lastResponse);
    // Timer G doubles up to T2; a local 2xx does the same (§13.3.1.4).
    this.#interval = Math.min(this.#interval * 2, this.host.config.t2);
    this.host.heap.schedule(this.#retr!, this.#interval);
  }

  #startRetr(): void {
    this.#interval = this.host.config.t1;
    this.#arm(RETR, this.#interval);
  }

  #stopRetr(): void {
    if (this.#retr) this.host.heap.cancel(this.#retr);
  }

  #arm(kind: number, ms: number): void {
    const node =
      kind === RETR
        ? (this.#retr ??= new TimerNode(this, RETR))
        : (this.#life ??= new TimerNode(this, LIFE));
    this.host.heap.schedule(node, ms);
  }
}
