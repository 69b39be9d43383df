/**
 * The SIP pipeline: bytes from the transports are parsed, bad requests answered 400, new
 * requests handed to the script's request route, stateless responses routed back by Via.
 * It also lends the script-facing services (reply, forward, myself) to the modules.
 */
import { hash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import {
  newRouteContext,
  type CoreServices,
  type MessageHooks,
  type PvValue,
  type RouteContext,
  type ScriptLogLevel,
  type SendInfo,
  SEND_INFO_KEY,
} from './api/context.ts';
import type { RouteOutcome, RouteType, ScriptInstance } from './api/script.ts';
import { kamailioDebugLevel } from './log.ts';
import { SipParseError } from './sip/errors.ts';
import { parseMessage } from './sip/parser.ts';
import { parseUri } from './sip/uri.ts';
import { parseViaList } from './sip/via.ts';
import { buildResponse, buildResponseFromPartial } from './sip/build.ts';
import type { ReceiveInfo, SipMessage } from './sip/types.ts';
import type { Listener, SendTarget, TransportLayer } from './transport/types.ts';
import { TransactionLayer } from './transaction/layer.ts';
import { serverKey } from './transaction/keys.ts';
import type { TimerConfig } from './transaction/timers.ts';
import {
  boundTransaction,
  decrementOnce,
  MF_IN_KEY,
  PRE_SEND_KEY,
  ProxyBranch,
  StatefulProxy,
  tmState,
  type PreSendHook,
  type ProxyHost,
} from './proxy/stateful.ts';
import { statelessBranch, STATELESS_BRANCH_PREFIX } from './proxy/stateless.ts';
import {
  hostForUri,
  responseTarget,
  stampTopVia,
  stripBrackets,
  targetFromUri,
} from './proxy/target.ts';

export interface ServerOptions {
  readonly transport: TransportLayer;
  readonly log: Logger;
  /** Domains (host or host:port) this server answers for besides its listening addresses. */
  readonly aliases?: readonly string[];
  /**
   * Which tenant, hence which script version, routes each new request. Required unless
   * `script` is given.
   */
  readonly tenants?: TenantSelector;
  /**
   * Shorthand for a single script and no tenants (tests): the same as a selector whose main
   * tenant runs this getter with no in-flight limit. Ignored when `tenants` is given.
   */
  readonly script?: () => ScriptInstance<RouteContext>;
  /** Route names, as Kamailio's kemi.*_route_callback. */
  readonly requestRoute?: string;
  readonly replyRoute?: string;
  readonly onsendRoute?: string;
  /** Transaction timers (T1, T2, T4, fr, fr_inv…), milliseconds. */
  readonly timers?: Partial<TimerConfig>;
  /** Wire transforms (topology hiding); without them nothing is parsed twice. */
  readonly messageHooks?: MessageHooks;
}

/**
 * One tenant as the core routes it: a name ('' = the main script), the script version its new
 * requests run, and how many of its request routes may be in flight at once.
 */
export interface TenantRoute {
  readonly name: string;
  /** The version new requests use (a getter, so reloads take effect). */
  current(): ScriptInstance<RouteContext>;
  /**
   * Request routes of this tenant running at once (suspended on async KSR calls, or queued
   * for an isolated worker) beyond which new requests get 503 + Retry-After.
   */
  readonly maxInFlight: number;
  /** Request domains the tenant owns: also the only subscriber domains it may authenticate. */
  readonly domains: readonly string[];
}

/** Picks the tenant of a new request. The core knows tenants only through this. */
export interface TenantSelector {
  /** The main script's tenant (''): requests no rule matched, replies with no transaction. */
  readonly main: TenantRoute;
  /** Synchronous for rule matches; a Promise only when a dispatch script has to run. */
  select(msg: SipMessage, rcv: ReceiveInfo): TenantRoute | Promise<TenantRoute>;
  byName(name: string): TenantRoute | undefined;
}

export interface TenantRule {
  readonly route: TenantRoute;
  /** R-URI hosts, lower case. */
  readonly domains: readonly string[];
  /** Receiving sockets as `proto:host:port` (IPv6 host with or without brackets). */
  readonly sockets: readonly string[];
}

/** `proto:host:port` of a socket, host without brackets and lower case: the match key. */
export function socketKey(proto: string, host: string, port: number): string {
  return `${proto.toLowerCase()}:${stripBrackets(host).toLowerCase()}:${port}`;
}

/**
 * The rule-based selector: the receiving socket first, then the R-URI host, else the main
 * tenant. Rules are matched by map lookups, so many tenants cost no more than one.
 */
export function ruleSelector(
  main: TenantRoute,
  rules: readonly TenantRule[],
  /**
   * Asked when no rule matched (a dispatch script): the tenant's name, or null/'' for the
   * main script. A name that is no tenant is the main script's too.
   */
  fallback?: (msg: SipMessage, rcv: ReceiveInfo) => Promise<string | null>,
): TenantSelector {
  const bySocket = new Map<string, TenantRoute>();
  const byDomain = new Map<string, TenantRoute>();
  const byName = new Map<string, TenantRoute>([[main.name, main]]);
  for (const r of rules) {
    byName.set(r.route.name, r.route);
    for (const d of r.domains) byDomain.set(stripBrackets(d).toLowerCase(), r.route);
    for (const s of r.sockets) {
      const m = /^(\w+):(\[[^\]]+\]|[^:]+|[0-9a-fA-F:]+):(\d+)$/.exec(s.trim());
      if (!m) throw new Error(`invalid tenant socket "${s}" (proto:host:port)`);
      bySocket.set(socketKey(m[1]!, m[2]!, Number(m[3])), r.route);
    }
  }
  return {
    main,
    byName: (name) => byName.get(name),
    select(msg, rcv) {
      if (bySocket.size > 0) {
        const t = bySocket.get(socketKey(rcv.transport, rcv.dstIp, rcv.dstPort));
        if (t) return t;
      }
      if (byDomain.size > 0) {
        let host: string;
        try {
          host = stripBrackets(msg.ruriParsed().host).toLowerCase();
        } catch {
          return main; // an R-URI that does not parse is the main script's to answer
        }
        const t = byDomain.get(host);
        if (t) return t;
      }
      if (fallback) {
        return fallback(msg, rcv).then(
          (name) => (name ? (byName.get(name) ?? main) : main),
          () => main,
        );
      }
      return main;
    },
  };
}

const SCRIPT_LOG: Record<ScriptLogLevel, 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  dbg: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  err: 'error',
  crit: 'fatal',
  alert: 'fatal',
};

/**
 * The script's log for one route call. A factory rather than an inline arrow: tsx keeps
 * function names, and a named closure made per message pays a rename call on the hot path.
 */
function scriptLogger(
  log: Logger,
  callId: string | null,
  tenant: string,
  script: ScriptInstance<RouteContext>,
): RouteContext['log'] {
  return (level, text) => {
    const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
    log[SCRIPT_LOG[level]](
      { callId, tenant, script: script.file, version: script.version },
      trimmed,
    );
  };
}

export class SipServer implements CoreServices, ProxyHost {
  /** $shv of every tenant (the pv module keys them by tenant). */
  readonly sharedVars = new Map<string, PvValue>();
  /** The transaction layer and the stateful proxy over it (Kamailio's tm). */
  readonly transactionLayer: TransactionLayer;
  readonly transactions: StatefulProxy;
  /** Server-transaction keys of requests whose route is running (t_precheck_trans). */
  readonly #inflight = new Map<string, number>();
  readonly #opts: ServerOptions;
  readonly #tenants: TenantSelector;
  /** Which tenant a script version belongs to, for contexts built from a version alone. */
  readonly #tenantOf = new WeakMap<ScriptInstance<RouteContext>, string>();
  /** Request routes in flight per tenant (maxInFlight). */
  readonly #tenantInFlight = new Map<string, number>();
  /** Where every message leaves: the transport, behind the outgoing hook when there is one. */
  readonly #wire: TransportLayer;
  readonly #log: Logger;
  readonly #aliases: { host: string; port: number | null }[];
  readonly #localIps: Set<string>;
  /** Prefix of the To-tags of our stateless replies: ACKs carrying it are ours to absorb. */
  readonly #tagPrefix = randomBytes(4).toString('hex');
  #stopped = false;

  constructor(opts: ServerOptions) {
    this.#opts = opts;
    if (opts.tenants) this.#tenants = opts.tenants;
    else if (opts.script) {
      const script = opts.script;
      this.#tenants = ruleSelector(
        { name: '', current: script, maxInFlight: Infinity, domains: [] },
        [],
      );
    } else throw new Error('SipServer: either tenants or script is required');
    const outgoing = opts.messageHooks?.outgoing;
    this.#wire = outgoing ? hookedTransport(opts.transport, outgoing, this) : opts.transport;
    this.#log = opts.log;
    this.#aliases = (opts.aliases ?? []).map(parseAlias);
    this.#localIps = localAddresses();
    this.transactionLayer = new TransactionLayer({
      transport: this.#wire,
      timers: opts.timers,
      log: (level, msg, fields) => this.#log[level](fields ?? {}, msg),
    });
    this.transactions = new StatefulProxy({ layer: this.transactionLayer, host: this });
    opts.transport.onMessage((data, rcv) => this.#receive(data, rcv));
    opts.transport.onFramingError((head, rcv, reason) => this.#framingError(head, rcv, reason));
  }

  stop(): void {
    this.#stopped = true;
    this.transactionLayer.close();
  }

  // ---- receive path -------------------------------------------------------------------

  #receive(data: Buffer, rcv: ReceiveInfo): void {
    if (this.#stopped) return;
    let msg: SipMessage;
    try {
      msg = parseMessage(data, { stream: rcv.transport !== 'udp' });
    } catch (e) {
      this.#rejectUnparsable(e, rcv);
      return;
    }
    const incoming = this.#opts.messageHooks?.incoming;
    if (incoming) {
      let keep: boolean;
      try {
        keep = incoming(msg, rcv, this);
      } catch (e) {
        this.#log.warn({ err: e, callId: msg.callId }, 'incoming message hook failed: dropped');
        return;
      }
      if (!keep) return;
    }
    const done = msg.isRequest ? this.#request(msg, rcv) : this.#response(msg, rcv);
    done.catch((e: unknown) =>
      this.#log.error({ err: e, callId: msg.callId }, 'message handling failed'),
    );
  }

  #rejectUnparsable(e: unknown, rcv: ReceiveInfo): void {
    if (!(e instanceof SipParseError)) {
      this.#log.error({ err: e, src: `${rcv.srcIp}:${rcv.srcPort}` }, 'parser failed unexpectedly');
      return;
    }
    const p = e.partial;
    this.#log.info(
      { src: `${rcv.srcIp}:${rcv.srcPort}`, callId: p.callId, reason: e.reason, status: e.status },
      'malformed SIP message',
    );
    // Responses and hopeless requests are dropped (RFC 3261 §18.1.2, RFC 4475 §3.1.2.19).
    if (e.status === 0 || p.isRequest === false || p.vias.length === 0) return;
    let bytes: Buffer;
    let target: SendTarget;
    try {
      bytes = buildResponseFromPartial(p, e.status, reasonPhrase(e.status), e.reason);
      target = this.#malformedReplyTarget(p.vias[0]!, rcv);
    } catch (err) {
      this.#log.debug({ err }, 'cannot build a reply to the malformed request');
      return;
    }
    void this.#sendTo(target, bytes, p.callId);
  }

  /**
   * The top Via when it can be read; else the packet's source, the only address left that
   * can tell the sender what was wrong with its request.
   */
  #malformedReplyTarget(topVia: string, rcv: ReceiveInfo): SendTarget {
    try {
      const via = parseViaList(topVia)[0];
      if (via) return responseTarget(via, rcv);
    } catch {
      // fall through to the source address
    }
    return {
      transport: rcv.transport,
      host: rcv.srcIp,
      port: rcv.srcPort,
      connectionId: rcv.connectionId,
    };
  }

  #framingError(head: Buffer, rcv: ReceiveInfo, reason: string): void {
    try {
      parseMessage(head, { stream: false });
    } catch (e) {
      if (e instanceof SipParseError) {
        this.#rejectUnparsable(e, rcv);
        return;
      }
    }
    this.#log.info({ src: `${rcv.srcIp}:${rcv.srcPort}`, reason }, 'stream framing error');
  }

  async #request(msg: SipMessage, rcv: ReceiveInfo): Promise<void> {
    if (msg.method === 'ACK' && msg.toTag?.startsWith(this.#tagPrefix)) {
      return; // the ACK to one of our stateless negative replies: absorbed, as Kamailio's sl does
    }
    const layer = this.transactionLayer;
    const st = layer.findServer(msg);
    if (st) {
      // A retransmission (last response re-sent) or the ACK of a negative final: absorbed.
      if (st.onRequest(msg) === 'absorbed') return;
    } else if (msg.method === 'ACK') {
      const inv = layer.findInviteForAck(msg);
      if (inv && inv.onAck2xx() === 'absorbed') return;
    }
    const picked = this.#tenants.select(msg, rcv);
    const tenant = picked instanceof Promise ? await picked : picked;
    const script = tenant.current();
    if (tenant.name !== '') this.#tenantOf.set(script, tenant.name);
    const ctx = this.newContext(msg, rcv, 'request', script, tenant.name);
    const busy = this.#tenantInFlight.get(tenant.name) ?? 0;
    if (busy >= tenant.maxInFlight) {
      // Kamailio has no equivalent: a tenant whose routes pile up (a slow database, a script
      // awaiting forever) sheds its own load instead of eating the server's memory.
      this.#log.warn(
        { callId: msg.callId, tenant: tenant.name, inFlight: busy },
        'tenant has too many routes in flight: 503',
      );
      if (msg.method !== 'ACK') {
        await this.sendReply(ctx, 503, 'Service Unavailable', {
          headers: [['Retry-After', '5']],
        });
      }
      return;
    }
    ctx.ext.set(MF_IN_KEY, msg.maxForwards);
    const key = msg.method === 'ACK' ? null : serverKey(msg);
    if (key !== null) {
      const n = this.#inflight.get(key) ?? 0;
      if (n > 0) tmState(ctx).precheck = true;
      this.#inflight.set(key, n + 1);
    }
    this.#tenantInFlight.set(tenant.name, busy + 1);
    try {
      const outcome = await script.run(this.#opts.requestRoute ?? 'ksr_request_route', ctx);
      const replying = this.#afterRoute(ctx, outcome, script);
      if (replying) await replying;
    } finally {
      if (key !== null) {
        const n = this.#inflight.get(key) ?? 1;
        if (n <= 1) this.#inflight.delete(key);
        else this.#inflight.set(key, n - 1);
      }
      const n = this.#tenantInFlight.get(tenant.name) ?? 1;
      if (n <= 1) this.#tenantInFlight.delete(tenant.name);
      else this.#tenantInFlight.set(tenant.name, n - 1);
    }
  }

  /** Request routes of a tenant running now ('' = the main script). */
  inFlight(tenant: string): number {
    return this.#tenantInFlight.get(tenant) ?? 0;
  }

  async #response(msg: SipMessage, rcv: ReceiveInfo): Promise<void> {
    const ct = this.transactionLayer.findClient(msg);
    if (ct) {
      // The core reply route sees every reply first, as in Kamailio; then tm takes it. It runs
      // on the version (hence the tenant) that relayed the request.
      const script =
        ct.user instanceof ProxyBranch ? ct.user.txn.script : this.#tenants.main.current();
      const replyRoute = this.#opts.replyRoute ?? 'ksr_reply_route';
      if (script.hasFunction(replyRoute)) {
        const ctx = this.newContext(msg, rcv, 'reply', script);
        const outcome = await script.run(replyRoute, ctx);
        this.#logOutcome(ctx, outcome, script);
        if (ctx.dropped || (outcome.kind === 'exit' && outcome.drop)) return;
      }
      ct.receive(msg, rcv);
      return;
    }
    const via = msg.topVia;
    if (!via || !this.#isOurVia(via.host, via.port, via.branch)) {
      this.#log.debug({ callId: msg.callId }, 'response not for us: dropped');
      return;
    }
    const vias = msg.vias();
    if (vias.length < 2) return; // a response to a request we originated: nothing upstream yet
    // A reply to a stateless relay carries nothing that names the tenant which relayed the
    // request (the Via branch is a hash): the main script's reply route sees it.
    const script = this.#tenants.main.current();
    const replyRoute = this.#opts.replyRoute ?? 'ksr_reply_route';
    if (script.hasFunction(replyRoute)) {
      const ctx = this.newContext(msg, rcv, 'reply', script);
      const outcome = await script.run(replyRoute, ctx);
      this.#logOutcome(ctx, outcome, script);
      if (ctx.dropped || (outcome.kind === 'exit' && outcome.drop)) return;
    }
    msg.popVia();
    const next = msg.topVia;
    if (!next) return;
    let target: SendTarget;
    try {
      target = responseTarget(next, null);
    } catch {
      return;
    }
    if (isIP(target.host) === 0) {
      this.#log.info(
        { callId: msg.callId, host: target.host },
        'response Via host is not numeric: dropped',
      );
      return;
    }
    this.#sendTo(target, msg.serialize(), msg.callId);
  }

  newContext(
    msg: SipMessage,
    rcv: ReceiveInfo,
    routeType: RouteType,
    script: ScriptInstance<RouteContext> = this.#tenants.main.current(),
    tenant: string = this.#tenantOf.get(script) ?? '',
  ): RouteContext {
    return newRouteContext({
      msg,
      rcv,
      routeType,
      script,
      core: this,
      tenant,
      log: scriptLogger(this.#log, msg.callId, tenant, script),
    });
  }

  /** Logs a bad outcome and answers 500 when the route failed unanswered (a Promise only then). */
  #afterRoute(
    ctx: RouteContext,
    outcome: RouteOutcome,
    script: ScriptInstance<RouteContext>,
  ): Promise<void> | undefined {
    this.#logOutcome(ctx, outcome, script);
    if (outcome.kind !== 'error' && outcome.kind !== 'aborted' && outcome.kind !== 'missing')
      return undefined;
    if (ctx.replied || ctx.msg.method === 'ACK') return undefined;
    const txn = boundTransaction(ctx);
    if (txn) {
      if (!txn.uas.finalSent && txn.pendingBranches === 0) {
        txn.replyLocal(500, 'Server Internal Error');
      }
      return undefined;
    }
    return this.sendReply(ctx, 500, 'Server Internal Error');
  }

  /** Runs a callback route (failure, branch, onreply…) and logs a bad outcome (ProxyHost). */
  async runRoute(
    script: ScriptInstance<RouteContext>,
    name: string,
    ctx: RouteContext,
    arg?: string,
  ): Promise<RouteOutcome> {
    // Kamailio skips callbacks whose function does not exist.
    if (!script.hasFunction(name)) return { kind: 'missing', name };
    const outcome = await script.run(name, ctx, arg);
    this.#logOutcome(ctx, outcome, script);
    return outcome;
  }

  listenerFor(target: SendTarget): Listener | null {
    return this.#opts.transport.listenerFor(target);
  }

  #logOutcome(
    ctx: RouteContext,
    outcome: RouteOutcome,
    script: ScriptInstance<RouteContext>,
  ): void {
    const base = {
      callId: ctx.msg.callId,
      tenant: ctx.tenant,
      method: ctx.msg.method || undefined,
      script: script.file,
      version: script.version,
    };
    switch (outcome.kind) {
      case 'error':
        this.#log.error(
          {
            ...base,
            file: outcome.where.file,
            line: outcome.where.line,
            traceback: outcome.traceback,
          },
          `script error at ${outcome.where.file}:${outcome.where.line ?? '?'}: ${outcome.message}`,
        );
        break;
      case 'aborted':
        this.#log.error(
          { ...base, file: outcome.where.file, line: outcome.where.line, reason: outcome.reason },
          `script aborted (${outcome.reason} budget) at ${outcome.where.file}:${outcome.where.line ?? '?'}`,
        );
        break;
      case 'missing':
        this.#log.error(base, `script function ${outcome.name} does not exist`);
        break;
      default:
        break;
    }
  }

  // ---- services lent to modules --------------------------------------------------------

  isMyself(host: string, port: number | null, transport?: string | null): boolean {
    const ip = stripBrackets(host).toLowerCase();
    const listeners = this.#opts.transport.listeners();
    for (const l of listeners) {
      if (transport && transport.toLowerCase() !== l.transport) continue;
      const defaultPort = l.transport === 'tls' || l.transport === 'wss' ? 5061 : 5060;
      if ((port ?? defaultPort) !== l.port) continue;
      if (ip === l.host) return true;
      if ((l.host === '0.0.0.0' || l.host === '::') && this.#localIps.has(ip)) return true;
    }
    for (const a of this.#aliases) {
      if (a.host !== ip) continue;
      if (a.port === null || a.port === (port ?? 5060)) return true;
    }
    return false;
  }

  replyToTag(ctx: RouteContext): string {
    const m = ctx.msg;
    if (m.toTag) return m.toTag;
    // One-shot hash of the same bytes a Hash object was fed: the tags are unchanged.
    const d = hash(
      'md5',
      `${m.callId ?? ''}\0${m.fromTag ?? ''}\0${m.topVia?.branch ?? ''}`,
      'hex',
    );
    return `${this.#tagPrefix}-${d.slice(0, 16)}`;
  }

  /**
   * Builds and sends a reply. Not async: everything up to handing the bytes to the transport
   * happens before this returns (a reply that cannot be built throws here), so a caller may
   * leave the Promise alone; it settles when the transport is done and never rejects.
   */
  sendReply(
    ctx: RouteContext,
    status: number,
    reason: string,
    opts?: {
      headers?: readonly (readonly [string, string])[];
      body?: Buffer | string;
      contentType?: string;
    },
  ): Promise<void> {
    const req = ctx.msg;
    if (!req.isRequest) throw new Error('cannot reply to a reply');
    if (req.method === 'ACK') return DONE; // never answer an ACK
    stampTopVia(req, ctx.rcv);
    const reply = buildResponse(req, status, reason, {
      toTag: status > 100 ? this.replyToTag(ctx) : undefined,
      headers: opts?.headers as [string, string][] | undefined,
      body: opts?.body,
      contentType: opts?.contentType,
    });
    // The reply's top Via is the request's, already parsed (stamped above): reading the
    // reply's would parse it again.
    const via = req.topVia;
    if (!via) return DONE;
    ctx.replied = true;
    return this.#sendTo(responseTarget(via, ctx.rcv), reply.serialize(), req.callId).then(noop);
  }

  async forward(ctx: RouteContext, uri?: string | null): Promise<boolean> {
    const msg = ctx.msg;
    const next = uri ?? ctx.dstUri ?? firstRouteUri(msg) ?? msg.ruri;
    let target: SendTarget;
    try {
      target = targetFromUri(parseUri(next));
    } catch (e) {
      this.#log.warn(
        { callId: msg.callId, uri: next, err: (e as Error).message },
        'cannot forward',
      );
      return false;
    }
    const listener = this.#opts.transport.listenerFor(target);
    if (!listener) {
      this.#log.warn(
        { callId: msg.callId, transport: target.transport },
        'no listener for the transport',
      );
      return false;
    }
    stampTopVia(msg, ctx.rcv);
    decrementOnce(msg, ctx.ext.get(MF_IN_KEY) as number | null | undefined);
    const hooks = ctx.ext.get(PRE_SEND_KEY) as PreSendHook[] | undefined;
    if (hooks) for (const h of hooks) h(msg, listener, ctx);
    const dest = `${target.transport}:${target.host}:${target.port}`;
    msg.pushVia(viaFor(listener, statelessBranch(msg, dest)));
    const data = msg.serialize();
    const go = await this.onSend(ctx.script, ctx, msg, target, listener);
    // Our Via comes off again so the script (and a second forward) see the request as received.
    msg.popVia();
    if (!go) return false;
    const sent = await this.#sendTo(target, data, msg.callId);
    if (sent) ctx.forwarded = true;
    return sent;
  }

  /**
   * ksr_onsend_route, when the script has one: runs just before a relayed request leaves,
   * with `$snd(...)` telling where to. A drop keeps the request from being sent (ProxyHost).
   */
  async onSend(
    script: ScriptInstance<RouteContext>,
    ctx: RouteContext,
    out: SipMessage,
    target: SendTarget,
    listener: Listener,
  ): Promise<boolean> {
    const name = this.#opts.onsendRoute ?? 'ksr_onsend_route';
    if (!script.hasFunction(name)) return true;
    const sctx = this.newContext(out, ctx.rcv, 'onsend', script, ctx.tenant);
    const info: SendInfo = {
      transport: target.transport,
      ip: target.host,
      port: target.port,
      buf: out.serialize(),
      socket: `${listener.transport}:${hostForUri(listener.host)}:${listener.port}`,
    };
    sctx.ext.set(SEND_INFO_KEY, info);
    const outcome = await script.run(name, sctx);
    this.#logOutcome(sctx, outcome, script);
    return !(sctx.dropped || (outcome.kind === 'exit' && outcome.drop));
  }

  async sendData(uri: string, data: Buffer): Promise<boolean> {
    try {
      return await this.#sendTo(targetFromUri(parseUri(uri)), data, null);
    } catch (e) {
      this.#log.warn({ uri, err: (e as Error).message }, 'send_data failed');
      return false;
    }
  }

  debugLevel(): number {
    return kamailioDebugLevel(this.#log.level);
  }

  tenantDomains(tenant: string): readonly string[] | null {
    if (tenant === '') return null;
    return this.#tenants.byName(tenant)?.domains ?? [];
  }

  listenSockets(): readonly string[] {
    return this.#opts.transport
      .listeners()
      .map((l) => `${l.transport}:${hostForUri(l.host)}:${l.port}`);
  }

  // ---- helpers ----------------------------------------------------------------------------

  #isOurVia(host: string, port: number | null, branch: string | null): boolean {
    if (!branch?.startsWith(STATELESS_BRANCH_PREFIX)) return false;
    return this.isMyself(host, port);
  }

  /** Sends; false (logged) when the transport refuses. The send starts before this returns. */
  #sendTo(target: SendTarget, data: Buffer, callId: string | null): Promise<boolean> {
    let sending: Promise<void>;
    try {
      sending = this.#wire.send(target, data);
    } catch (e) {
      return Promise.resolve(this.#sendFailed(target, callId, e));
    }
    return sending.then(yes, (e: unknown) => this.#sendFailed(target, callId, e));
  }

  #sendFailed(target: SendTarget, callId: string | null, e: unknown): false {
    this.#log.warn(
      {
        callId,
        target: `${target.transport}:${target.host}:${target.port}`,
        err: (e as Error).message,
      },
      'send failed',
    );
    return false;
  }
}

const DONE: Promise<void> = Promise.resolve();
function noop(): void {}
function yes(): true {
  return true;
}

/**
 * The transport as the server and its transactions send through it: with an outgoing hook,
 * every message is re-parsed just before it leaves (retransmissions and locally built
 * CANCEL/ACK included) and re-serialized after the hook changed it. Bytes that do not parse
 * as SIP (keep-alives) go out untouched.
 */
function hookedTransport(
  inner: TransportLayer,
  outgoing: NonNullable<MessageHooks['outgoing']>,
  core: CoreServices,
): TransportLayer {
  return {
    listen: (spec) => inner.listen(spec),
    onMessage: (h) => inner.onMessage(h),
    onFramingError: (h) => inner.onFramingError(h),
    listeners: () => inner.listeners(),
    listenerFor: (t) => inner.listenerFor(t),
    close: () => inner.close(),
    send(target, data) {
      let msg: SipMessage;
      try {
        msg = parseMessage(data, { stream: false });
      } catch {
        return inner.send(target, data);
      }
      try {
        outgoing(msg, target, core);
        return inner.send(target, msg.serialize());
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
  };
}

function viaFor(listener: Listener, branch: string): string {
  return `SIP/2.0/${listener.transport.toUpperCase()} ${hostForUri(listener.host)}:${listener.port};branch=${branch}`;
}

function firstRouteUri(msg: SipMessage): string | null {
  if (!msg.hasHeader('route')) return null;
  const routes = msg.routes();
  return routes.length > 0 ? routes[0]!.uri.raw : null;
}

function parseAlias(text: string): { host: string; port: number | null } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`invalid alias "${text}"`);
  return { host: stripBrackets(m[1]!).toLowerCase(), port: m[2] ? Number(m[2]) : null };
}

function localAddresses(): Set<string> {
  const ips = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) ips.add(a.address.toLowerCase());
  }
  return ips;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  483: 'Too Many Hops',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  505: 'Version Not Supported',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Error';
}
