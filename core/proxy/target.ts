/**
 * Where a request or a response goes next, as RFC 3261 §16.6/§18.2.2 and RFC 3581 say.
 * Numeric hosts only for now: names need the DNS layer (RFC 3263), which comes later.
 */
import { isIP } from 'node:net';
import type { ReceiveInfo, SipMessage, SipUri, Transport, Via } from '../sip/types.ts';
import type { SendTarget } from '../transport/types.ts';

export class TargetError extends Error {
  override readonly name = 'TargetError';
  readonly code = 'POLYSIP_ERR_TARGET';
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function uriParam(uri: SipUri, name: string): string | null | undefined {
  for (const p of uri.params) if (p.name.toLowerCase() === name) return p.value;
  return undefined;
}

function toTransport(token: string | null | undefined, fallback: Transport): Transport {
  switch ((token ?? '').toLowerCase()) {
    case 'udp':
      return 'udp';
    case 'tcp':
      return 'tcp';
    case 'tls':
      return 'tls';
    case 'ws':
      return 'ws';
    case 'wss':
      return 'wss';
    case 'sctp':
      return 'sctp';
    default:
      return fallback;
  }
}

/** The next hop for a request sent to this URI (RFC 3263 without DNS: numeric hosts only). */
export function targetFromUri(uri: SipUri): SendTarget {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') {
    throw new TargetError(`cannot send to a ${uri.scheme}: URI`);
  }
  const secure = uri.scheme === 'sips';
  const transport = toTransport(uriParam(uri, 'transport'), secure ? 'tls' : 'udp');
  const maddr = uriParam(uri, 'maddr');
  const host = stripBrackets(maddr ?? uri.host);
  if (isIP(host) === 0) {
    throw new TargetError(
      `host "${host}" is not an IP address (DNS resolution is not available yet)`,
    );
  }
  const port = uri.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
  return { transport, host, port };
}

/**
 * Where a response to a request with this top Via goes (RFC 3261 §18.2.2, RFC 3581 §4).
 * With the request's receive info (`rcv`), the answer goes back the way the request came:
 * a stream on its connection; a datagram to the source address (what `received` records,
 * whatever the sent-by or a client-supplied `received` claims), at the source port when
 * the client asked for rport, else at the sent-by port. Without it (a response relayed to
 * the next Via, which this server stamped on the way in), `received`/`rport` say where.
 */
export function responseTarget(via: Via, rcv: ReceiveInfo | null): SendTarget {
  if (rcv) {
    if (rcv.transport !== 'udp') {
      return {
        transport: rcv.transport,
        host: rcv.srcIp,
        port: rcv.srcPort,
        connectionId: rcv.connectionId,
      };
    }
    const port = via.rport !== null ? rcv.srcPort : (via.port ?? 5060);
    return { transport: 'udp', host: rcv.srcIp, port };
  }
  const transport = toTransport(via.transport, 'udp');
  const host = stripBrackets(via.received ?? via.host);
  let port = via.port ?? (transport === 'tls' ? 5061 : 5060);
  if (via.rport !== null && via.rport !== '') {
    const n = Number(via.rport);
    if (Number.isInteger(n) && n > 0 && n < 65536) port = n;
  }
  return { transport, host, port };
}

/**
 * RFC 3261 §18.2.1 and RFC 3581: the top Via of a received request gets `received` when its
 * sent-by host is not the source address, and `rport=<source port>` when the client asked.
 * A `received` the client wrote itself is replaced: only this server knows the source, and
 * the response relayed back through it is addressed by that parameter.
 * Returns the new Via text, or null when nothing changes.
 */
export function stampedVia(via: Via, rcv: ReceiveInfo): string | null {
  // Over a stream the answer must come back on the request's connection, which only its
  // source port identifies (the Via port is where the peer listens), so rport is forced.
  const stream = rcv.transport !== 'udp';
  const port = String(rcv.srcPort);
  const wantRport = via.rport === '' || (stream && via.rport !== port);
  const wantReceived = stripBrackets(via.host) !== rcv.srcIp || wantRport || via.received !== null;
  const receivedRight = via.received !== null && stripBrackets(via.received) === rcv.srcIp;
  if (!wantRport && (!wantReceived || receivedRight)) return null;
  let text = via.raw;
  if (wantRport) {
    text =
      via.rport === null
        ? `${text};rport=${port}`
        : text.replace(/;\s*rport(?:\s*=\s*[^;]*)?(?=\s*(?:;|$))/i, `;rport=${port}`);
  }
  if (wantReceived && !receivedRight) {
    text =
      via.received === null
        ? `${text};received=${rcv.srcIp}`
        : text.replace(
            /;\s*received(?:\s*=\s*(?:\[[^\]]*\]|[^;]*))?(?=\s*(?:;|$))/i,
            `;received=${rcv.srcIp}`,
          );
  }
  return text;
}

export function stampTopVia(msg: SipMessage, rcv: ReceiveInfo): void {
  const via = msg.topVia;
  if (!via) return;
  const text = stampedVia(via, rcv);
  if (text === null) return;
  msg.popVia();
  msg.pushVia(text);
}

/** `[::1]` for IPv6 literals, as they must appear in Via and URIs. */
export function hostForUri(ip: string): string {
  return isIP(ip) === 6 ? `[${ip}]` : ip;
}
