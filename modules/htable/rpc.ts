/**
 * Management functions as in Kamailio's htable RPC (`htable.dump`, `htable.get`, `htable.sets`,
 * `htable.seti`, `htable.delete`, `htable.reload`, `htable.listTables`), in the shape of the
 * management endpoint's method map, so the composition root mounts them as they are.
 *
 * Params are positional (kamcmd style: table, key, value, then an optional tenant) or named
 * (`table` or `htable`, `key`, `value`, `tenant`). A tenant's table may also be named
 * `TENANT/table` (tenant names never contain '/'); a table whose own name contains '/' is
 * found under that name first. Errors are `RpcError`s: -32602 for bad params, 404 for a
 * missing table or key (Kamailio answers those with 404-like codes), 500 for a failed reload.
 */
import {
  RPC_INVALID_PARAMS,
  RpcError,
  param,
  type RpcMethod,
  type RpcParams,
} from '../../core/mgmt/server.ts';
import type { Htables } from './htables.ts';
import { module } from './index.ts';
import type { HashTable } from './table.ts';

const NOT_FOUND = 404;
const FAILED = 500;

function strParam(p: RpcParams, i: number, names: readonly string[]): string {
  const v = names.map((n) => param(p, i, n)).find((x) => x !== undefined);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  throw new RpcError(RPC_INVALID_PARAMS, `${names[0]} (parameter ${i + 1}) is required`);
}

function tenantParam(p: RpcParams, i: number): string {
  const v = param(p, i, 'tenant');
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new RpcError(RPC_INVALID_PARAMS, 'tenant must be a string');
  return v;
}

/** The display name of a table instance: `TENANT/name` for a tenant's. */
const qualified = (t: HashTable): string =>
  t.tenant === '' ? t.spec.name : `${t.tenant}/${t.spec.name}`;

export function createHtableRpc(h: Htables): Record<string, RpcMethod> {
  /** Table name and tenant from the params (explicit tenant, else a `TENANT/` prefix). */
  const target = (p: RpcParams, tenantAt: number): { name: string; tenant: string } => {
    const raw = strParam(p, 0, ['table', 'htable']);
    const tenant = tenantParam(p, tenantAt);
    if (tenant !== '') return { name: raw, tenant };
    const slash = raw.indexOf('/');
    if (slash <= 0 || h.peek(raw, '') || h.spec(raw)) return { name: raw, tenant: '' };
    return { name: raw.slice(slash + 1), tenant: raw.slice(0, slash) };
  };
  /** An existing table, or a defined one (created on first use), never a new undefined one. */
  const existing = (p: RpcParams, tenantAt: number): HashTable => {
    const { name, tenant } = target(p, tenantAt);
    const t = h.peek(name, tenant);
    if (t) return t;
    if (!h.spec(name)) {
      const shown = tenant === '' ? name : `${tenant}/${name}`;
      throw new RpcError(NOT_FOUND, `no htable "${shown}"`);
    }
    return h.table(name, tenant);
  };

  return {
    /** [table, tenant?] → [{ name, value, type, expires }] */
    'htable.dump': (p) =>
      [...existing(p, 1).entries()].map(([name, it]) => ({
        name,
        value: it.value,
        type: typeof it.value === 'number' ? 'int' : 'str',
        expires: it.expires,
      })),
    /** [table, key, tenant?] → { name, value } */
    'htable.get': (p) => {
      const t = existing(p, 2);
      const key = strParam(p, 1, ['key']);
      const it = t.item(key);
      if (!it) throw new RpcError(NOT_FOUND, `key "${key}" not found in htable "${qualified(t)}"`);
      return { name: key, value: it.value };
    },
    /** [table, key, value, tenant?] → 'Ok' */
    'htable.sets': (p) => {
      const t = existing(p, 3);
      const key = strParam(p, 1, ['key']);
      const v = param(p, 2, 'value');
      if (typeof v !== 'string')
        throw new RpcError(RPC_INVALID_PARAMS, 'value (parameter 3) must be a string');
      t.set(key, v);
      return 'Ok';
    },
    /** [table, key, int value, tenant?] → 'Ok' */
    'htable.seti': (p) => {
      const t = existing(p, 3);
      const key = strParam(p, 1, ['key']);
      const raw = param(p, 2, 'value');
      const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof v !== 'number' || !Number.isInteger(v))
        throw new RpcError(RPC_INVALID_PARAMS, 'value (parameter 3) must be an integer');
      t.set(key, v | 0);
      return 'Ok';
    },
    /** [table, key, tenant?] → 'Ok' (also for a missing key, as Kamailio) */
    'htable.delete': (p) => {
      const t = existing(p, 2);
      t.remove(strParam(p, 1, ['key']));
      return 'Ok';
    },
    /** [table, tenant?] → Promise<{ loaded }> (the table must have a dbtable) */
    'htable.reload': async (p) => {
      const { name, tenant } = target(p, 1);
      if (!h.spec(name)?.dbtable) throw new RpcError(NOT_FOUND, `htable "${name}" has no dbtable`);
      try {
        return { loaded: await h.reload(name, tenant) };
      } catch (e) {
        throw new RpcError(FAILED, (e as Error).message);
      }
    },
    /** [] → [{ name, dbtable, dbmode, expire, updateexpire, size, items }], tenants' as `T/name` */
    'htable.listTables': () => {
      const rows = new Map<string, Record<string, unknown>>();
      const row = (name: string, t: HashTable | null, spec = t!.spec) => ({
        name,
        dbtable: spec.dbtable ?? '',
        dbmode: spec.dbmode,
        expire: spec.autoexpire,
        updateexpire: spec.updateExpire ? 1 : 0,
        size: spec.size,
        items: t ? [...t.entries()].length : 0,
      });
      const instances = h.instances();
      for (const t of instances) rows.set(qualified(t), row(qualified(t), t));
      // Defined tables nobody has used yet are listed too, empty.
      for (const name of h.names()) {
        const spec = h.spec(name);
        if (spec && !instances.some((t) => t.spec.name === name))
          rows.set(name, row(name, null, spec));
      }
      return [...rows.keys()].sort().map((k) => rows.get(k)!);
    },
  };
}

/** The RPC methods of the built-in instance, to mount on the management endpoint. */
export const htableRpc: Record<string, RpcMethod> = createHtableRpc(module.htables);
