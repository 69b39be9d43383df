/**
 * Errors of the SIP message layer. Match on `code`, never `instanceof`: errors cross worker
 * and sandbox boundaries.
 */

/** What the parser could still read from a broken message, enough to answer it with 400. */
export interface PartialMessage {
  /** true request, false response, null when the start-line is unreadable. */
  readonly isRequest: boolean | null;
  /** Via header values in order, one per Via header line (folding collapsed). */
  readonly vias: string[];
  readonly from: string | null;
  readonly to: string | null;
  readonly callId: string | null;
  readonly cseq: string | null;
}

export const EMPTY_PARTIAL: PartialMessage = Object.freeze({
  isRequest: null,
  vias: [],
  from: null,
  to: null,
  callId: null,
  cseq: null,
});

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  readonly code = 'POLYSIP_ERR_SIP_PARSE';
  /**
   * @param status SIP status to answer with (400, 501, 505), or 0 meaning "drop silently"
   *   (broken responses, which are never answered).
   * @param reason Short text naming the fault, fit for a Warning header ('Bad Content-Length').
   * @param partial What could be read, so the answer can copy Via/From/To/Call-ID/CSeq.
   */
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly partial: PartialMessage = EMPTY_PARTIAL,
  ) {
    super(`SIP parse error (${status || 'drop'}): ${reason}`);
  }
}

/** A value handed to a message mutation would corrupt the wire form (CR/LF injection, bad name). */
export class SipValueError extends Error {
  override readonly name = 'SipValueError';
  readonly code = 'POLYSIP_ERR_SIP_VALUE';
}
