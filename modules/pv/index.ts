/** KSR.pv: generic access to pseudo-variables by their cfg name (Kamailio core KEMI `pv`). */
import type { PvValue } from '../../core/api/context.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import { getPv, setPv } from './pvapi.ts';

/** Kamailio's printable placeholder for null (PV_STR_NULL_VAL in the source; the docs say `<<null>>`). */
export const NULL_PRINT = '<null>';

function toInt(v: PvValue | null): number {
  if (v === null) return 0;
  if (typeof v === 'number') return Math.trunc(v);
  const m = /^\s*[+-]?[0-9]+/.exec(v);
  return m ? Number.parseInt(m[0], 10) : 0;
}

const exports: KsrFunction[] = [
  {
    module: 'pv',
    name: 'get',
    params: [str('pvname')],
    returns: 'xval',
    doc: 'Value of a pseudo-variable: a number for int-typed PVs, a string, or null when unset.',
    impl: (ctx, name) => getPv(ctx, String(name)),
  },
  {
    module: 'pv',
    name: 'gete',
    params: [str('pvname')],
    returns: 'xval',
    doc: 'Like get, but an empty string instead of null.',
    impl: (ctx, name) => getPv(ctx, String(name)) ?? '',
  },
  {
    module: 'pv',
    name: 'getw',
    params: [str('pvname')],
    returns: 'xval',
    doc: 'Like get, but "<null>" instead of null (safe to print).',
    impl: (ctx, name) => getPv(ctx, String(name)) ?? NULL_PRINT,
  },
  {
    module: 'pv',
    name: 'geti',
    params: [str('pvname')],
    returns: 'int',
    doc: 'Value as an integer: 0 when null or not numeric.',
    impl: (ctx, name) => toInt(getPv(ctx, String(name))),
  },
  {
    module: 'pv',
    name: 'getvn',
    params: [str('pvname'), int('vn')],
    returns: 'xval',
    doc: 'Value, or the given integer when null.',
    impl: (ctx, name, vn) => getPv(ctx, String(name)) ?? Number(vn),
  },
  {
    module: 'pv',
    name: 'getvs',
    params: [str('pvname'), str('vs')],
    returns: 'xval',
    doc: 'Value, or the given string when null.',
    impl: (ctx, name, vs) => getPv(ctx, String(name)) ?? String(vs),
  },
  {
    module: 'pv',
    name: 'seti',
    params: [str('pvname'), int('ival')],
    returns: 'bool',
    doc: 'Assigns an integer to a writable PV ($var, $avp, $xavp, $shv, $du, …); throws for an unknown PV name.',
    impl: (ctx, name, v) => setPv(ctx, String(name), Math.trunc(Number(v))),
  },
  {
    module: 'pv',
    name: 'sets',
    params: [str('pvname'), str('sval')],
    returns: 'bool',
    doc: 'Assigns a string to a writable PV ($ru, $rU, $fn, $var, $avp, …); throws for an unknown PV name.',
    impl: (ctx, name, v) => setPv(ctx, String(name), String(v)),
  },
  {
    module: 'pv',
    name: 'unset',
    params: [str('pvname')],
    returns: 'bool',
    doc: 'Assigns $null (removes an AVP/xavp value, resets $du; a $var becomes 0).',
    impl: (ctx, name) => setPv(ctx, String(name), null),
  },
  {
    module: 'pv',
    name: 'is_null',
    params: [str('pvname')],
    returns: 'bool',
    doc: 'True when the PV is $null (unset or absent).',
    impl: (ctx, name) => getPv(ctx, String(name)) === null,
  },
];

export const module: PolysipModule = { name: 'pv', exports };
