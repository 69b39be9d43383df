/**
 * Stateful proxying (RFC 3261 §16) over the transaction layer — Kamailio's tm core. A
 * ProxyTransaction joins one server transaction to its branches (client transactions):
 * parallel and serial forking, best-response selection (§16.7), CANCEL, hop-by-hop ACK
 * (in the client transaction), 408 on timeout and 503 on transport errors, and the
 * per-transaction script callbacks (branch, onreply and failure routes) run by name on the
 * script version that armed them.
 */
import type { PvValue, RouteContext } from '../api/context.ts';
import type { RouteOutcome, RouteType, ScriptInstance } from '../api/script.ts';
import { generateBranch } from '../sip/build.ts';
import { parseMessage } from '../sip/parser.ts';
import { parseUri } from '../sip/uri.ts';
import type { ReceiveInfo, SipMessage, Transport } from '../sip/types.ts';
import type { Listener, SendTarget } from '../transport/types.ts';
import { buildCancel } from '../transaction/build.ts';
import type { ClientTransaction, ClientTxUser } from '../transaction/client-tx.ts';
import type { TransactionLayer } from '../transaction/layer.ts';
import type { ServerTransaction, ServerTxOwner } from '../transaction/server-tx.ts';
import { TimerNode, type TimerTarget } from '../transaction/timers.ts';
import { decrementMaxForwards } from './stateless.ts';
import { hostForUri, targetFromUri } from './target.ts';

/** ctx.ext key of the per-context tm state (TmState). */
export const TM_KEY = 'tm';
/**
 * ctx.ext key of hooks run on each outgoing request just before it is sent (rr adds its
 * second Record-Route there when the outgoing socket differs from the incoming one).
 */
export const PRE_SEND_KEY = 'core:pre-send';
export type PreSendHook = (msg: SipMessage, out: Listener, ctx: RouteContext) => void;

/**
 * ctx.ext key of the Max-Forwards value the request arrived with. Kamailio leaves the
 * decrement to the script (maxfwd); the core decrements only when the script did not, so a
 * request is never decremented twice.
 */
export const MF_IN_KEY = 'core:mf-in';

/** Decrements Max-Forwards of an outgoing request unless the script already did. */
export function decrementOnce(msg: SipMessage, received: number | null | undefined): void {
  if (received === undefined || msg.maxForwards === received) decrementMaxForwards(msg);
}

/** Marks the branches we mint statefully (responses are matched by table, not by prefix). */
export const STATEFUL_BRANCH_PREFIX = 'z9hG4bKtm';

export type CallbackKind =
  'failure_route' | 'branch_route' | 'onreply_route' | 'branch_failure_route';

/** What the core needs from the server to run callbacks and send. */
export interface ProxyHost {
  newContext(
    msg: SipMessage,
    rcv: ReceiveInfo,
    routeType: RouteType,
    script: ScriptInstance<RouteContext>,
  ): RouteContext;
  runRoute(
    script: ScriptInstance<RouteContext>,
    name: string,
    ctx: RouteContext,
    arg?: string,
  ): Promise<RouteOutcome>;
  listenerFor(target: SendTarget): Listener | null;
  /** Stateless forwarding (ACKs to 2xx go end to end without a transaction). */
  forward(ctx: RouteContext, uri?: string | null): Promise<boolean>;
  /** The script's onsend route, if any; false when it dropped the request. */
  onSend(
    script: ScriptInstance<RouteContext>,
    ctx: RouteContext,
    out: SipMessage,
    target: SendTarget,
    listener: Listener,
  ): Promise<boolean>;
}

/** An error reply t_relay recorded for sl_reply_error / t_reply_error. */
export interface RelayError {
  readonly status: number;
  readonly reason: string;
}

/** tm's state on one RouteContext (request, failure, branch or onreply route). */
export class TmState {
  txn: ProxyTransaction | null = null;
  /** Callbacks armed before the transaction exists (picked up by t_relay). */
  onFailure: string | null = null;
  onBranch: string | null = null;
  onReply: string | null = null;
  onBranchFailure: string | null = null;
  fr: number | null = null;
  frInv: number | null = null;
  /** Branch this route is about (branch/onreply/failure routes), -1 otherwise. */
  branchIdx = -1;
  /** Another copy of this request was being routed when this one arrived (t_precheck_trans). */
  precheck = false;
  lastError: RelayError | null = null;
  /** Failure route: the R-URI as faked, to know whether the script set a new one. */
  initialRuri: string | null = null;
}

export function tmState(ctx: RouteContext): TmState {
  let s = ctx.ext.get(TM_KEY) as TmState | undefined;
  if (!s) {
    s = new TmState();
    ctx.ext.set(TM_KEY, s);
  }
  return s;
}

export function boundTransaction(ctx: RouteContext): ProxyTransaction | null {
  return (ctx.ext.get(TM_KEY) as TmState | undefined)?.txn ?? null;
}

export interface RelayOptions {
  /** Next hop instead of $du / Route / R-URI (t_relay_to_uri, t_relay_to_proxy). */
  readonly uri?: string | null;
  /** Forces the transport (t_relay_to_proto). */
  readonly proto?: Transport | null;
}

const CANCEL_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';
const AUTH_HEADERS = ['www-authenticate', 'proxy-authenticate'];

/**
 * A message kept only in case someone asks for it again, as bytes: a parsed message holds
 * its header lines, parsed caches and the datagram it came in (several KiB), its bytes a few
 * hundred. A pristine message serializes to a view of the buffer it arrived in; a view of a
 * large stream chunk is copied so the chunk is not kept alive with it.
 */
function wire(msg: SipMessage): Buffer {
  const b = msg.serialize();
  return b.buffer.byteLength > Math.max(Buffer.poolSize, 2 * b.length) ? Buffer.from(b) : b;
}

/** Shared and never written (ProxyTransaction only reads its maps): an empty Map is ~250 B. */
const NO_AVPS: ReadonlyMap<string, PvValue[]> = new Map();
const NO_XAVPS: ReadonlyMap<string, Map<string, PvValue>[]> = new Map();

function isWire(m: SipMessage | Buffer | null): m is Buffer {
  return m instanceof Uint8Array;
}

/** Responses to CANCELs we send are of no interest to anyone. */
const CANCEL_SINK: ClientTxUser = {
  clientResponse() {},
  clientTimeout() {},
  clientTransportError() {},
};

export class ProxyBranch implements ClientTxUser {
  ct: ClientTransaction | null = null;
  /** The final response received, as bytes once the transaction answered upstream. */
  #reply: SipMessage | Buffer | null = null;
  status = 0;
  reason = '';
  /** A final (received or local) is known for this branch. */
  done = false;
  /** Any response arrived (t_branch_replied). */
  replied = false;
  provisional = false;
  timedOut = false;
  /** Excluded from best-response selection (t_drop_replies, serial forking). */
  dropped = false;
  cancelPending: string | null = null;
  cancelSent = false;

  constructor(
    readonly txn: ProxyTransaction,
    readonly idx: number,
    readonly uri: string,
    readonly target: SendTarget,
  ) {}

  /** The final response received (null: none, or a local one in `status`). */
  get reply(): SipMessage | null {
    const r = this.#reply;
    // Parsed again only when a late reader ($T_rpl after the final) asks for it.
    return isWire(r) ? (this.#reply = parseMessage(r)) : r;
  }

  set reply(msg: SipMessage | null) {
    this.#reply = msg;
  }

  /**
   * The request sent on this branch, while its client transaction may still CANCEL or ACK
   * it (null once the branch has its final: the client transaction dropped it).
   */
  get request(): SipMessage | null {
    return this.ct?.request ?? null;
  }

  /**
   * Keeps the final response as bytes only (the transaction answered upstream); `relayed`
   * with its bytes `data` when this reply is the one that went upstream.
   */
  compact(relayed?: SipMessage, data?: Buffer): void {
    const r = this.#reply;
    if (r === null || isWire(r)) return;
    this.#reply = r === relayed && data ? data : wire(r);
  }

  clientResponse(_ct: ClientTransaction, msg: SipMessage, rcv: ReceiveInfo): void {
    this.txn.branchResponse(this, msg, rcv);
  }

  clientTimeout(_ct: ClientTransaction, provisional: boolean): void {
    this.timedOut = true;
    if (provisional) this.txn.proxy.sendCancel(this, null);
    this.txn.branchLocalFinal(this, 408, 'Request Timeout');
  }

  clientTransportError(): void {
    this.txn.branchLocalFinal(this, 503, 'Service Unavailable');
  }
}

let nextIndex = 1;

export class ProxyTransaction implements ServerTxOwner, TimerTarget {
  readonly branches: ProxyBranch[] = [];
  /**
   * Copy of the request for failure routes and later branches (t_save_lumps refreshes it);
   * bytes once a final went upstream (see #compact).
   */
  #request: SipMessage | Buffer;
  flags = 0;
  xflags = 0n;
  /** The relaying route's AVPs (its own Map: what it adds after t_relay belongs here too). */
  avps: ReadonlyMap<string, PvValue[]> = NO_AVPS;
  xavps: ReadonlyMap<string, Map<string, PvValue>[]> = NO_XAVPS;
  onFailure = '';
  onBranch = '';
  onReply = '';
  onBranchFailure = '';
  fr: number;
  frInv: number;
  canceled = false;
  cancelReason: string | null = null;
  /** Branch whose reply was picked last (failure route, upstream reply). */
  picked = -1;
  /** Code and reason of the reply sent upstream, or picked for the failure route. */
  replyCode = 0;
  replyReason = '';
  disable6xx = false;
  suspended = false;
  /** Max-Forwards as received (see MF_IN_KEY). */
  mfIn: number | null | undefined = undefined;
  /** $T(id_index) / $T(id_label). */
  readonly index: number;
  readonly label: number;
  #relaying = 0;
  #inFailure = false;
  #released = false;
  #life: TimerNode | null = null;

  constructor(
    readonly proxy: StatefulProxy,
    readonly uas: ServerTransaction,
    readonly script: ScriptInstance<RouteContext>,
    /** The request the server transaction was created for. */
    request: SipMessage,
  ) {
    this.#request = request.clone();
    const cfg = proxy.layer.config;
    this.fr = cfg.fr;
    this.frInv = cfg.frInv;
    this.index = nextIndex++;
    if (nextIndex > 0x7fffffff) nextIndex = 1;
    this.label = (Math.random() * 0x7fffffff) | 0;
    uas.owner = this;
    this.#life = new TimerNode(this, 0);
    proxy.layer.heap.schedule(
      this.#life,
      uas.isInvite ? cfg.maxInvLifetime : cfg.maxNonInvLifetime,
    );
  }

  /** The transaction's copy of the request ($T_req, failure routes, t_continue). */
  get request(): SipMessage {
    const r = this.#request;
    // Parsed again only when asked for after the final (a late $T_req, t_continue).
    return isWire(r) ? (this.#request = parseMessage(r)) : r;
  }

  set request(msg: SipMessage) {
    this.#request = msg;
  }

  get autoInv100(): boolean {
    return this.uas.autoTrying;
  }

  set autoInv100(on: boolean) {
    this.uas.autoTrying = on;
  }

  get rcv(): ReceiveInfo {
    return this.uas.rcv;
  }

  get released(): boolean {
    return this.#released;
  }

  get inFailureRoute(): boolean {
    return this.#inFailure;
  }

  /** Pending: created, not every branch has a final and nothing final was sent upstream. */
  get pendingBranches(): number {
    let n = 0;
    for (const b of this.branches) if (!b.done) n++;
    return n;
  }

  // ---- script state -------------------------------------------------------------------

  /** Takes the flags/AVPs/armed callbacks of the route that relays or replies. */
  absorb(ctx: RouteContext, st: TmState): void {
    this.flags = ctx.flags;
    this.xflags = ctx.xflags;
    this.avps = ctx.avps;
    this.xavps = ctx.xavps;
    if (st.onFailure !== null) this.onFailure = st.onFailure;
    if (st.onBranch !== null) this.onBranch = st.onBranch;
    if (st.onReply !== null) this.onReply = st.onReply;
    if (st.onBranchFailure !== null) this.onBranchFailure = st.onBranchFailure;
    if (st.fr !== null) this.fr = st.fr;
    if (st.frInv !== null) this.frInv = st.frInv;
    st.onFailure = st.onBranch = st.onReply = st.onBranchFailure = null;
    st.fr = st.frInv = null;
  }

  /** A context for a callback route on this transaction (flags and AVPs travel with it). */
  context(msg: SipMessage, routeType: RouteType, branchIdx: number): RouteContext {
    const ctx = this.proxy.host.newContext(msg, this.rcv, routeType, this.script);
    ctx.flags = this.flags;
    ctx.xflags = this.xflags;
    for (const [k, v] of this.avps) ctx.avps.set(k, v);
    for (const [k, v] of this.xavps) ctx.xavps.set(k, v);
    const st = tmState(ctx);
    st.txn = this;
    st.branchIdx = branchIdx;
    this.proxy.bind(ctx);
    return ctx;
  }

  // ---- replies upstream -------------------------------------------------------------------

  /** A reply generated here (t_reply, 100 Trying, internal errors). */
  replyLocal(status: number, reason: string, opts?: { headers?: [string, string][] }): boolean {
    const ok = this.uas.reply(status, reason, opts);
    if (ok && status >= 200) this.#finalSent(status, reason);
    return ok;
  }

  #relayUpstream(msg: SipMessage): boolean {
    msg.popVia();
    const data = msg.serialize();
    const ok = this.uas.send(msg.status, data);
    if (ok && msg.status >= 200) this.#finalSent(msg.status, msg.reason, msg, data);
    return ok;
  }

  /** `relayed`/`data`: the reply that went upstream and its bytes, as it is now (Via popped). */
  #finalSent(status: number, reason: string, relayed?: SipMessage, data?: Buffer): void {
    if (this.replyCode >= 200 && this.replyCode < 300) return;
    this.replyCode = status;
    this.replyReason = reason;
    if (this.#life) this.proxy.layer.heap.cancel(this.#life);
    this.#life = null;
    this.#compact(relayed, data);
  }

  /**
   * The final went upstream: no failure route, best-reply selection or new branch will need
   * the parsed request or replies again, but the transaction lives on for the RFC's wait
   * states (Timer L/J/H, 32 s over UDP) and a late $T_req/$T_rpl may still ask. Keep bytes.
   */
  #compact(relayed?: SipMessage, data?: Buffer): void {
    const r = this.#request;
    if (!isWire(r)) this.#request = wire(r);
    // The relayed reply's bytes are already kept by the server transaction: share them.
    for (const b of this.branches) b.compact(relayed, data);
  }

  // ---- branch events ------------------------------------------------------------------------

  branchResponse(b: ProxyBranch, msg: SipMessage, rcv: ReceiveInfo): void {
    b.replied = true;
    const s = msg.status;
    if (s < 200) {
      b.provisional = true;
      if (b.cancelPending !== null && !b.cancelSent) this.proxy.sendCancel(b, b.cancelPending);
      if (s === 100 || this.uas.finalSent) return;
    }
    if (this.onReply !== '') {
      void this.#onReplyRoute(b, msg, rcv);
      return;
    }
    this.#afterReplyRoute(b, msg);
  }

  async #onReplyRoute(b: ProxyBranch, msg: SipMessage, rcv: ReceiveInfo): Promise<void> {
    const ctx = this.proxy.host.newContext(msg, rcv, 'onreply', this.script);
    ctx.flags = this.flags;
    ctx.xflags = this.xflags;
    for (const [k, v] of this.avps) ctx.avps.set(k, v);
    const st = tmState(ctx);
    st.txn = this;
    st.branchIdx = b.idx;
    const outcome = await this.proxy.host.runRoute(this.script, this.onReply, ctx);
    this.flags = ctx.flags;
    const dropped = ctx.dropped || (outcome.kind === 'exit' && outcome.drop);
    // Only provisional replies can be dropped (Kamailio ignores drop for finals).
    if (dropped && msg.status < 200) return;
    this.#afterReplyRoute(b, msg);
  }

  #afterReplyRoute(b: ProxyBranch, msg: SipMessage): void {
    const s = msg.status;
    if (s < 200) {
      this.#relayUpstream(msg);
      return;
    }
    if (s < 300) {
      const first = !b.done;
      if (first) {
        b.done = true;
        b.reply = msg;
        b.status = s;
        b.reason = msg.reason;
        this.picked = b.idx;
      }
      // §16.7 step 5: every 2xx goes upstream at once, retransmissions included.
      this.#relayUpstream(msg);
      if (first) {
        this.cancelPending(b, CANCEL_ELSEWHERE);
        b.compact(); // a later fork's 2xx: the first one already compacted the rest
      }
      return;
    }
    if (b.done) return; // already finished locally (timeout, cancel)
    b.done = true;
    b.reply = msg;
    b.status = s;
    b.reason = msg.reason;
    if (s >= 600 && !this.disable6xx) this.cancelPending(b, null);
    if (this.uas.finalSent)
      b.compact(); // a branch finishing after the answer upstream
    else this.maybeComplete();
  }

  /** A final this proxy decided for a branch (408 timeout, 503 transport, 487 cancelled). */
  branchLocalFinal(b: ProxyBranch, status: number, reason: string): void {
    if (b.done) return;
    b.done = true;
    b.status = status;
    b.reason = reason;
    this.maybeComplete();
  }

  /** CANCELs every pending branch but `except` (a 2xx or 6xx arrived, or upstream cancelled). */
  cancelPending(except: ProxyBranch | null, reason: string | null): void {
    for (const b of this.branches) {
      if (b === except || b.done) continue;
      this.proxy.cancelBranch(b, reason);
    }
  }

  /** Upstream CANCEL (§16.10). */
  cancel(reason: string | null): void {
    this.canceled = true;
    this.cancelReason = reason;
    this.cancelPending(null, reason);
  }

  // ---- completion -----------------------------------------------------------------------------

  beginRelay(): void {
    this.#relaying++;
  }

  endRelay(): void {
    this.#relaying--;
  }

  /** When every branch has a final and nothing final went upstream: failure route or best reply. */
  maybeComplete(): void {
    if (this.#released || this.#relaying > 0 || this.#inFailure || this.suspended) return;
    if (this.uas.finalSent) return;
    if (this.branches.length === 0) return;
    for (const b of this.branches) if (!b.done) return;
    const best = selectBest(this.branches);
    this.picked = best;
    if (this.onFailure !== '' && best >= 0) {
      const b = this.branches[best]!;
      this.replyCode = b.status;
      this.replyReason = b.reason;
      void this.#runFailureRoute(best);
      return;
    }
    this.sendBest(best);
  }

  async #runFailureRoute(best: number): Promise<void> {
    const name = this.onFailure;
    this.onFailure = ''; // one-shot, as in Kamailio
    const before = this.branches.length;
    const ctx = this.context(this.request.clone(), 'failure', best);
    const st = tmState(ctx);
    st.initialRuri = ctx.msg.ruri;
    this.#inFailure = true;
    try {
      await this.proxy.host.runRoute(this.script, name, ctx);
    } finally {
      this.#inFailure = false;
    }
    this.flags = ctx.flags;
    this.xflags = ctx.xflags;
    this.absorb(ctx, st);
    if (this.uas.finalSent || this.#released) return;
    if (this.branches.length > before) {
      // Serial forking: only the new branches' replies compete from now on.
      for (let i = 0; i < before; i++) this.branches[i]!.dropped = true;
    }
    this.maybeComplete();
  }

  sendBest(best: number): void {
    if (this.uas.finalSent) return;
    const b = best >= 0 ? this.branches[best] : undefined;
    if (!b) {
      this.replyLocal(500, 'Server Internal Error');
      return;
    }
    this.picked = best;
    if (!b.reply) {
      this.replyLocal(b.status, b.reason);
      return;
    }
    const out = b.reply;
    if (b.status === 401 || b.status === 407) {
      // §16.7 step 7: every challenge received goes up in the one reply.
      for (const o of this.branches) {
        if (o === b || !o.reply || (o.status !== 401 && o.status !== 407)) continue;
        for (const h of o.reply.headerFields()) {
          if (AUTH_HEADERS.includes(h.lname)) out.appendHeader(h.name, h.value);
        }
      }
    }
    this.#relayUpstream(out);
  }

  // ---- lifetime ---------------------------------------------------------------------------

  onTimer(_kind: number): void {
    // Max lifetime passed without a final reply (a script that never answered, a hung branch).
    if (this.uas.finalSent || this.#released) return;
    this.cancelPending(null, null);
    this.replyLocal(
      this.uas.isInvite ? 408 : 500,
      this.uas.isInvite ? 'Request Timeout' : 'Server Internal Error',
    );
  }

  serverTerminated(): void {
    this.#released = true;
    if (this.#life) this.proxy.layer.heap.cancel(this.#life);
    this.#life = null;
    this.proxy.released(this);
    for (const b of this.branches) {
      // The upstream side is gone: stop branches that still retransmit.
      if (b.ct && !b.done) b.ct.stopRetransmissions();
    }
  }
}

/**
 * §16.7 step 6: a 6xx if any, else the lowest class (3xx < 4xx < 5xx); within 4xx the
 * challenges and the codes a client can act on come first; then the lowest code.
 */
export function selectBest(branches: readonly ProxyBranch[]): number {
  let best = -1;
  let bestRank = Infinity;
  for (const b of branches) {
    if (!b.done || b.dropped) continue;
    const r = rank(b.status);
    if (r < bestRank) {
      bestRank = r;
      best = b.idx;
    }
  }
  if (best < 0) {
    // Everything was dropped: fall back to the newest branch with a final.
    for (let i = branches.length - 1; i >= 0; i--) if (branches[i]!.done) return i;
  }
  return best;
}

const PREFERRED_4XX = new Set([401, 407, 415, 420, 484]);

function rank(status: number): number {
  if (status >= 600) return status - 600;
  if (status >= 200 && status < 300) return 1000 + status;
  const cls = Math.floor(status / 100);
  const bonus = cls === 4 && PREFERRED_4XX.has(status) ? 0 : 100;
  return cls * 10000 + bonus + (status % 100);
}

export interface StatefulProxyOptions {
  readonly layer: TransactionLayer;
  readonly host: ProxyHost;
}

/** The TU over the transaction layer; the tm/tmx modules drive it through `ctx.core.transactions`. */
export class StatefulProxy {
  readonly layer: TransactionLayer;
  readonly host: ProxyHost;
  readonly #binders: ((ctx: RouteContext) => void)[] = [];
  readonly #suspended = new Map<number, ProxyTransaction>();
  #live = 0;

  constructor(opts: StatefulProxyOptions) {
    this.layer = opts.layer;
    this.host = opts.host;
  }

  /** Live proxy transactions (memory checks). */
  get size(): number {
    return this.#live;
  }

  /** Lets a module decorate every context bound to a transaction (tm: stateful sl replies). */
  addBinder(fn: (ctx: RouteContext) => void): void {
    if (!this.#binders.includes(fn)) this.#binders.push(fn);
  }

  bind(ctx: RouteContext): void {
    for (const f of this.#binders) f(ctx);
  }

  released(txn: ProxyTransaction): void {
    this.#live--;
    this.#suspended.delete(txn.index);
  }

  // ---- transactions for the request route ---------------------------------------------------

  /**
   * t_newtran: the transaction of ctx's request, created if needed. 1 created or bound,
   * 0 a retransmission of a request already in a transaction (answered again), -1 error.
   */
  newTransaction(ctx: RouteContext): { code: number; txn: ProxyTransaction | null } {
    const st = tmState(ctx);
    if (st.txn) return { code: 1, txn: st.txn };
    const msg = ctx.msg;
    if (!msg.isRequest || msg.method === 'ACK') return { code: -1, txn: null };
    const existing = this.layer.findServer(msg);
    if (existing) {
      existing.onRequest(msg);
      return { code: 0, txn: null };
    }
    const uas = this.layer.createServer(msg, ctx.rcv);
    if (!uas) return { code: -1, txn: null };
    const txn = new ProxyTransaction(this, uas, ctx.script, msg);
    txn.mfIn = ctx.ext.get(MF_IN_KEY) as number | null | undefined;
    this.#live++;
    st.txn = txn;
    this.bind(ctx);
    if (uas.isInvite && txn.autoInv100) uas.scheduleTrying();
    return { code: 1, txn };
  }

  /** t_check_trans (Kamailio semantics, see the tm module). */
  checkTransaction(ctx: RouteContext): number {
    const msg = ctx.msg;
    if (!msg.isRequest) {
      return this.layer.findClient(msg) ? 1 : -1;
    }
    if (msg.method === 'CANCEL') {
      return this.layer.findInviteForCancel(msg)?.owner ? 1 : -1;
    }
    if (tmState(ctx).txn) return 1;
    const st = this.layer.findServer(msg);
    if (st) {
      // A retransmission, or an ACK to a negative reply: handled, the script stops.
      st.onRequest(msg);
      return 0;
    }
    if (msg.method === 'ACK' && this.layer.findInviteForAck(msg)) return 1;
    return -1;
  }

  // ---- relaying -----------------------------------------------------------------------------

  /** t_relay and friends: 1 when at least one branch went out, -1 otherwise (see st.lastError). */
  async relay(ctx: RouteContext, opts: RelayOptions = {}): Promise<number> {
    const msg = ctx.msg;
    const st = tmState(ctx);
    if (!msg.isRequest) return -1;
    if (msg.method === 'ACK') {
      // ACKs to 2xx travel end to end, without a transaction (§16.6 / RFC 6026).
      const ok = await this.host.forward(ctx, opts.uri ?? null);
      if (!ok) st.lastError = { status: 503, reason: 'Service Unavailable' };
      return ok ? 1 : -1;
    }
    if (msg.method === 'CANCEL' && !st.txn) {
      const inv = this.layer.findInviteForCancel(msg);
      const owner = inv?.owner;
      if (owner instanceof ProxyTransaction) return this.#relayCancel(ctx, owner);
    }
    let created = false;
    let txn = st.txn;
    if (!txn) {
      const r = this.newTransaction(ctx);
      if (r.code === 0) return 0;
      if (!r.txn) {
        st.lastError = { status: 500, reason: 'Server Internal Error' };
        return -1;
      }
      txn = r.txn;
      created = true;
    }
    if (txn.uas.finalSent) {
      st.lastError = { status: 500, reason: 'Server Internal Error' };
      return -1;
    }
    txn.absorb(ctx, st);
    const sent = await this.#addBranches(ctx, txn, opts);
    if (sent > 0) {
      ctx.forwarded = true;
      txn.maybeComplete();
      return 1;
    }
    st.lastError = { status: 503, reason: 'Service Unavailable' };
    if (created && ctx.routeType === 'request') {
      // Nothing left: the script answers (sl_reply_error) as it would have statelessly.
      for (const b of txn.branches) b.ct?.terminate();
      txn.uas.terminate();
      st.txn = null;
    }
    return -1;
  }

  async #relayCancel(ctx: RouteContext, inv: ProxyTransaction): Promise<number> {
    const uas = this.layer.createServer(ctx.msg, ctx.rcv);
    if (uas) uas.reply(200, 'canceling');
    ctx.replied = true;
    if (!inv.uas.finalSent) inv.cancel(ctx.msg.header('reason'));
    else inv.canceled = true;
    return 1;
  }

  /** Sends the R-URI branch (if new) and every appended branch of ctx; returns how many went. */
  async #addBranches(
    ctx: RouteContext,
    txn: ProxyTransaction,
    opts: RelayOptions,
  ): Promise<number> {
    const dests: { uri: string; dstUri: string | null; bflags: number }[] = [];
    const st = tmState(ctx);
    const ruriIsNew =
      ctx.routeType !== 'failure' ||
      st.initialRuri === null ||
      ctx.msg.ruri !== st.initialRuri ||
      ctx.dstUri !== null ||
      (opts.uri ?? null) !== null;
    if (ruriIsNew) dests.push({ uri: ctx.msg.ruri, dstUri: ctx.dstUri, bflags: ctx.bflags });
    for (const b of ctx.branches) dests.push({ uri: b.uri, dstUri: b.dstUri, bflags: b.flags });
    ctx.branches.length = 0;
    if (ctx.routeType === 'failure') st.initialRuri = ctx.msg.ruri;
    if (dests.length === 0) return 0;
    txn.beginRelay();
    try {
      const starts: Promise<boolean>[] = [];
      for (const d of dests) {
        const b = await this.#prepareBranch(ctx, txn, d, opts);
        if (b?.ct) starts.push(b.ct.start());
      }
      const results = await Promise.all(starts);
      let n = 0;
      for (const ok of results) if (ok) n++;
      return n;
    } finally {
      txn.endRelay();
    }
  }

  async #prepareBranch(
    ctx: RouteContext,
    txn: ProxyTransaction,
    d: { uri: string; dstUri: string | null; bflags: number },
    opts: RelayOptions,
  ): Promise<ProxyBranch | null> {
    let bmsg = ctx.msg.clone();
    if (d.uri !== bmsg.ruri) bmsg.setRuri(d.uri);
    let dstUri = d.dstUri;
    const idx = txn.branches.length;
    if (txn.onBranch !== '') {
      const bctx = txn.context(bmsg, 'branch', idx);
      bctx.flags = ctx.flags;
      bctx.bflags = d.bflags;
      bctx.dstUri = dstUri;
      const outcome = await this.host.runRoute(txn.script, txn.onBranch, bctx);
      if (bctx.dropped || (outcome.kind === 'exit' && outcome.drop)) return null;
      bmsg = bctx.msg;
      dstUri = bctx.dstUri;
    }
    let target: SendTarget;
    try {
      const next = opts.uri ?? dstUri ?? firstRouteUri(bmsg) ?? bmsg.ruri;
      target = targetFromUri(parseUri(next));
      if (opts.proto) target = { ...target, transport: opts.proto };
    } catch (e) {
      this.layer.log('info', 'cannot relay: bad next hop', {
        callId: bmsg.callId,
        err: (e as Error).message,
      });
      return null;
    }
    const out = this.host.listenerFor(target);
    if (!out) {
      this.layer.log('info', 'cannot relay: no listener for the transport', {
        callId: bmsg.callId,
        transport: target.transport,
      });
      return null;
    }
    decrementOnce(bmsg, txn.mfIn);
    const hooks = ctx.ext.get(PRE_SEND_KEY) as PreSendHook[] | undefined;
    if (hooks) for (const h of hooks) h(bmsg, out, ctx);
    const branch = STATEFUL_BRANCH_PREFIX + generateBranch().slice(7);
    bmsg.pushVia(
      `SIP/2.0/${out.transport.toUpperCase()} ${hostForUri(out.host)}:${out.port};branch=${branch}`,
    );
    if (!(await this.host.onSend(txn.script, ctx, bmsg, target, out))) return null;
    const b = new ProxyBranch(txn, idx, d.uri, target);
    txn.branches.push(b);
    b.ct = this.layer.createClient(bmsg, branch, target, b, { fr: txn.fr, frInv: txn.frInv });
    return b;
  }

  /** Cancels one branch (§9.1): a CANCEL once it has answered, else stop and wait for a 1xx. */
  cancelBranch(b: ProxyBranch, reason: string | null): void {
    if (b.done || b.cancelSent || !b.ct) return;
    if (!b.ct.isInvite) return;
    if (b.provisional) {
      this.sendCancel(b, reason);
      return;
    }
    // No provisional yet: no CANCEL may be sent (§9.1). Stop retransmitting, answer the
    // branch with a local 487 now, and CANCEL if a provisional still shows up.
    b.cancelPending = reason ?? '';
    b.ct.stopRetransmissions();
    b.txn.branchLocalFinal(b, 487, 'Request Terminated');
  }

  sendCancel(b: ProxyBranch, reason: string | null): void {
    if (b.cancelSent || !b.ct || b.ct.state === 'terminated') return;
    if (b.ct.state === 'completed' || b.ct.state === 'accepted') return;
    const request = b.request;
    if (!request) return;
    b.cancelSent = true;
    const cancel = buildCancel(request, reason || null);
    const branch = request.topVia?.branch;
    if (!branch) return;
    const ct = this.layer.createClient(cancel, branch, b.target, CANCEL_SINK, {
      fr: b.txn.fr,
      frInv: b.txn.frInv,
    });
    void ct.start();
  }

  // ---- suspend / continue --------------------------------------------------------------------

  suspend(ctx: RouteContext): ProxyTransaction | null {
    const st = tmState(ctx);
    let txn = st.txn;
    if (!txn) txn = this.newTransaction(ctx).txn;
    if (!txn) return null;
    txn.absorb(ctx, st);
    txn.suspended = true;
    this.#suspended.set(txn.index, txn);
    return txn;
  }

  /** t_continue: runs `fn` on a copy of the suspended request, then carries on as after a route. */
  async resume(index: number, label: number, fn: string): Promise<number> {
    const txn = this.#suspended.get(index);
    if (!txn || txn.label !== label) return -1;
    this.#suspended.delete(index);
    txn.suspended = false;
    const ctx = txn.context(txn.request.clone(), 'failure', -1);
    tmState(ctx).initialRuri = null;
    await this.host.runRoute(txn.script, fn, ctx, 'tm:continue');
    txn.absorb(ctx, tmState(ctx));
    txn.maybeComplete();
    return 1;
  }
}

function firstRouteUri(msg: SipMessage): string | null {
  if (!msg.hasHeader('route')) return null;
  const routes = msg.routes();
  return routes.length > 0 ? routes[0]!.uri.raw : null;
}
