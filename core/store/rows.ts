/** Row ↔ record mapping shared by the SQL drivers (PostgreSQL hands BIGINT back as text). */
import type { AddressEntry, LocationRecord, Subscriber, TrustedEntry } from './types.ts';

type Row = Record<string, unknown>;

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const sn = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export function rowToSubscriber(r: Row): Subscriber {
  return {
    username: s(r['username']),
    domain: s(r['domain']),
    password: s(r['password']),
    ha1: s(r['ha1']),
    ha1b: s(r['ha1b']),
    ha1Sha256: s(r['ha1_sha256']),
  };
}

/**
 * A subscriber read by (username, domain) as the column list [password, ha1, ha1b,
 * ha1_sha256]: the key columns are the ones the lookup matched.
 */
export function subscriberFromColumns(username: string, domain: string, c: unknown[]): Subscriber {
  return {
    username,
    domain,
    password: s(c[0]),
    ha1: s(c[1]),
    ha1b: s(c[2]),
    ha1Sha256: s(c[3]),
  };
}

export function rowToLocation(r: Row): LocationRecord {
  return {
    ruid: s(r['ruid']),
    aor: s(r['aor']),
    contact: s(r['contact']),
    received: sn(r['received']),
    path: sn(r['path']),
    expires: n(r['expires']),
    q: n(r['q']),
    callId: s(r['callid']),
    cseq: n(r['cseq']),
    cflags: n(r['cflags']),
    userAgent: s(r['user_agent']),
    socket: sn(r['socket']),
    methods: s(r['methods']),
    instance: sn(r['instance']),
    regId: n(r['reg_id']),
    lastModified: n(r['last_modified']),
  };
}

/** Positional values in LOCATION_COLUMNS order. */
export function locationValues(r: LocationRecord): (string | number | null)[] {
  return [
    r.ruid,
    r.aor,
    r.contact,
    r.received,
    r.path,
    r.expires,
    r.q,
    r.callId,
    r.cseq,
    r.cflags,
    r.userAgent,
    r.socket,
    r.methods,
    r.instance,
    r.regId,
    r.lastModified,
  ];
}

export function rowToAddress(r: Row): AddressEntry {
  return {
    group: n(r['grp']),
    ip: s(r['ip_addr']),
    mask: n(r['mask']),
    port: n(r['port']),
    tag: s(r['tag']),
  };
}

export function rowToTrusted(r: Row): TrustedEntry {
  return {
    srcIp: s(r['src_ip']),
    proto: s(r['proto']),
    fromPattern: s(r['from_pattern']),
    tag: s(r['tag']),
    priority: n(r['priority']),
  };
}
