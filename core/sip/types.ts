/**
 * The SIP message model every other layer programs against. The parser (core/sip/parser.ts)
 * produces objects satisfying `SipMessage`; transports, transactions and modules use only
 * this interface.
 *
 * Strings: the header section is held as "binary" (latin1) strings so that every octet
 * survives a round trip byte for byte (RFC 4475 intmeth has a NUL and raw UTF-8). Code that
 * hands text to a script converts with `toScriptText`/`fromScriptText` (core/sip/text.ts).
 */

export type Transport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'sctp';

export interface NameValue {
  readonly name: string;
  readonly value: string | null;
}

/** A parsed URI. Values are unescaped once (`%00` kept as a NUL char, never truncated). */
export interface SipUri {
  /** Lower-cased scheme: 'sip', 'sips', 'tel', or anything else (opaque). */
  readonly scheme: string;
  readonly user: string | null;
  readonly password: string | null;
  /** Host as written; IPv6 references keep their brackets: '[2001:db8::1]'. For non-SIP schemes: ''. */
  readonly host: string;
  readonly port: number | null;
  /** URI parameters in order; names as written (compare case-insensitively). */
  readonly params: readonly NameValue[];
  /** `?h=v&...` headers (unescaped). */
  readonly headers: readonly NameValue[];
  /** For non-SIP schemes: everything after `scheme:`. */
  readonly opaque: string;
  /** The text the URI was parsed from. */
  readonly raw: string;
}

/** name-addr or addr-spec with header parameters (From, To, Contact, Route, Record-Route…). */
export interface NameAddr {
  readonly displayName: string | null;
  readonly uri: SipUri;
  /** Header parameters (after `>` or, for addr-spec, after the URI). */
  readonly params: readonly NameValue[];
  /** True when written as `<uri>` form. */
  readonly bracketed: boolean;
  readonly raw: string;
}

export interface Via {
  /** e.g. 'SIP/2.0' */
  readonly protocol: string;
  /** Upper-cased transport token: 'UDP', 'TCP', 'TLS', 'SCTP', 'WS', or unknown. */
  readonly transport: string;
  /** sent-by host as written (IPv6 with brackets). */
  readonly host: string;
  readonly port: number | null;
  readonly params: readonly NameValue[];
  readonly branch: string | null;
  readonly received: string | null;
  /** null when absent, '' when present without a value, else the number as text. */
  readonly rport: string | null;
  readonly raw: string;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

export interface HeaderField {
  /** The name as received (case and compact form preserved). */
  readonly name: string;
  /** Canonical lower-case full name ('v' → 'via', 'Call-ID' → 'call-id'). */
  readonly lname: string;
  /** Value with folding replaced by single spaces and surrounding whitespace trimmed. */
  readonly value: string;
}

export interface SipMessage {
  readonly isRequest: boolean;
  /** Request method (case-sensitive, as RFC 3261 says); '' for responses. */
  readonly method: string;
  /** Request-URI text; '' for responses. */
  readonly ruri: string;
  readonly status: number;
  readonly reason: string;
  readonly version: string;

  // Parsed at once (what the transaction layer needs). Absent -> null.
  readonly callId: string | null;
  readonly cseq: CSeq | null;
  readonly fromTag: string | null;
  readonly toTag: string | null;
  readonly maxForwards: number | null;
  readonly topVia: Via | null;
  readonly body: Buffer;

  // Parsed on demand, then cached until the underlying header changes.
  ruriParsed(): SipUri;
  from(): NameAddr | null;
  to(): NameAddr | null;
  vias(): Via[];
  contacts(): NameAddr[];
  /** true when the message has `Contact: *`. */
  contactStar(): boolean;
  routes(): NameAddr[];
  recordRoutes(): NameAddr[];

  /** All header fields in order (one per header line, multi-value lines not split). */
  headerFields(): readonly HeaderField[];
  /** First header field value of that name (full or compact, any case), or null. */
  header(name: string): string | null;
  /** Every value of that name, comma-separated lists split (quotes and <> respected). */
  headerValues(name: string): string[];
  hasHeader(name: string): boolean;

  // Mutations. The serializer re-emits untouched header lines byte for byte.
  setRuri(uri: string): void;
  setStatus(status: number, reason: string): void;
  /** Appends `Name: value` at the end of the header section. */
  appendHeader(name: string, value: string): void;
  /** Inserts `Name: value` at the top of the header section. */
  prependHeader(name: string, value: string): void;
  /** Inserts after the last header of `afterName`; falls back to append. */
  insertHeaderAfter(afterName: string, name: string, value: string): void;
  /** Removes every header of that name (full or compact form); returns how many were removed. */
  removeHeader(name: string): number;
  /** Removes the header fields at these indexes of `headerFields()`. */
  removeHeaderAt(index: number): void;
  /** Replaces every header of that name with one line. */
  setHeader(name: string, value: string): void;
  /** Adds a Via value on top (as a new first Via header line). */
  pushVia(value: string): void;
  /** Removes the first Via value (the first value of a comma list, or the whole first line). */
  popVia(): void;
  setMaxForwards(n: number): void;
  /** Replaces the body; Content-Length follows; contentType optional (removes the header when ''). */
  setBody(body: Buffer | string, contentType?: string): void;

  /** Wire form: untouched parts as received, changed parts rebuilt, Content-Length exact. */
  serialize(): Buffer;
  /** A deep copy that can be mutated independently (branches, failure routes). */
  clone(): SipMessage;
}

/** Receiving details that travel with a message. */
export interface ReceiveInfo {
  readonly transport: Transport;
  readonly srcIp: string;
  readonly srcPort: number;
  readonly dstIp: string;
  readonly dstPort: number;
  /** Transport-specific id of the connection (TCP/TLS/WS) to reuse for responses. */
  readonly connectionId: number | null;
  readonly receivedAt: number;
}
