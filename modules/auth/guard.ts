/**
 * Brute-force protection: failure counters per user and per source address, each with its
 * own expiry. Behind the `FailureCounter` interface so that htable (shared, Redis-backed
 * across nodes) can replace the in-memory one later.
 */

export interface FailureCounter {
  /** Adds one failure to `key`; returns the new count. The window restarts at each failure. */
  inc(key: string, ttlSec: number): number;
  get(key: string): number;
  reset(key: string): void;
}

export class MemoryFailureCounter implements FailureCounter {
  readonly #m = new Map<string, { n: number; until: number }>();
  readonly #now: () => number;
  readonly #max: number;

  constructor(opts: { now?: () => number; maxKeys?: number } = {}) {
    this.#now = opts.now ?? (() => Date.now() / 1000);
    this.#max = opts.maxKeys ?? 100_000;
  }

  inc(key: string, ttlSec: number): number {
    const now = this.#now();
    const cur = this.#m.get(key);
    const n = cur && cur.until > now ? cur.n + 1 : 1;
    if (!cur && this.#m.size >= this.#max) this.sweep();
    if (!cur && this.#m.size >= this.#max) {
      const first = this.#m.keys().next().value;
      if (first !== undefined) this.#m.delete(first);
    }
    this.#m.delete(key); // re-insert: the map stays ordered by last failure
    this.#m.set(key, { n, until: now + ttlSec });
    return n;
  }

  get(key: string): number {
    const cur = this.#m.get(key);
    if (!cur) return 0;
    if (cur.until <= this.#now()) {
      this.#m.delete(key);
      return 0;
    }
    return cur.n;
  }

  reset(key: string): void {
    this.#m.delete(key);
  }

  sweep(): void {
    const now = this.#now();
    for (const [k, v] of this.#m) if (v.until <= now) this.#m.delete(k);
  }
}
