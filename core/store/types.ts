/**
 * Storage interfaces: what modules (usrloc, auth_db, group, permissions, htable later) ask of
 * a database. Drivers live in modules (db_sqlite, db_postgres) and all pass one shared suite
 * (core/store/suite.ts).
 *
 * Methods return `MaybePromise`: an embedded driver (better-sqlite3) answers synchronously,
 * so the hot path stays synchronous; a network driver (pg) answers with Promises. Callers use
 * `whenReady` (below) to stay synchronous when they can.
 */

export type MaybePromise<T> = T | Promise<T>;

/** A row of the `subscriber` table (Kamailio names). */
export interface Subscriber {
  readonly username: string;
  readonly domain: string;
  /** Plain password; '' when only hashes are stored. */
  readonly password: string;
  /** MD5(username:realm:password), lower-case hex. */
  readonly ha1: string;
  /** MD5(username@domain:realm:password), for UAs that send user@domain as username. */
  readonly ha1b: string;
  /** SHA-256(username:realm:password) for RFC 7616 SHA-256 digest. */
  readonly ha1Sha256: string;
}

/** One binding of an address-of-record (a `location` row). */
export interface LocationRecord {
  /** Unique id of the binding (record unique id, as Kamailio's ruid). */
  readonly ruid: string;
  /** AoR key: escaped user, or `user@domain` with use_domain. Never holds a NUL (escaped). */
  readonly aor: string;
  /** Contact URI text as received. */
  readonly contact: string;
  /** Where the REGISTER came from: `sip:ip:port;transport=x`, or null. */
  readonly received: string | null;
  /** Path header values (RFC 3327), comma-joined, or null. */
  readonly path: string | null;
  /** Absolute expiry in seconds since the epoch. */
  readonly expires: number;
  /** q as a number in [0, 1], or -1 when the contact had none. */
  readonly q: number;
  readonly callId: string;
  readonly cseq: number;
  /** Branch flags saved with the contact (restored by lookup). */
  readonly cflags: number;
  readonly userAgent: string;
  /** Local socket the REGISTER arrived on: `proto:ip:port`. */
  readonly socket: string | null;
  /** Methods the contact accepts (Allow of the REGISTER), comma-joined; '' = unknown. */
  readonly methods: string;
  /** RFC 5626 `+sip.instance` value, or null. */
  readonly instance: string | null;
  /** RFC 5626 reg-id, 0 when absent. */
  readonly regId: number;
  /** Seconds since the epoch of the last update. */
  readonly lastModified: number;
}

export interface SubscriberStore {
  get(username: string, domain: string): MaybePromise<Subscriber | null>;
  /** Inserts or replaces (same username and domain). */
  put(s: Subscriber): MaybePromise<void>;
  /** True when a row was removed. */
  remove(username: string, domain: string): MaybePromise<boolean>;
  list(domain?: string): MaybePromise<Subscriber[]>;
}

export interface LocationStore {
  /** Inserts or replaces by ruid. */
  upsert(r: LocationRecord): MaybePromise<void>;
  remove(ruid: string): MaybePromise<void>;
  removeAor(aor: string): MaybePromise<number>;
  /** Removes bindings whose `expires` is before `nowSec`; returns how many. */
  removeExpired(nowSec: number): MaybePromise<number>;
  /** Every binding (startup load), or those of one AoR. */
  list(aor?: string): MaybePromise<LocationRecord[]>;
}

/** Group membership (`grp` table): user@domain belongs to named groups. */
export interface GroupStore {
  add(username: string, domain: string, group: string): MaybePromise<void>;
  remove(username: string, domain: string, group: string): MaybePromise<boolean>;
  isMember(username: string, domain: string, group: string): MaybePromise<boolean>;
  /** Groups of one user, or every membership when username is omitted. */
  list(
    username?: string,
    domain?: string,
  ): MaybePromise<{ username: string; domain: string; group: string }[]>;
}

/** An `address` row: an IP or a network (mask bits) with an optional port (0 = any). */
export interface AddressEntry {
  readonly group: number;
  readonly ip: string;
  readonly mask: number;
  readonly port: number;
  readonly tag: string;
}

/** A `trusted` row: source IP, protocol (`any` or udp/tcp/tls/ws/wss), From regex. */
export interface TrustedEntry {
  readonly srcIp: string;
  readonly proto: string;
  /** Regular expression matched against the From URI; '' = any. */
  readonly fromPattern: string;
  readonly tag: string;
  readonly priority: number;
}

export interface AddressStore {
  add(e: AddressEntry): MaybePromise<void>;
  /** Removes rows matching group, ip and mask (and port when given). */
  remove(group: number, ip: string, mask: number, port?: number): MaybePromise<number>;
  list(): MaybePromise<AddressEntry[]>;
  addTrusted(e: TrustedEntry): MaybePromise<void>;
  listTrusted(): MaybePromise<TrustedEntry[]>;
}

/** Generic tables: namespaced keys with optional expiry (secrets, htable persistence later). */
export interface KvStore {
  get(table: string, key: string): MaybePromise<string | null>;
  /** `expires` in seconds since the epoch, 0 = never. */
  set(table: string, key: string, value: string, expires?: number): MaybePromise<void>;
  remove(table: string, key: string): MaybePromise<boolean>;
  list(table: string): MaybePromise<{ key: string; value: string; expires: number }[]>;
}

export interface Store {
  /** `sqlite` or `postgres`. */
  readonly driver: string;
  /** Where it points, with any password masked (for logs). */
  readonly description: string;
  readonly subscribers: SubscriberStore;
  readonly location: LocationStore;
  readonly groups: GroupStore;
  readonly addresses: AddressStore;
  readonly kv: KvStore;
  /** Closes connections; idempotent. Any use afterwards fails with StoreClosedError. */
  close(): Promise<void>;
}

export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  readonly code: string = 'POLYSIP_ERR_STORE';
}

/** The backend could not be reached or answered with an error (the request gets a 500). */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
  override readonly code = 'POLYSIP_ERR_STORE_UNAVAILABLE';
}

export class StoreClosedError extends StoreError {
  override readonly name = 'StoreClosedError';
  override readonly code = 'POLYSIP_ERR_STORE_CLOSED';
}

/** A database URL the drivers do not understand. */
export class StoreUrlError extends StoreError {
  override readonly name = 'StoreUrlError';
  override readonly code = 'POLYSIP_ERR_STORE_URL';
}

export function isPromise<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** Applies `fn` to a value now when it is there, later when it is a Promise. */
export function whenReady<T, R>(v: MaybePromise<T>, fn: (t: T) => R): MaybePromise<R> {
  return isPromise(v) ? v.then(fn) : fn(v);
}
