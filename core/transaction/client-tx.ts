/**
 * Client transactions (RFC 3261 §17.1, with RFC 6026's Accepted state for INVITE). The
 * final-response timers are Kamailio's: `fr` until the first reply (B/F equivalents) and, for
 * INVITE, `frInv` after a provisional one (the proxy's Timer C), restarted on each provisional.
 */
import type { ReceiveInfo, SipMessage } from '../sip/types.ts';
import type { SendTarget } from '../transport/types.ts';
import { buildAck } from './build.ts';
import { isReliable, type TxHost } from './host.ts';
import { TimerNode, type TimerTarget } from './timers.ts';

export type ClientState =
  'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/** The TU above a client transaction (one proxy branch, or a CANCEL we sent). */
export interface ClientTxUser {
  /** A response the TU must see (retransmitted non-2xx finals are absorbed here). */
  clientResponse(ct: ClientTransaction, msg: SipMessage, rcv: ReceiveInfo): void;
  /** The final-response timer fired; `provisional` says whether a 1xx was received. */
  clientTimeout(ct: ClientTransaction, provisional: boolean): void;
  /** The request could not be sent. */
  clientTransportError(ct: ClientTransaction): void;
}

const RETR = 1; // Timer A / E
const FR = 2; // fr / fr_inv (Timer B / F / C)
const LIFE = 3; // Timer D / K / M, and the wait after a timed-out provisional branch

export class ClientTransaction implements TimerTarget {
  state: ClientState;
  readonly isInvite: boolean;
  readonly reliable: boolean;
  /** Highest status received so far (0 = none). */
  lastStatus = 0;
  /**
   * The request as sent (our Via on top), and its bytes. Both are dropped once a final
   * arrives: only Calling/Trying/Proceeding retransmit or build an ACK or CANCEL from them,
   * and Timers D/K/M run tens of seconds per transaction at load.
   */
  #request: SipMessage | null;
  #data: Buffer | null;
  #ack: Buffer | null = null;
  #interval: number;
  #retr: TimerNode | null = null;
  #fr: TimerNode | null = null;
  #life: TimerNode | null = null;
  user: ClientTxUser | null;

  constructor(
    readonly host: TxHost,
    request: SipMessage,
    readonly target: SendTarget,
    readonly key: string,
    user: ClientTxUser,
    readonly frMs: number,
    readonly frInvMs: number,
  ) {
    this.user = user;
    this.#request = request;
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'calling' : 'trying';
    this.reliable = isReliable(target.transport);
    this.#data = request.serialize();
    this.#interval = host.config.t1;
  }

  /** The request as sent, until a final response arrives (then null: see #request). */
  get request(): SipMessage | null {
    return this.#request;
  }

  /** Sends the request and arms the timers; resolves false when the transport refused it. */
  async start(): Promise<boolean> {
    const data = this.#data;
    if (!data) return false;
    if (!this.reliable) this.#arm(RETR, this.#interval);
    this.#arm(FR, this.frMs);
    const ok = await this.host.send(this.target, data);
    if (!ok && this.state !== 'terminated') {
      this.terminate();
      this.user?.clientTransportError(this);
    }
    return ok;
  }

  /** After a CANCEL of a branch that never answered (§9.1): stop retransmitting. */
  stopRetransmissions(): void {
    if (this.#retr) this.host.heap.cancel(this.#retr);
  }

  receive(msg: SipMessage, rcv: ReceiveInfo): void {
    const s = msg.status;
    if (this.state === 'terminated') return;
    if (s < 200) {
      if (this.state === 'completed' || this.state === 'accepted') return;
      this.state = 'proceeding';
      if (s > this.lastStatus) this.lastStatus = s;
      if (this.isInvite) {
        this.stopRetransmissions();
        this.#arm(FR, this.frInvMs);
      } else if (!this.reliable) {
        // Timer E keeps running at T2 in Proceeding (§17.1.2.2).
        this.#interval = this.host.config.t2;
      }
      this.user?.clientResponse(this, msg, rcv);
      return;
    }
    if (this.isInvite && s < 300) {
      // 2xx: every one goes up (the proxy forwards retransmissions and other forks' 2xx).
      if (this.state !== 'accepted') {
        this.state = 'accepted';
        this.lastStatus = s;
        this.#release();
        this.#cancelTimers();
        this.#arm(LIFE, 64 * this.host.config.t1); // Timer M
      }
      this.user?.clientResponse(this, msg, rcv);
      return;
    }
    if (this.state === 'completed') {
      // A retransmitted final: answer it with the same ACK, the TU has seen it already.
      if (this.#ack) void this.host.send(this.target, this.#ack);
      return;
    }
    if (this.state === 'accepted') return;
    this.state = 'completed';
    this.lastStatus = s;
    this.#cancelTimers();
    if (this.isInvite && this.#request) {
      this.#ack = buildAck(this.#request, msg);
      void this.host.send(this.target, this.#ack);
      this.#arm(LIFE, this.reliable ? 0 : 64 * this.host.config.t1); // Timer D (≥ 32 s)
    } else {
      this.#arm(LIFE, this.reliable ? 0 : this.host.config.t4); // Timer K
    }
    this.#release();
    this.user?.clientResponse(this, msg, rcv);
  }

  onTimer(kind: number): void {
    if (this.state === 'terminated') return;
    switch (kind) {
      case RETR:
        if (this.state !== 'calling' && this.state !== 'trying' && this.state !== 'proceeding')
          return;
        if (this.isInvite && this.state === 'proceeding') return;
        if (this.#data) void this.host.send(this.target, this.#data);
        this.#interval = this.isInvite
          ? this.#interval * 2
          : Math.min(this.#interval * 2, this.host.config.t2);
        this.#arm(RETR, this.#interval);
        return;
      case FR: {
        const provisional = this.state === 'proceeding';
        if (provisional && this.isInvite) {
          // The TU cancels the branch; keep absorbing (and ACKing) its final for a while.
          this.#arm(LIFE, 64 * this.host.config.t1);
        } else {
          this.terminate();
        }
        this.user?.clientTimeout(this, provisional);
        return;
      }
      default:
        this.terminate();
    }
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.#release();
    this.#cancelTimers();
    if (this.#life) this.host.heap.cancel(this.#life);
    this.host.released(this);
  }

  /** A final arrived (or the end): nothing will be retransmitted, ACKed or CANCELled from here. */
  #release(): void {
    this.#request = null;
    this.#data = null;
  }

  /** Called once a final arrived or at the end: neither timer runs again, so drop both nodes. */
  #cancelTimers(): void {
    if (this.#retr) this.host.heap.cancel(this.#retr);
    if (this.#fr) this.host.heap.cancel(this.#fr);
    this.#retr = this.#fr = null;
  }

  #arm(kind: number, ms: number): void {
    let node: TimerNode;
    if (kind === RETR) node = this.#retr ??= new TimerNode(this, RETR);
    else if (kind === FR) node = this.#fr ??= new TimerNode(this, FR);
    else node = this.#life ??= new TimerNode(this, LIFE);
    this.host.heap.schedule(node, ms);
  }
}
