/**
 * One hash table of one tenant: items with an int or string value and an optional expiry,
 * slot locks for `sht_lock`, and the dirty set that write-back to the store drains.
 * Time is injected (seconds) so expiry is testable without waiting.
 */
import type { PvValue } from '../../core/api/context.ts';
import type { TableSpec } from './spec.ts';

export interface Item {
  value: PvValue;
  /** Absolute expiry in seconds; 0 = never. */
  expires: number;
}

export interface ExpiredItem {
  readonly key: string;
  readonly value: PvValue;
}

/** Who holds a slot lock: any object identifying a route call (its RouteContext). */
type Owner = object;

interface SlotLock {
  owner: Owner;
  depth: number;
  waiters: { owner: Owner; wake: () => void }[];
}

export class HashTable {
  readonly items = new Map<string, Item>();
  /** Keys changed (set or removed) since the last write-back. */
  readonly dirty = new Set<string>();
  readonly #locks = new Map<number, SlotLock>();
  readonly #mask: number;

  constructor(
    readonly spec: TableSpec,
    readonly tenant: string,
    private readonly now: () => number,
  ) {
    this.#mask = 2 ** spec.size - 1;
  }

  /** The live item, null when missing or past its expiry (removed later by the sweep). */
  item(key: string): Item | null {
    const it = this.items.get(key);
    if (!it) return null;
    if (it.expires !== 0 && it.expires <= this.now()) return null;
    return it;
  }

  /** Value of a key, or the table's initval for a missing one, else null. */
  get(key: string): PvValue | null {
    return this.item(key)?.value ?? this.spec.initval;
  }

  set(key: string, value: PvValue): void {
    const cur = this.item(key);
    const t = this.now();
    let expires = this.spec.autoexpire > 0 ? t + this.spec.autoexpire : 0;
    if (cur && !this.spec.updateExpire) expires = cur.expires;
    if (cur) {
      cur.value = value;
      cur.expires = expires;
    } else {
      this.items.set(key, { value, expires });
    }
    this.dirty.add(key);
  }

  /** Sets an item's expiry to `sec` seconds from now (0 = never); false when it is missing. */
  setExpire(key: string, sec: number): boolean {
    const it = this.item(key);
    if (!it) return false;
    it.expires = sec > 0 ? this.now() + sec : 0;
    this.dirty.add(key);
    return true;
  }

  /**
   * Adds `delta` to an int item and returns the new value. A missing item starts from initval
   * (0 without one); a string item holding an integer is converted; other strings give null.
   */
  add(key: string, delta: number): number | null {
    const cur = this.item(key);
    let base: number;
    if (!cur) base = this.spec.initval ?? 0;
    else if (typeof cur.value === 'number') base = cur.value;
    else if (/^-?[0-9]+$/.test(cur.value)) base = Number(cur.value);
    else return null;
    // Kamailio's items are C ints: wrap as they would rather than drift into floats.
    const next = (base + delta) | 0;
    this.set(key, next);
    return next;
  }

  remove(key: string): boolean {
    const had = this.items.delete(key);
    if (had) this.dirty.add(key);
    return had;
  }

  /** Removes the items for which `pred` holds; returns how many. */
  removeWhere(pred: (key: string, value: PvValue) => boolean): number {
    let n = 0;
    for (const [k, it] of this.items) {
      if (pred(k, it.value)) {
        this.items.delete(k);
        this.dirty.add(k);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    for (const k of this.items.keys()) this.dirty.add(k);
    this.items.clear();
  }

  /** Live items, in insertion order. */
  *entries(): IterableIterator<[string, Item]> {
    const t = this.now();
    for (const e of this.items) if (e[1].expires === 0 || e[1].expires > t) yield e;
  }

  /** Takes the expired items out of the table and returns them (for the expiry event). */
  sweep(): ExpiredItem[] {
    const t = this.now();
    const out: ExpiredItem[] = [];
    for (const [k, it] of this.items) {
      if (it.expires !== 0 && it.expires <= t) {
        this.items.delete(k);
        this.dirty.add(k);
        out.push({ key: k, value: it.value });
      }
    }
    return out;
  }

  // --- locks: one per slot, re-entrant for the route call holding it

  slotOf(key: string): number {
    // FNV-1a: cheap and spreads short keys (IPs, user names) well enough over the slots.
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return (h >>> 0) & this.#mask;
  }

  /**
   * Takes the lock of the key's slot for `owner`. Resolves at once when it is free or already
   * held by `owner`; otherwise returns a Promise that resolves when the holder unlocks (the
   * route suspends there, as a Kamailio worker would block on the slot mutex).
   */
  lock(key: string, owner: Owner): void | Promise<void> {
    const slot = this.slotOf(key);
    const l = this.#locks.get(slot);
    if (!l) {
      this.#locks.set(slot, { owner, depth: 1, waiters: [] });
      return;
    }
    if (l.owner === owner) {
      l.depth++;
      return;
    }
    return new Promise<void>((wake) => l.waiters.push({ owner, wake }));
  }

  /** Releases one level of the owner's lock; false when `owner` does not hold it. */
  unlock(key: string, owner: Owner): boolean {
    const slot = this.slotOf(key);
    const l = this.#locks.get(slot);
    if (!l || l.owner !== owner) return false;
    if (--l.depth > 0) return true;
    const next = l.waiters.shift();
    if (!next) {
      this.#locks.delete(slot);
      return true;
    }
    l.owner = next.owner;
    l.depth = 1;
    next.wake();
    return true;
  }

  isLocked(key: string): boolean {
    return this.#locks.has(this.slotOf(key));
  }
}
