/**
 * Transaction matching keys (RFC 3261 §17.1.3 and §17.2.3). Keys are flat strings so a
 * transaction is one Map lookup away from the message that belongs to it.
 */
import type { SipMessage, Via } from '../sip/types.ts';
import { MAGIC_COOKIE } from '../proxy/stateless.ts';

const SEP = '\x01';

/** The branch is RFC 3261 compliant: it starts with the magic cookie and has more after it. */
export function isRfc3261Branch(branch: string | null): branch is string {
  return branch !== null && branch.length > MAGIC_COOKIE.length && branch.startsWith(MAGIC_COOKIE);
}

function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? ''}`;
}

/** The method a request's transaction is filed under: an ACK belongs to its INVITE. */
function txMethod(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

/**
 * The server-transaction key of a request: branch + sent-by + method for RFC 3261 clients,
 * and for RFC 2543 clients the fields §17.2.3 falls back to (Request-URI, From tag, Call-ID,
 * CSeq number, top Via). `method` overrides the request's own (CANCEL looks up its INVITE).
 */
export function serverKey(msg: SipMessage, method: string = msg.method): string | null {
  const via = msg.topVia;
  if (!via) return null;
  const m = txMethod(method);
  if (isRfc3261Branch(via.branch)) return via.branch + SEP + sentBy(via) + SEP + m;
  const cseq = msg.cseq;
  if (!cseq || msg.callId === null) return null;
  return (
    '2543' +
    SEP +
    msg.callId +
    SEP +
    (msg.fromTag ?? '') +
    SEP +
    cseq.seq +
    SEP +
    sentBy(via) +
    SEP +
    (via.branch ?? '') +
    SEP +
    msg.ruri +
    SEP +
    m
  );
}

/** Call-ID + From tag + CSeq number: finds the INVITE an end-to-end ACK (to a 2xx) belongs to. */
export function dialogKey(msg: SipMessage): string | null {
  const cseq = msg.cseq;
  if (!cseq || msg.callId === null) return null;
  return msg.callId + SEP + (msg.fromTag ?? '') + SEP + cseq.seq;
}

/** The client-transaction key: our branch + the CSeq method (a CANCEL shares its INVITE's branch). */
export function clientKey(branch: string, method: string): string {
  return branch + SEP + method;
}

/** The client-transaction key a response carries, or null when it cannot be ours. */
export function responseKey(msg: SipMessage): string | null {
  const via = msg.topVia;
  const cseq = msg.cseq;
  if (!via?.branch || !cseq) return null;
  return clientKey(via.branch, cseq.method);
}
