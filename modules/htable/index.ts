/**
 * KSR.htable (Kamailio's htable module): named in-memory tables with expiry, shared by every
 * message of a tenant, and `$sht(table=>key)`.
 *
 * Parameters (`createHtableModule`):
 * - `tables`: definitions in Kamailio's modparam syntax, one per string:
 *   `ipban=>size=8;autoexpire=300;initval=0;updateexpire=1;dbtable=ipban;dbmode=1`.
 *   A table used without a definition is created on first use with the defaults
 *   (`size=4`, no autoexpire, no initval, memory only).
 * - `timerInterval`: seconds between expiry sweeps (default 20); expired items are invisible
 *   to reads at once, the sweep removes them and fires `htable:expired:NAME`.
 * The default `module` has no table definitions; the config issue will pass them.
 *
 * Where this differs from Kamailio, on purpose:
 * - `sht_inc`/`sht_dec` on a missing item start from 0 when the table has no initval
 *   (Kamailio fails), and accept a string item holding an integer; a string that is not one
 *   makes them return -255.
 * - Per-item expiry (`sht_setex`, `sht_setxi`…) works in every table, not only in tables
 *   with an autoexpire.
 * - `sht_lock` on a slot another route holds suspends the calling route until it is
 *   unlocked, instead of blocking a worker process.
 */
import type { PvValue, RouteContext } from '../../core/api/context.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import { registerPvClass } from '../pv/pvapi.ts';
import type { KvStore } from '../../core/store/types.ts';
import { Htables, type ExpiredHandler, type HtablesOptions } from './htables.ts';

export { Htables, type ExpiredEvent, type ExpiredHandler, type HtablesOptions } from './htables.ts';
export { parseTableSpec, type TableSpec } from './spec.ts';
export { HtableFailureCounter } from './counter.ts';

export interface HtableModule extends PolysipModule {
  readonly htables: Htables;
}

const S = (v: string | number): string => String(v);
const N = (v: string | number): number => Number(v);

/** `op` comparisons of sht_match_name / sht_has_name / sht_rm_name / sht_cn. */
function matcher(op: string, val: string): ((s: string) => boolean) | null {
  switch (op) {
    case 'eq':
      return (s) => s === val;
    case 'ne':
      return (s) => s !== val;
    case 'sw':
      return (s) => s.startsWith(val);
    case 'ew':
      return (s) => s.endsWith(val);
    case 'in':
      return (s) => s.includes(val);
    case 're': {
      const re = regex(val);
      return re ? (s) => re.test(s) : null;
    }
    default:
      return null;
  }
}

function regex(src: string): RegExp | null {
  try {
    return new RegExp(src);
  } catch {
    return null;
  }
}

/** `table=>key` of `$sht(...)`; the key may itself contain `=>`. */
function splitShtName(param: string | null): [string, string] | null {
  if (param === null) return null;
  const i = param.indexOf('=>');
  if (i <= 0) return null;
  return [param.slice(0, i).trim(), param.slice(i + 2)];
}

export function createHtableModule(opts: HtablesOptions = {}): HtableModule {
  const h = new Htables(opts);
  const tbl = (ctx: RouteContext, name: string | number) => h.table(S(name), ctx.tenant);

  const fn = (
    name: string,
    params: KsrFunction['params'],
    returns: KsrFunction['returns'],
    doc: string,
    impl: KsrFunction['impl'],
  ): KsrFunction => ({ module: 'htable', name, params, returns, doc, impl });

  const set = (ctx: RouteContext, t: string | number, k: string | number, v: PvValue) => {
    tbl(ctx, t).set(S(k), v);
    return 1;
  };

  const byName = (keep: 'name' | 'value', remove: boolean) => {
    return (ctx: RouteContext, t: string | number, op: string | number, val: string | number) => {
      const m = matcher(S(op), S(val));
      if (!m) {
        ctx.log('err', `htable: unknown operator or bad regex "${S(op)}" "${S(val)}"\n`);
        return -1;
      }
      const table = tbl(ctx, t);
      const test = (k: string, v: PvValue) => m(keep === 'name' ? k : String(v));
      if (remove) {
        table.removeWhere(test);
        return 1;
      }
      for (const [k, it] of table.entries()) if (test(k, it.value)) return 1;
      return -1;
    };
  };

  const exports: KsrFunction[] = [
    fn(
      'sht_get',
      [str('htname'), str('itname')],
      'xval',
      'Value of the item (int or str), null when missing.',
      (ctx, t, k) => tbl(ctx, t).get(S(k)),
    ),
    fn(
      'sht_gete',
      [str('htname'), str('itname')],
      'xval',
      'Value of the item, "" when missing.',
      (ctx, t, k) => tbl(ctx, t).get(S(k)) ?? '',
    ),
    fn(
      'sht_getw',
      [str('htname'), str('itname')],
      'xval',
      'Value of the item, "<null>" when missing.',
      (ctx, t, k) => tbl(ctx, t).get(S(k)) ?? '<null>',
    ),
    fn(
      'sht_sets',
      [str('htname'), str('itname'), str('itval')],
      'int',
      'Sets a string item.',
      (ctx, t, k, v) => set(ctx, t, k, S(v!)),
    ),
    fn(
      'sht_seti',
      [str('htname'), str('itname'), int('itval')],
      'int',
      'Sets an int item.',
      (ctx, t, k, v) => set(ctx, t, k, N(v!) | 0),
    ),
    fn(
      'sht_setxs',
      [str('htname'), str('itname'), str('itval'), int('exval')],
      'int',
      'Sets a string item expiring in exval seconds.',
      (ctx, t, k, v, ex) => {
        const table = tbl(ctx, t);
        table.set(S(k), S(v!));
        table.setExpire(S(k), N(ex!));
        return 1;
      },
    ),
    fn(
      'sht_setxi',
      [str('htname'), str('itname'), int('itval'), int('exval')],
      'int',
      'Sets an int item expiring in exval seconds.',
      (ctx, t, k, v, ex) => {
        const table = tbl(ctx, t);
        table.set(S(k), N(v!) | 0);
        table.setExpire(S(k), N(ex!));
        return 1;
      },
    ),
    fn(
      'sht_setex',
      [str('htname'), str('itname'), int('itval')],
      'int',
      'Makes the item expire in itval seconds (0 = never); -1 when it is missing.',
      (ctx, t, k, ex) => (tbl(ctx, t).setExpire(S(k), N(ex!)) ? 1 : -1),
    ),
    fn(
      'sht_rm',
      [str('hname'), str('iname')],
      'int',
      'Removes the item (1 also when it was missing).',
      (ctx, t, k) => {
        tbl(ctx, t).remove(S(k));
        return 1;
      },
    ),
    fn('sht_reset', [str('hname')], 'int', 'Removes every item of the table.', (ctx, t) => {
      tbl(ctx, t).clear();
      return 1;
    }),
    fn(
      'sht_rm_name_re',
      [str('htname'), str('rexp')],
      'int',
      'Removes the items whose key matches the regex; -1 on a bad regex.',
      (ctx, t, re) => byName('name', true)(ctx, t, 're', re!),
    ),
    fn(
      'sht_rm_value_re',
      [str('htname'), str('rexp')],
      'int',
      'Removes the items whose value matches the regex; -1 on a bad regex.',
      (ctx, t, re) => byName('value', true)(ctx, t, 're', re!),
    ),
    fn(
      'sht_rm_name',
      [str('sname'), str('sop'), str('sval')],
      'int',
      'Removes the items whose key matches (op re, sw, ew, in, eq, ne).',
      (ctx, t, op, v) => byName('name', true)(ctx, t, op!, v!),
    ),
    fn(
      'sht_rm_value',
      [str('sname'), str('sop'), str('sval')],
      'int',
      'Removes the items whose value matches (op re, sw, ew, in, eq, ne).',
      (ctx, t, op, v) => byName('value', true)(ctx, t, op!, v!),
    ),
    fn(
      'sht_match_name',
      [str('sname'), str('sop'), str('sval')],
      'int',
      '1 when some key matches (op eq, ne, re, sw, ew, in), -1 otherwise.',
      (ctx, t, op, v) => {
        // "eq" is a key lookup, not a scan.
        if (S(op!) === 'eq') return tbl(ctx, t).item(S(v!)) ? 1 : -1;
        return byName('name', false)(ctx, t, op!, v!);
      },
    ),
    fn(
      'sht_has_name',
      [str('sname'), str('sop'), str('sval')],
      'int',
      'Same as sht_match_name.',
      (ctx, t, op, v) => {
        if (S(op!) === 'eq') return tbl(ctx, t).item(S(v!)) ? 1 : -1;
        return byName('name', false)(ctx, t, op!, v!);
      },
    ),
    fn(
      'sht_match_str_value',
      [str('sname'), str('sop'), str('sval')],
      'int',
      '1 when some value matches (op eq, ne, re, sw, ew, in), -1 otherwise.',
      (ctx, t, op, v) => byName('value', false)(ctx, t, op!, v!),
    ),
    fn(
      'sht_cn',
      [str('htname'), str('op'), str('pattern')],
      'int',
      'Number of items whose key matches (op eq, ne, re, sw, ew, in); -1 on a bad op.',
      (ctx, t, op, v) => {
        const m = matcher(S(op!), S(v!));
        if (!m) return -1;
        let n = 0;
        for (const [k] of tbl(ctx, t).entries()) if (m(k)) n++;
        return n;
      },
    ),
    fn(
      'sht_is_null',
      [str('htname'), str('itname')],
      'int',
      '1 when the item is missing, -1 when it exists.',
      (ctx, t, k) => (tbl(ctx, t).item(S(k)) ? -1 : 1),
    ),
    fn(
      'sht_inc',
      [str('htname'), str('itname')],
      'int',
      'Adds 1 to the item and RETURNS THE NEW VALUE (a missing item starts from initval, else 0).',
      (ctx, t, k) => tbl(ctx, t).add(S(k), 1) ?? -255,
    ),
    fn(
      'sht_dec',
      [str('htname'), str('itname')],
      'int',
      'Subtracts 1 from the item and RETURNS THE NEW VALUE.',
      (ctx, t, k) => tbl(ctx, t).add(S(k), -1) ?? -255,
    ),
    fn(
      'sht_lock',
      [str('htname'), str('skey')],
      'int',
      "Locks the key's slot (re-entrant for this route; another route waits until it is unlocked).",
      (ctx, t, k) => {
        const w = tbl(ctx, t).lock(S(k), ctx);
        return w ? w.then(() => 1) : 1;
      },
    ),
    fn(
      'sht_unlock',
      [str('htname'), str('skey')],
      'int',
      "Unlocks the key's slot; -1 when this route does not hold it.",
      (ctx, t, k) => (tbl(ctx, t).unlock(S(k), ctx) ? 1 : -1),
    ),
  ];

  return {
    name: 'htable',
    exports,
    htables: h,
    stop: () => h.stop(),
  };
}

/** `$sht(table=>key)` read and write (null unsets) against `h`. */
export function shtPvHandler(h: Htables) {
  return {
    get(ctx: RouteContext, param: string | null): PvValue | null {
      const tk = splitShtName(param);
      if (!tk) {
        ctx.log('err', `htable: $sht(${param ?? ''}) needs table=>key\n`);
        return null;
      }
      return h.table(tk[0], ctx.tenant).get(tk[1]);
    },
    set(ctx: RouteContext, param: string | null, value: PvValue | null): boolean {
      const tk = splitShtName(param);
      if (!tk) {
        ctx.log('err', `htable: $sht(${param ?? ''}) needs table=>key\n`);
        return false;
      }
      const t = h.table(tk[0], ctx.tenant);
      if (value === null) t.remove(tk[1]);
      else t.set(tk[1], value);
      return true;
    },
  };
}

/** The built-in instance: no definitions (tables are created on first use). */
export const module: HtableModule = createHtableModule();

// $sht is a process-wide PV class: it serves the built-in instance.
registerPvClass('sht', shtPvHandler(module.htables));

/**
 * Wiring for the composition root: loads the built-in instance's `dbtable` tables from the
 * store's KV table and writes dbmode=1 tables back there at stop.
 */
export function attachStore(kv: KvStore): Promise<void> {
  return module.htables.attachStore(kv);
}

/**
 * Wiring for the composition root: `handler` gets each expired item of the built-in instance;
 * the root runs `script.run('ksr_htable_event', ctx, ev.event)` for it.
 */
export function onExpired(handler: ExpiredHandler): () => void {
  return module.htables.onExpired(handler);
}
