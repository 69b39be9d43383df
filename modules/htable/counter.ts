/**
 * The auth guard's failure counter kept in an htable, so the counts are the same ones a
 * script reads with `$sht(table=>key)` (and, with a shared store later, across nodes).
 * Structurally the `FailureCounter` of modules/auth/guard.ts; no import, modules stay apart.
 */
import type { Htables } from './htables.ts';

export class HtableFailureCounter {
  constructor(
    private readonly h: Htables,
    private readonly tableName = 'authfail',
    private readonly tenant = '',
  ) {}

  /** Adds one failure; the window restarts at each failure (the item's expiry is reset). */
  inc(key: string, ttlSec: number): number {
    const t = this.h.table(this.tableName, this.tenant);
    // A table with initval would start counting from it: failures always start at 0.
    const base = t.item(key) ? t.add(key, 1) : (t.set(key, 1), 1);
    t.setExpire(key, ttlSec);
    return base ?? 1;
  }

  get(key: string): number {
    const it = this.h.table(this.tableName, this.tenant).item(key);
    return it && typeof it.value === 'number' ? it.value : 0;
  }

  reset(key: string): void {
    this.h.table(this.tableName, this.tenant).remove(key);
  }
}
