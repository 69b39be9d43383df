/**
 * Management functions as in Kamailio's htable RPC (`htable.dump`, `htable.get`, …), as plain
 * functions for the JSON-RPC mount. Params are positional: table, key, value, then an
 * optional tenant ('' = the default one). Errors throw `HtableRpcError` with a JSON-RPC code.
 */
import type { Htables } from './htables.ts';
import { module } from './index.ts';

export type RpcFunction = (params: unknown[]) => unknown;

export class HtableRpcError extends Error {
  override readonly name = 'HtableRpcError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON-RPC "invalid params". */
const BAD_PARAMS = -32602;
/** Kamailio answers a missing key or table with 404-like codes; keep that meaning. */
const NOT_FOUND = 404;

function strParam(params: unknown[], i: number, what: string): string {
  const v = params[i];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  throw new HtableRpcError(BAD_PARAMS, `${what} (parameter ${i + 1}) is required`);
}

function tenantParam(params: unknown[], i: number): string {
  const v = params[i];
  return typeof v === 'string' ? v : '';
}

export function createHtableRpc(h: Htables): Record<string, RpcFunction> {
  const existing = (params: unknown[], tenantAt: number) => {
    const name = strParam(params, 0, 'table name');
    const t = h.peek(name, tenantParam(params, tenantAt));
    if (!t && !h.spec(name)) throw new HtableRpcError(NOT_FOUND, `no htable "${name}"`);
    return t ?? h.table(name, tenantParam(params, tenantAt));
  };
  return {
    /** [table, tenant?] → [{ name, value, type, expires }] */
    'htable.dump': (params) => {
      const t = existing(params, 1);
      return [...t.entries()].map(([name, it]) => ({
        name,
        value: it.value,
        type: typeof it.value === 'number' ? 'int' : 'str',
        expires: it.expires,
      }));
    },
    /** [table, key, tenant?] → { name, value } */
    'htable.get': (params) => {
      const t = existing(params, 2);
      const key = strParam(params, 1, 'key');
      const it = t.item(key);
      if (!it)
        throw new HtableRpcError(NOT_FOUND, `key "${key}" not found in htable "${t.spec.name}"`);
      return { name: key, value: it.value };
    },
    /** [table, key, value, tenant?] → 'Ok' */
    'htable.sets': (params) => {
      const t = existing(params, 3);
      const key = strParam(params, 1, 'key');
      const v = params[2];
      if (typeof v !== 'string')
        throw new HtableRpcError(BAD_PARAMS, 'value (parameter 3) must be a string');
      t.set(key, v);
      return 'Ok';
    },
    /** [table, key, int value, tenant?] → 'Ok' */
    'htable.seti': (params) => {
      const t = existing(params, 3);
      const key = strParam(params, 1, 'key');
      const v = typeof params[2] === 'string' ? Number(params[2]) : params[2];
      if (typeof v !== 'number' || !Number.isInteger(v))
        throw new HtableRpcError(BAD_PARAMS, 'value (parameter 3) must be an integer');
      t.set(key, v | 0);
      return 'Ok';
    },
    /** [table, key, tenant?] → 'Ok' (also for a missing key, as Kamailio) */
    'htable.delete': (params) => {
      const t = existing(params, 2);
      t.remove(strParam(params, 1, 'key'));
      return 'Ok';
    },
    /** [table, tenant?] → Promise<{ loaded }> (the table must have a dbtable) */
    'htable.reload': async (params) => {
      const name = strParam(params, 0, 'table name');
      if (!h.spec(name)?.dbtable)
        throw new HtableRpcError(NOT_FOUND, `htable "${name}" has no dbtable`);
      try {
        return { loaded: await h.reload(name, tenantParam(params, 1)) };
      } catch (e) {
        throw new HtableRpcError(500, (e as Error).message);
      }
    },
  };
}

/** The RPC functions of the built-in instance. */
export const htableRpc: Record<string, RpcFunction> = createHtableRpc(module.htables);
