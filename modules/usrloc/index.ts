/**
 * usrloc: the location table. Bindings live in memory (lookups never touch the database) and
 * are written through to the store in order; they are loaded back on start and a timer sweeps
 * expired ones from memory and store.
 *
 * Writes go through one ordered queue. With a synchronous store (SQLite) a write happens
 * before save() returns; with PostgreSQL it is sent at once and awaited in the background.
 * A write that fails (backend away) stays at the head of the queue and is retried until it
 * succeeds, so a restart of the database loses no registration; the failure is logged once
 * per outage. Kamailio has no KEMI exports for usrloc: registrar reaches it through this API.
 */
import type { PolysipModule } from '../../core/api/module.ts';
import { escape, USER_SAFE } from '../../core/sip/uri.ts';
import {
  isPromise,
  type LocationRecord,
  type MaybePromise,
  type Store,
} from '../../core/store/types.ts';

/** USER_SAFE without '/': the tenant separator of AoR keys. */
const KEY_USER_SAFE = USER_SAFE.replace('/', '');

/** An AoR key in a tenant's namespace ('' = the main script's, unprefixed). */
export function tenantKey(tenant: string, aor: string): string {
  return tenant === '' ? aor : `${tenant}/${aor}`;
}

/** The tenant and the AoR of a key (inverse of tenantKey). */
export function splitKey(key: string): { tenant: string; aor: string } {
  const slash = key.indexOf('/');
  return slash <= 0
    ? { tenant: '', aor: key }
    : { tenant: key.slice(0, slash), aor: key.slice(slash + 1) };
}

export interface UsrlocParams {
  /** 1: the AoR is user@domain (multi-domain); 0: the user part alone (Kamailio default). */
  readonly use_domain?: number;
  /** Seconds between sweeps of expired bindings. */
  readonly timer_interval?: number;
  /** 0: memory only; 1: write-through to the store (default); loaded on start either way when 1. */
  readonly db_mode?: number;
  /** Seconds between retries of a write the store refused. */
  readonly retry_interval?: number;
}

export type UsrlocLog = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface UsrlocOptions {
  readonly store: Store | null;
  readonly params?: UsrlocParams;
  readonly log?: UsrlocLog;
  /** Clock in seconds (tests). */
  readonly now?: () => number;
}

type Op = () => MaybePromise<unknown>;

export class Usrloc {
  readonly useDomain: boolean;
  readonly #store: Store | null;
  readonly #byAor = new Map<string, LocationRecord[]>();
  readonly #log: UsrlocLog;
  readonly #now: () => number;
  readonly #queue: Op[] = [];
  readonly #retryMs: number;
  #draining = false;
  #outage = false;
  #timer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #idle: (() => void)[] = [];
  #stopped = false;

  constructor(opts: UsrlocOptions) {
    const p = opts.params ?? {};
    this.useDomain = Number(p.use_domain ?? 0) !== 0;
    this.#store = Number(p.db_mode ?? 1) === 0 ? null : opts.store;
    this.#log = opts.log ?? (() => {});
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.#retryMs = Math.max(50, Number(p.retry_interval ?? 1) * 1000);
    const every = Math.max(1, Number(p.timer_interval ?? 60)) * 1000;
    this.#timer = setInterval(() => this.sweep(), every);
    this.#timer.unref();
  }

  /**
   * The AoR key of a URI's user and host: escaped (a %00 user is kept whole), domain
   * lower-cased. A tenant's keys start with `TENANT/`; a '/' in the user is escaped (%2F) in
   * every namespace, so the first '/' of a key always ends a tenant name and no user name
   * (`acme/alice` registered through the main script) can reach into a tenant's bindings.
   */
  aorKey(user: string | null, host: string, tenant = ''): string {
    const u = escape(user ?? '', KEY_USER_SAFE);
    const key = this.useDomain ? `${u}@${host.toLowerCase()}` : u;
    return tenantKey(tenant, key);
  }

  now(): number {
    return this.#now();
  }

  /** Live bindings of an AoR, best first (q descending, then most recent). */
  get(aor: string): LocationRecord[] {
    const list = this.#byAor.get(aor);
    if (!list) return [];
    const now = this.#now();
    const live = list.filter((r) => r.expires > now);
    return live.sort((a, b) => qOf(b) - qOf(a) || b.lastModified - a.lastModified);
  }

  /** Every AoR with its bindings (management, tests). */
  entries(): [string, LocationRecord[]][] {
    return [...this.#byAor.entries()].map(([k, v]) => [k, [...v]]);
  }

  get size(): number {
    let n = 0;
    for (const l of this.#byAor.values()) n += l.length;
    return n;
  }

  /** Inserts or replaces a binding (by ruid). `memOnly` skips the store (save flag 1). */
  put(rec: LocationRecord, memOnly = false): void {
    const list = this.#byAor.get(rec.aor) ?? [];
    const i = list.findIndex((r) => r.ruid === rec.ruid);
    if (i >= 0) list[i] = rec;
    else list.push(rec);
    this.#byAor.set(rec.aor, list);
    if (!memOnly && this.#store) this.#write(() => this.#store!.location.upsert(rec));
  }

  remove(aor: string, ruid: string, memOnly = false): boolean {
    const list = this.#byAor.get(aor);
    if (!list) return false;
    const i = list.findIndex((r) => r.ruid === ruid);
    if (i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.#byAor.delete(aor);
    if (!memOnly && this.#store) this.#write(() => this.#store!.location.remove(ruid));
    return true;
  }

  removeAor(aor: string, memOnly = false): number {
    const n = this.#byAor.get(aor)?.length ?? 0;
    this.#byAor.delete(aor);
    if (!memOnly && this.#store) this.#write(() => this.#store!.location.removeAor(aor));
    return n;
  }

  /** Loads the store's bindings into memory (start-up). Returns how many live ones were loaded. */
  async load(): Promise<number> {
    if (!this.#store) return 0;
    const now = this.#now();
    const rows = await this.#store.location.list();
    let n = 0;
    for (const r of rows) {
      if (r.expires <= now) continue;
      const list = this.#byAor.get(r.aor) ?? [];
      list.push(r);
      this.#byAor.set(r.aor, list);
      n++;
    }
    this.#write(() => this.#store!.location.removeExpired(now));
    return n;
  }

  /** Drops expired bindings from memory and the store. */
  sweep(): number {
    const now = this.#now();
    let n = 0;
    for (const [aor, list] of this.#byAor) {
      const live = list.filter((r) => r.expires > now);
      n += list.length - live.length;
      if (live.length === 0) this.#byAor.delete(aor);
      else if (live.length !== list.length) this.#byAor.set(aor, live);
    }
    if (this.#store) this.#write(() => this.#store!.location.removeExpired(now));
    return n;
  }

  /** Writes not yet acknowledged by the store. */
  get pendingWrites(): number {
    return this.#queue.length;
  }

  /** Resolves once every queued write has reached the store. */
  flush(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    // A last attempt to persist what is pending; a dead backend must not hang shutdown.
    if (this.#queue.length > 0 && !this.#outage) {
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
  }

  #write(op: Op): void {
    if (!this.#store || this.#stopped) return;
    this.#queue.push(op);
    if (!this.#draining && !this.#retryTimer) this.#drain();
  }

  #drain(): void {
    this.#draining = true;
    while (this.#queue.length > 0) {
      let r: MaybePromise<unknown>;
      try {
        r = this.#queue[0]!();
      } catch (e) {
        this.#failed(e as Error);
        return;
      }
      if (isPromise(r)) {
        r.then(
          () => {
            this.#queue.shift();
            this.#recovered();
            this.#drain();
          },
          (e: Error) => this.#failed(e),
        );
        return;
      }
      this.#queue.shift();
      this.#recovered();
    }
    this.#draining = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }

  #recovered(): void {
    if (!this.#outage) return;
    this.#outage = false;
    this.#log(
      'info',
      `usrloc: location store reachable again, ${this.#queue.length} write(s) left`,
    );
  }

  #failed(e: Error): void {
    this.#draining = false;
    if (!this.#outage) {
      this.#outage = true;
      this.#log('error', `usrloc: location write failed, kept in memory and retried: ${e.message}`);
    }
    if (this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#drain();
    }, this.#retryMs);
    this.#retryTimer.unref();
  }
}

function qOf(r: LocationRecord): number {
  return r.q < 0 ? 1 : r.q;
}

export function createUsrloc(opts: UsrlocOptions): Usrloc {
  return new Usrloc(opts);
}

/** usrloc exports nothing to KEMI (as Kamailio); the module exists to be stopped with the rest. */
export function createUsrlocModule(usrloc: Usrloc): PolysipModule {
  return { name: 'usrloc', exports: [], stop: () => usrloc.stop() };
}
