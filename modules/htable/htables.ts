/**
 * The set of named tables, per tenant: definitions, first-use creation, the expiry sweep and
 * its event, and persistence through the store's generic key-value table.
 *
 * Tenants get separate instances of each table (same definition, own items), so a regex
 * removal or a dump never reaches another tenant's keys.
 */
import type { PvValue } from '../../core/api/context.ts';
import { isPromise, type KvStore } from '../../core/store/types.ts';
import { defaultSpec, parseTableSpec, type TableSpec } from './spec.ts';
import { HashTable } from './table.ts';

export interface ExpiredEvent {
  /** `htable:expired:NAME`: the event route name a script handles. */
  readonly event: string;
  readonly table: string;
  readonly tenant: string;
  readonly key: string;
  readonly value: PvValue;
}

export type ExpiredHandler = (ev: ExpiredEvent) => void;

export interface HtablesOptions {
  /** Definitions in modparam syntax (`name=>size=8;autoexpire=300;`). */
  readonly tables?: readonly string[];
  /** Seconds between expiry sweeps (Kamailio's timer_interval, default 20). */
  readonly timerInterval?: number;
  /** Clock in seconds (tests). */
  readonly now?: () => number;
  /** Where load and write-back errors go. */
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** Values cross the string-only KV store with their type: `i:12`, `s:text`. */
export function encodeValue(v: PvValue): string {
  return typeof v === 'number' ? `i:${v}` : `s:${v}`;
}

export function decodeValue(s: string): PvValue {
  if (s.startsWith('i:') && /^-?[0-9]+$/.test(s.slice(2))) return Number(s.slice(2));
  if (s.startsWith('s:')) return s.slice(2);
  return s;
}

export class Htables {
  readonly #specs = new Map<string, TableSpec>();
  /** tenant → table name → table. */
  readonly #tables = new Map<string, Map<string, HashTable>>();
  readonly #handlers: ExpiredHandler[] = [];
  readonly #now: () => number;
  readonly #interval: number;
  readonly #log: NonNullable<HtablesOptions['log']>;
  #timer: NodeJS.Timeout | null = null;
  #kv: KvStore | null = null;

  constructor(opts: HtablesOptions = {}) {
    this.#now = opts.now ?? (() => Date.now() / 1000);
    this.#interval = opts.timerInterval ?? 20;
    this.#log = opts.log ?? (() => {});
    for (const t of opts.tables ?? []) this.define(t);
  }

  now(): number {
    return this.#now();
  }

  /** Adds a definition (modparam syntax or a parsed spec). Redefining a name is an error. */
  define(def: string | TableSpec): TableSpec {
    const spec = typeof def === 'string' ? parseTableSpec(def) : def;
    if (this.#specs.has(spec.name)) throw new Error(`htable ${spec.name} is defined twice`);
    this.#specs.set(spec.name, spec);
    return spec;
  }

  spec(name: string): TableSpec | undefined {
    return this.#specs.get(name);
  }

  /** Defined table names, plus those created on first use. */
  names(): string[] {
    const all = new Set(this.#specs.keys());
    for (const m of this.#tables.values()) for (const n of m.keys()) all.add(n);
    return [...all].sort();
  }

  /**
   * The table `name` of `tenant`, created on first use. A name without a definition gets the
   * defaults (16 slots, no expiry, no initval, memory only), as if defined `name=>size=4;`.
   */
  table(name: string, tenant = ''): HashTable {
    let byName = this.#tables.get(tenant);
    if (!byName) {
      byName = new Map();
      this.#tables.set(tenant, byName);
    }
    let t = byName.get(name);
    if (!t) {
      let spec = this.#specs.get(name);
      if (!spec) {
        spec = defaultSpec(name);
        this.#specs.set(name, spec);
      }
      t = new HashTable(spec, tenant, this.#now);
      byName.set(name, t);
      if (spec.autoexpire > 0) this.#startTimer();
      if (this.#kv && spec.dbtable) void this.#load(t);
    }
    return t;
  }

  /** Existing table or undefined (RPC reads must not create tables). */
  peek(name: string, tenant = ''): HashTable | undefined {
    return this.#tables.get(tenant)?.get(name);
  }

  /** Every table instance created so far, of every tenant (RPC htable.listTables). */
  instances(): HashTable[] {
    return [...this.#tables.values()].flatMap((byName) => [...byName.values()]);
  }

  /** Registers a handler for `htable:expired:NAME` events (the composition root runs the script). */
  onExpired(handler: ExpiredHandler): () => void {
    this.#handlers.push(handler);
    this.#startTimer();
    return () => {
      const i = this.#handlers.indexOf(handler);
      if (i >= 0) this.#handlers.splice(i, 1);
    };
  }

  /** Removes expired items of every table and fires their events; returns how many expired. */
  sweep(): number {
    let n = 0;
    for (const byName of this.#tables.values()) {
      for (const t of byName.values()) {
        for (const it of t.sweep()) {
          n++;
          const ev: ExpiredEvent = {
            event: `htable:expired:${t.spec.name}`,
            table: t.spec.name,
            tenant: t.tenant,
            key: it.key,
            value: it.value,
          };
          for (const h of this.#handlers) {
            try {
              h(ev);
            } catch (e) {
              this.#log('error', `htable: expired handler failed: ${(e as Error).message}`);
            }
          }
        }
      }
    }
    return n;
  }

  #startTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.sweep(), this.#interval * 1000);
    this.#timer.unref();
  }

  // --- persistence

  /**
   * Connects the KV store: tables with a `dbtable` load their items from it now (and tables
   * created later load when created); `flush()` and `stop()` write changed items back.
   */
  async attachStore(kv: KvStore): Promise<void> {
    this.#kv = kv;
    const loads: Promise<number>[] = [];
    for (const spec of this.#specs.values()) {
      if (!spec.dbtable) continue;
      loads.push(this.#load(this.table(spec.name, '')));
    }
    await Promise.all(loads);
  }

  /** Kv table of a table instance: the dbtable, with `@tenant` for tenants. */
  #kvTable(t: HashTable): string {
    return t.tenant === '' ? t.spec.dbtable! : `${t.spec.dbtable!}@${t.tenant}`;
  }

  /** Loads the stored items of `t`; items already set in memory win (they are newer). */
  async #load(t: HashTable): Promise<number> {
    const kv = this.#kv;
    if (!kv || !t.spec.dbtable) return 0;
    try {
      const got = kv.list(this.#kvTable(t));
      const rows = isPromise(got) ? await got : got;
      const now = this.#now();
      let n = 0;
      for (const r of rows) {
        if (r.expires !== 0 && r.expires <= now) continue;
        if (t.items.has(r.key)) continue;
        t.items.set(r.key, { value: decodeValue(r.value), expires: r.expires });
        n++;
      }
      return n;
    } catch (e) {
      this.#log('error', `htable ${t.spec.name}: load failed: ${(e as Error).message}`);
      return 0;
    }
  }

  /** Empties a table and loads it again from the store (RPC htable.reload). */
  async reload(name: string, tenant = ''): Promise<number> {
    const t = this.table(name, tenant);
    if (!this.#kv || !t.spec.dbtable)
      throw new Error(`htable ${name} has no dbtable to reload from`);
    t.items.clear();
    t.dirty.clear();
    return this.#load(t);
  }

  /** Writes the changed items of dbmode=1 tables to the store; returns how many rows changed. */
  async flush(): Promise<number> {
    const kv = this.#kv;
    if (!kv) return 0;
    let n = 0;
    for (const byName of this.#tables.values()) {
      for (const t of byName.values()) {
        if (!t.spec.dbtable || t.spec.dbmode !== 1) continue;
        const table = this.#kvTable(t);
        for (const key of [...t.dirty]) {
          t.dirty.delete(key);
          const it = t.item(key);
          const r = it
            ? kv.set(table, key, encodeValue(it.value), it.expires)
            : kv.remove(table, key);
          if (isPromise<unknown>(r)) await r;
          n++;
        }
      }
    }
    return n;
  }

  /** Stops the sweep, writes back, and forgets every item (the module's stop hook). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    try {
      await this.flush();
    } catch (e) {
      this.#log('error', `htable: write-back failed: ${(e as Error).message}`);
    }
    this.#tables.clear();
    this.#kv = null;
  }
}
