/**
 * Stateless forwarding (RFC 3261 §16.11): the branch we put in our Via is a function of the
 * request, so a retransmission (and the CANCEL or non-2xx ACK of an INVITE) leaves with the
 * same branch as the original, and responses find their way back without state.
 */
import { hash } from 'node:crypto';
import type { SipMessage } from '../sip/types.ts';

export const MAGIC_COOKIE = 'z9hG4bK';
/** Marks branches we minted statelessly, so a response can be recognised as ours. */
export const STATELESS_BRANCH_PREFIX = `${MAGIC_COOKIE}sl`;

export function statelessBranch(msg: SipMessage, destination: string): string {
  const via = msg.topVia;
  let input: string;
  if (
    via?.branch &&
    via.branch.startsWith(MAGIC_COOKIE) &&
    via.branch.length > MAGIC_COOKIE.length
  ) {
    // The upstream branch already identifies the transaction; ACK/CANCEL share it.
    input = via.branch;
  } else {
    // RFC 2543 peers: the fields §17.2.3 would match on.
    input =
      (msg.callId ?? '') +
      '\0' +
      (msg.fromTag ?? '') +
      '\0' +
      (msg.toTag ?? '') +
      '\0' +
      String(msg.cseq?.seq ?? '') +
      '\0' +
      (via?.raw ?? '') +
      '\0' +
      msg.ruri;
  }
  // One-shot hash of the joined text: the same digest as feeding the parts to a Hash object,
  // without creating one per relayed message (createHash showed in the stateful profile).
  const digest = hash('md5', input + '\0' + destination, 'buffer');
  return STATELESS_BRANCH_PREFIX + digest.toString('base64url').slice(0, 22);
}

/** Max-Forwards on the way out: decremented, or 70 when the request had none (§16.6 step 3). */
export function decrementMaxForwards(msg: SipMessage): void {
  const mf = msg.maxForwards;
  if (mf === null) msg.setMaxForwards(70);
  else if (mf > 0) msg.setMaxForwards(mf - 1);
}
