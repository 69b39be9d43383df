/**
 * What a KSR implementation gets as its first argument: the message being routed and
 * everything attached to it. One RouteContext per route call (request, reply, failure…);
 * modules keep their per-message state in `ext` under their own key.
 */
import type { ReceiveInfo, SipMessage } from '../sip/types.ts';
import type { RouteType, ScriptInstance } from './script.ts';
import type { StatefulProxy } from '../proxy/stateful.ts';
import type { SendTarget } from '../transport/types.ts';

export type ScriptLogLevel = 'dbg' | 'info' | 'notice' | 'warn' | 'err' | 'crit' | 'alert';

/** A value as held in $var/$avp/$shv: ints stay ints. */
export type PvValue = string | number;

/** An additional destination set entry (append_branch / lookup with several contacts). */
export interface BranchEntry {
  uri: string;
  dstUri: string | null;
  q: number | null;
  path: string | null;
  flags: number;
  /** Connection to reach this contact on (contacts registered over TCP/TLS). */
  socket: string | null;
  instance: string | null;
  ruid: string | null;
}

/** The services the core lends to modules; implemented by core/server. */
export interface CoreServices {
  /** Does this host[:port] (and protocol, if given) designate this server? */
  isMyself(host: string, port: number | null, transport?: string | null): boolean;
  /**
   * Sends a reply built from the request in ctx (To-tag added unless present). The bytes reach
   * the transport before this returns (a reply that cannot be built throws); the Promise only
   * says when the transport is done and never rejects, so callers need not await it.
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
  ): Promise<void>;
  /** The To-tag this server uses for stateless replies to the request in ctx. */
  replyToTag(ctx: RouteContext): string;
  /**
   * Stateless forwarding: the request of ctx (with its modifications) goes to `uri` if given,
   * else to $du, else to the R-URI. Resolves true when sent.
   */
  forward(ctx: RouteContext, uri?: string | null): Promise<boolean>;
  /** Sends raw bytes to a SIP URI (KSR.corex.send_data). */
  sendData(uri: string, data: Buffer): Promise<boolean>;
  /**
   * The request domains a tenant owns (the only subscriber domains it may authenticate), or
   * null for the main script (''), whose domains are not restricted.
   */
  tenantDomains?(tenant: string): readonly string[] | null;
  /** Shared variables ($shv); the pv module keys them by tenant. */
  readonly sharedVars: Map<string, PvValue>;
  /** Current log level as a Kamailio debug number (KSR.get_debug). */
  debugLevel(): number;
  /** Listening sockets as `proto:ip:port`, first one first. */
  listenSockets(): readonly string[];
  /**
   * Transactions and stateful proxying (the tm/tmx modules' engine). Absent in cores that
   * cannot keep state (unit-test fakes): tm functions then fail as without a transaction.
   */
  readonly transactions?: StatefulProxy;
}

export interface ScriptLog {
  (level: ScriptLogLevel, text: string): void;
}

export interface RouteContext {
  readonly msg: SipMessage;
  readonly rcv: ReceiveInfo;
  readonly routeType: RouteType;
  readonly core: CoreServices;
  readonly log: ScriptLog;
  /** Tenant id ('' for the single-tenant default). */
  readonly tenant: string;
  /**
   * The script version running this route. Callbacks armed now (failure, branch, onreply
   * routes) run later on this same version, even after a reload.
   */
  readonly script: ScriptInstance<RouteContext>;
  /** Message flags 0..31 (setflag/isflagset). */
  flags: number;
  /** Branch flags of branch 0 (setbflag/isbflagset). */
  bflags: number;
  /** Extended flags 0..63 (corex setxflag). */
  xflags: bigint;
  /** $du, null when unset. */
  dstUri: string | null;
  /** Additional branches (append_branch), the R-URI branch excluded. */
  readonly branches: BranchEntry[];
  /** $var(name): private to this route call and the ones it triggers. */
  readonly vars: Map<string, PvValue>;
  /** $avp(name): stacks, newest value first. */
  readonly avps: Map<string, PvValue[]>;
  /** $xavp(name=>key): list of records, newest first. */
  readonly xavps: Map<string, Map<string, PvValue>[]>;
  /** KSR.set_drop(): affects reply/onsend/branch routes. */
  dropped: boolean;
  /** A reply (stateless or stateful) was sent for this request by the script. */
  replied: boolean;
  /** The request was forwarded (statelessly or by tm). */
  forwarded: boolean;
  /** Per-module state (tm transaction, rr state, auth result…), keyed by module name. */
  readonly ext: Map<string, unknown>;
}

export function newRouteContext(
  init: Pick<RouteContext, 'msg' | 'rcv' | 'routeType' | 'core' | 'log' | 'tenant' | 'script'>,
): RouteContext {
  // Explicit fields, not `...init`: V8 builds this literal ~100x slower with a spread, and
  // it is made for every message.
  return {
    msg: init.msg,
    rcv: init.rcv,
    routeType: init.routeType,
    core: init.core,
    log: init.log,
    tenant: init.tenant,
    script: init.script,
    flags: 0,
    bflags: 0,
    xflags: 0n,
    dstUri: null,
    branches: [],
    vars: new Map(),
    avps: new Map(),
    xavps: new Map(),
    dropped: false,
    replied: false,
    forwarded: false,
    ext: new Map(),
  };
}

/** Where the message of an onsend route is going (`$snd(ip)`, `$snd(port)`…), under this key. */
export const SEND_INFO_KEY = 'core:send-info';

export interface SendInfo {
  readonly transport: string;
  readonly ip: string;
  readonly port: number;
  /** The bytes about to leave. */
  readonly buf: Buffer;
  /** Our socket it leaves from, as `proto:ip:port`. */
  readonly socket: string;
}

/**
 * Message transforms a module installs on the wire (topology hiding): `incoming` sees every
 * message right after parsing, before transaction matching and routing, and returns false to
 * drop it; `outgoing` sees every message about to be sent (relayed, generated, retransmitted)
 * and may change it. Both run on the SIP thread, so they must be synchronous and cheap.
 */
export interface MessageHooks {
  incoming?(msg: SipMessage, rcv: ReceiveInfo, core: CoreServices): boolean;
  outgoing?(msg: SipMessage, target: SendTarget, core: CoreServices): void;
}
