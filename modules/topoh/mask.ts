/**
 * Topology hiding on the wire, as Kamailio's topoh: what one side put in Via, Contact,
 * Record-Route (and optionally Call-ID) reaches the other side sealed under our mask address,
 * and is opened again when it comes back. Nothing is remembered between messages: every
 * decision is read off the message itself, so a restart or another node with the same key
 * opens what this one sealed.
 *
 * Which side a header belongs to follows from where it sits, whatever the direction of the
 * dialog: in a request, the Vias under ours and the Record-Routes under ours were added by
 * hops the request already crossed (the sender's side); in a reply, the Record-Routes above
 * ours were added by the responder's side; a Contact is always its sender's.
 */
import type { CoreServices } from '../../core/api/context.ts';
import { formatNameAddr } from '../../core/sip/nameaddr.ts';
import { findParam } from '../../core/sip/lex.ts';
import { parseUri } from '../../core/sip/uri.ts';
import type { NameAddr, SipMessage, SipUri, Via } from '../../core/sip/types.ts';
import { hostForUri, stripBrackets } from '../../core/proxy/target.ts';
import { TopohCodec } from './codec.ts';

export interface TopohConfig {
  /** Secret the values are sealed with; nodes that must open each other's values share it. */
  readonly maskKey: string;
  /** Address written in place of the hidden ones (Via sent-by, URI host). */
  readonly maskIp: string;
  /** Also seal the Call-ID toward the callee side. */
  readonly maskCallid: boolean;
  /** Drop received messages that are malformed or carry masked values that do not open. */
  readonly sanityChecks: boolean;
  /** URI parameter carrying a sealed URI, and the prefix of its value. */
  readonly uparamName: string;
  readonly uparamPrefix: string;
  /** Via parameter carrying a sealed Via, and the prefix of its value. */
  readonly vparamName: string;
  readonly vparamPrefix: string;
  readonly callidPrefix: string;
}

/**
 * Via parameter put on the sender's Via of a request that arrived with a sealed Call-ID:
 * the replies to it, and the request relayed to the other side (inside the sealed Via),
 * then know the sender only knows the sealed Call-ID. It is taken off before the reply leaves.
 */
export const CALLID_FLAG = 'tohcid';
const FLAG_RE = new RegExp(`;\\s*${CALLID_FLAG}(?=\\s*(;|$))`, 'i');

export class Topoh {
  readonly config: TopohConfig;
  readonly #codec: TopohCodec;
  /** The mask address as it appears in a Via or URI host (IPv6 bracketed), lower-cased. */
  readonly #maskHost: string;

  constructor(config: TopohConfig) {
    this.config = config;
    this.#codec = new TopohCodec(config.maskKey);
    this.#maskHost = hostForUri(stripBrackets(config.maskIp)).toLowerCase();
  }

  // ---- received ------------------------------------------------------------------------

  /** Opens what we sealed; false when the message must be dropped (sanity checks on). */
  incoming(msg: SipMessage): boolean {
    const strict = this.config.sanityChecks;
    if (strict && !wellFormed(msg)) return false;
    try {
      return this.#open(msg) || !strict;
    } catch {
      // A list header that does not parse: the route will meet it too; only sanity drops it.
      return !strict;
    }
  }

  #open(msg: SipMessage): boolean {
    let ok = true;
    const cid = msg.callId;
    if (cid !== null && cid.startsWith(this.config.callidPrefix)) {
      const open = this.#codec.open('callid', cid.slice(this.config.callidPrefix.length));
      if (open === null) ok = false;
      else {
        msg.setHeader('Call-ID', open);
        if (msg.isRequest) flagTopVia(msg);
      }
    } else if (msg.isRequest && msg.topVia && hasFlag(msg.topVia)) {
      // Only we set the flag: a sender's own would unseal the Call-ID toward the callee.
      unflagTopVia(msg);
    }
    if (msg.isRequest) {
      const ruri = msg.ruriParsed();
      if (this.#isMaskedUri(ruri)) {
        const open = this.#openUri(ruri);
        if (open === null) ok = false;
        else msg.setRuri(open);
      }
      if (msg.hasHeader('route') && !this.#openList(msg, 'Route', msg.routes())) ok = false;
    } else if (!this.#openVias(msg)) ok = false;
    if (msg.hasHeader('record-route') && !this.#openList(msg, 'Record-Route', msg.recordRoutes()))
      ok = false;
    return ok;
  }

  // ---- sent -------------------------------------------------------------------------------

  /**
   * Seals what belongs to the side the message leaves; `core` tells our own addresses. A
   * header it cannot parse makes it throw, and the core then does not send the message:
   * better lost than leaking what it should hide.
   */
  outgoing(msg: SipMessage, core: Pick<CoreServices, 'isMyself'>): void {
    if (msg.isRequest) {
      const vias = msg.vias();
      // A request whose sender knew only the sealed Call-ID goes back to the side that has the real one.
      const toCallee = !(vias.length > 1 && hasFlag(vias[1]!));
      if (vias.length > 1) this.#sealVias(msg, vias);
      if (toCallee) this.#sealCallid(msg);
      if (msg.hasHeader('record-route')) {
        const rrs = msg.recordRoutes();
        const ours = ourIndexes(rrs, core);
        const from = ours.length > 0 ? ours[ours.length - 1]! + 1 : 0;
        this.#sealList(msg, 'Record-Route', rrs, from, rrs.length);
      }
    } else {
      const top = msg.topVia;
      if (top && hasFlag(top)) {
        unflagTopVia(msg);
        this.#sealCallid(msg);
      }
      if (msg.hasHeader('record-route')) {
        const rrs = msg.recordRoutes();
        const ours = ourIndexes(rrs, core);
        if (ours.length > 0) this.#sealList(msg, 'Record-Route', rrs, 0, ours[0]!);
      }
    }
    if (msg.hasHeader('contact') && !msg.contactStar()) this.#sealContacts(msg, core);
  }

  // ---- Via ---------------------------------------------------------------------------------

  /** The sealed form of one Via value. */
  sealVia(raw: string): string {
    const c = this.config;
    return `SIP/2.0/UDP ${this.#maskHost};${c.vparamName}=${c.vparamPrefix}${this.#codec.seal('via', raw)}`;
  }

  /** The Via a sealed one stands for; null when `via` is not sealed or does not open. */
  openVia(via: Via): string | null | undefined {
    if (via.host.toLowerCase() !== this.#maskHost) return undefined;
    const v = findParam(via.params, this.config.vparamName.toLowerCase())?.value;
    if (!v?.startsWith(this.config.vparamPrefix)) return undefined;
    return this.#codec.open('via', v.slice(this.config.vparamPrefix.length));
  }

  #sealVias(msg: SipMessage, vias: readonly Via[]): void {
    const out = vias.map((v, i) =>
      i === 0 || this.openVia(v) !== undefined ? v.raw : this.sealVia(v.raw),
    );
    rewriteVias(msg, out);
  }

  #openVias(msg: SipMessage): boolean {
    let ok = true;
    let changed = false;
    const out = msg.vias().map((v) => {
      const open = this.openVia(v);
      if (open === undefined) return v.raw;
      if (open === null) {
        ok = false;
        return v.raw;
      }
      changed = true;
      return open;
    });
    if (changed) rewriteVias(msg, out);
    return ok;
  }

  // ---- URIs (Contact, Record-Route, Route, R-URI) -----------------------------------------

  /** The sealed form of a URI: same scheme, our mask host, `lr` kept for loose routers. */
  sealUri(uri: SipUri): string {
    const c = this.config;
    const lr = findParam(uri.params, 'lr') ? ';lr' : '';
    return `${uri.scheme}:${this.#maskHost};${c.uparamName}=${c.uparamPrefix}${this.#codec.seal('uri', uri.raw)}${lr}`;
  }

  #isMaskedUri(uri: SipUri): boolean {
    if (uri.host.toLowerCase() !== this.#maskHost) return false;
    const v = findParam(uri.params, this.config.uparamName.toLowerCase())?.value;
    return v?.startsWith(this.config.uparamPrefix) ?? false;
  }

  #openUri(uri: SipUri): string | null {
    const v = findParam(uri.params, this.config.uparamName.toLowerCase())!.value!;
    const open = this.#codec.open('uri', v.slice(this.config.uparamPrefix.length));
    if (open === null) return null;
    try {
      parseUri(open);
    } catch {
      return null;
    }
    return open;
  }

  /** The URI text a sealed URI stands for; undefined when it is not sealed, null when forged. */
  openUriText(text: string): string | null | undefined {
    const uri = parseUri(text);
    return this.#isMaskedUri(uri) ? this.#openUri(uri) : undefined;
  }

  #sealContacts(msg: SipMessage, core: Pick<CoreServices, 'isMyself'>): void {
    const list = msg.contacts();
    let changed = false;
    const out = list.map((na) => {
      const u = na.uri;
      if (u.scheme !== 'sip' && u.scheme !== 'sips') return na.raw;
      if (this.#isMaskedUri(u) || isOurs(u, core)) return na.raw;
      changed = true;
      return withUri(na, this.sealUri(u));
    });
    if (changed) msg.setHeader('Contact', out.join(', '));
  }

  #sealList(msg: SipMessage, name: string, list: readonly NameAddr[], from: number, to: number) {
    let changed = false;
    const out = list.map((na, i) => {
      const u = na.uri;
      if (i < from || i >= to || (u.scheme !== 'sip' && u.scheme !== 'sips')) return na.raw;
      if (this.#isMaskedUri(u)) return na.raw;
      changed = true;
      return withUri(na, this.sealUri(u));
    });
    if (changed) msg.setHeader(name, out.join(', '));
  }

  #openList(msg: SipMessage, name: string, list: readonly NameAddr[]): boolean {
    let ok = true;
    let changed = false;
    const out = list.map((na) => {
      if (!this.#isMaskedUri(na.uri)) return na.raw;
      const open = this.#openUri(na.uri);
      if (open === null) {
        ok = false;
        return na.raw;
      }
      changed = true;
      return withUri(na, open);
    });
    if (changed) msg.setHeader(name, out.join(', '));
    return ok;
  }

  // ---- Call-ID -------------------------------------------------------------------------------

  #sealCallid(msg: SipMessage): void {
    if (!this.config.maskCallid) return;
    const cid = msg.callId;
    if (cid === null || cid.startsWith(this.config.callidPrefix)) return;
    msg.setHeader('Call-ID', this.config.callidPrefix + this.#codec.seal('callid', cid));
  }
}

function hasFlag(via: Via): boolean {
  return findParam(via.params, CALLID_FLAG) !== undefined;
}

function flagTopVia(msg: SipMessage): void {
  const top = msg.topVia;
  if (!top || hasFlag(top)) return;
  msg.popVia();
  msg.pushVia(`${top.raw};${CALLID_FLAG}`);
}

function unflagTopVia(msg: SipMessage): void {
  const top = msg.topVia;
  if (!top) return;
  msg.popVia();
  msg.pushVia(top.raw.replace(FLAG_RE, ''));
}

/** Replaces the Via stack keeping one value per line, where the first Via line was. */
function rewriteVias(msg: SipMessage, values: readonly string[]): void {
  if (values.length === 0) return;
  msg.setHeader('Via', values[0]!);
  for (let i = 1; i < values.length; i++) msg.insertHeaderAfter('Via', 'Via', values[i]!);
}

function isOurs(uri: SipUri, core: Pick<CoreServices, 'isMyself'>): boolean {
  const t = findParam(uri.params, 'transport')?.value ?? null;
  return core.isMyself(uri.host, uri.port, t);
}

function ourIndexes(list: readonly NameAddr[], core: Pick<CoreServices, 'isMyself'>): number[] {
  const out: number[] = [];
  list.forEach((na, i) => {
    if (isOurs(na.uri, core)) out.push(i);
  });
  return out;
}

/** The same header element with another URI (display name and header parameters kept). */
function withUri(na: NameAddr, uri: string): string {
  return formatNameAddr({ displayName: na.displayName, uri, params: na.params });
}

/** What sanity_checks asks of a received message before anything is opened. */
function wellFormed(msg: SipMessage): boolean {
  if (msg.topVia === null || msg.callId === null || msg.cseq === null) return false;
  if (!msg.hasHeader('from') || !msg.hasHeader('to')) return false;
  try {
    if (!msg.from() || !msg.to()) return false;
    if (msg.isRequest) {
      if (msg.cseq.method !== msg.method) return false;
      msg.ruriParsed();
    }
    // Everything topoh opens or seals, and the Contact the far side will use.
    msg.vias();
    msg.contacts();
    msg.routes();
    msg.recordRoutes();
  } catch {
    return false;
  }
  return true;
}
