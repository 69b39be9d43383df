/**
 * Requests a client transaction generates on its own: the ACK for a non-2xx final response
 * (§17.1.1.3) and the CANCEL of a pending INVITE (§9.1). Both copy the INVITE's Request-URI,
 * top Via (ours: same branch), Route set, Call-ID, From and CSeq number.
 */
import { parseMessage } from '../sip/parser.ts';
import type { SipMessage } from '../sip/types.ts';

function common(method: string, invite: SipMessage, to: string): string[] {
  const lines: string[] = [`${method} ${invite.ruri} SIP/2.0`];
  const via = invite.topVia;
  if (via) lines.push(`Via: ${via.raw}`);
  for (const h of invite.headerFields()) if (h.lname === 'route') lines.push(`Route: ${h.value}`);
  lines.push('Max-Forwards: 70');
  const from = invite.header('from');
  if (from !== null) lines.push(`From: ${from}`);
  lines.push(`To: ${to}`);
  if (invite.callId !== null) lines.push(`Call-ID: ${invite.callId}`);
  lines.push(`CSeq: ${invite.cseq?.seq ?? 0} ${method}`);
  return lines;
}

function finish(lines: string[]): Buffer {
  lines.push('Content-Length: 0', '', '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** The hop-by-hop ACK for a 3xx–6xx response to `invite`; its To comes from the response. */
export function buildAck(invite: SipMessage, response: SipMessage): Buffer {
  return finish(common('ACK', invite, response.header('to') ?? invite.header('to') ?? ''));
}

/**
 * The CANCEL for `invite` (one branch of ours). `reason` is a Reason header value (RFC 3326),
 * e.g. copied from the CANCEL received upstream, or the "call completed elsewhere" of a fork.
 */
export function buildCancel(invite: SipMessage, reason?: string | null): SipMessage {
  const lines = common('CANCEL', invite, invite.header('to') ?? '');
  if (reason) lines.push(`Reason: ${reason}`);
  return parseMessage(finish(lines));
}
