/**
 * Argument checking and return conversion for KSR calls, shared by every engine.
 *
 * Two argument modes, as Kamailio's engines behave:
 * - `coerce` (Lua, JS): numbers become strings for `str` params, numeric strings and booleans
 *   become integers for `int` params (what lua_tostring/lua_tointeger and duk_to_* do).
 * - `strict` (Python): a value of the wrong type is refused; the engine logs the error and makes
 *   the call return false, as app_python3 does.
 * Return values keep KEMI's types exactly: an `int` export never turns into a boolean.
 */
import type { HostValue, KsrExport, ReturnKind } from '../../core/api/registry.ts';
import { qualified } from '../../core/api/registry.ts';

export type ConvertMode = 'coerce' | 'strict';

/**
 * A guest value that has no host equivalent (a Lua table, a Python float…). Engines describe it
 * by its guest type name so the error message can say what the script passed.
 */
export interface OpaqueGuestValue {
  readonly guestType: string;
}

export type GuestArg = string | number | boolean | bigint | null | undefined | OpaqueGuestValue;

/** What a guest receives from a KSR call. `false`/`0` stand for a void export. */
export type GuestReturn = string | number | boolean | null;

/** The part of a declaration conversion needs; engine-provided functions have no `impl`. */
export type KsrSignature = Omit<KsrExport<never>, 'impl'>;

export class KsrArgumentError extends Error {
  readonly code = 'POLYSIP_ERR_KSR_ARGUMENT';
  override readonly name = 'KsrArgumentError';
}

/** A module implementation handed back a value its declared return kind cannot carry (a host bug). */
export class KsrReturnError extends Error {
  readonly code = 'POLYSIP_ERR_KSR_RETURN';
  override readonly name = 'KsrReturnError';
}

/** `KSR.sl.sl_send_reply` / `KSR.log`: how error messages name a function. */
export function ksrName(decl: { module: string; name: string }): string {
  return `KSR.${qualified(decl)}`;
}

/**
 * Checks and converts the arguments of one call. Extra arguments are ignored in coerce mode
 * (Lua drops them too) and refused in strict mode (Python's fixed-arity parsing refuses them).
 * @throws KsrArgumentError naming the function and the bad argument.
 */
export function convertArgs(
  decl: KsrSignature,
  args: readonly GuestArg[],
  mode: ConvertMode,
): (string | number)[] {
  const params = decl.params;
  if (mode === 'strict' && args.length > params.length) {
    throw new KsrArgumentError(
      `${ksrName(decl)}: takes ${params.length} argument${params.length === 1 ? '' : 's'}, got ${args.length}`,
    );
  }
  const out = new Array<string | number>(params.length);
  for (let i = 0; i < params.length; i++) out[i] = convertArg(decl, i, args[i], mode);
  return out;
}

/**
 * Converts argument `index` (0-based) of `decl`.
 * @throws KsrArgumentError
 */
export function convertArg(
  decl: KsrSignature,
  index: number,
  value: GuestArg,
  mode: ConvertMode,
): string | number {
  const param = decl.params[index];
  if (param === undefined) {
    throw new KsrArgumentError(`${ksrName(decl)}: has no argument ${index + 1}`);
  }
  const converted = param.type === 'str' ? toStr(value, mode) : toInt(value, mode);
  if (converted !== undefined) return converted;
  const what = `${ksrName(decl)}: argument ${index + 1} (${param.name})`;
  if (value === undefined || value === null) {
    throw new KsrArgumentError(`${what} is missing (expected ${describeType(param.type)})`);
  }
  throw new KsrArgumentError(
    `${what} must be ${describeType(param.type)}, got ${describeValue(value)}`,
  );
}

function describeType(t: 'str' | 'int'): string {
  return t === 'str' ? 'a string' : 'an int';
}

function toStr(v: GuestArg, mode: ConvertMode): string | undefined {
  if (typeof v === 'string') return v;
  if (mode === 'strict') return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

function toInt(v: GuestArg, mode: ConvertMode): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : undefined;
  }
  if (typeof v === 'string' && mode === 'coerce') return parseIntLike(v);
  return undefined;
}

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const HEX = /^([-+]?)0[xX]([0-9a-fA-F]+)$/;

/**
 * Lua's string→integer rule: surrounding spaces allowed, decimal or hex, and a float form only
 * when it has an exact integer value ("5.0" → 5, "5.5" → refused).
 */
function parseIntLike(s: string): number | undefined {
  const t = s.trim();
  let n: number;
  const hex = HEX.exec(t);
  if (hex !== null) {
    n = parseInt(hex[2]!, 16) * (hex[1] === '-' ? -1 : 1);
  } else if (DECIMAL.test(t)) {
    n = Number(t);
  } else {
    return undefined;
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `string "abc"`, `nil`, `table`, `number 1.5`: how the error message shows a bad value. */
export function describeValue(v: GuestArg): string {
  if (v === undefined || v === null) return 'nil';
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
      return `number ${String(v)}`;
    case 'boolean':
      return `boolean ${String(v)}`;
    case 'bigint':
      return `number ${v.toString()}`;
    default:
      return v.guestType;
  }
}

/**
 * Converts what an implementation returned into what the guest sees.
 * `int` → number (never a boolean), `bool` → boolean, `xval` → string | number | null,
 * `void` → false (coerce: Lua/JS) or 0 (strict: Python).
 * @throws KsrReturnError when the implementation returned a value its kind cannot carry.
 */
export function convertReturn(
  decl: { module: string; name: string; returns: ReturnKind },
  value: HostValue | void,
  mode: ConvertMode,
): GuestReturn {
  switch (decl.returns) {
    case 'int':
      if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
      break;
    case 'bool':
      if (typeof value === 'boolean') return value;
      // KEMI's C side returns 1/0 for a bool export.
      if (typeof value === 'number') return value > 0;
      break;
    case 'xval':
      if (value === undefined || value === null) return null;
      if (typeof value === 'string' || typeof value === 'number') return value;
      break;
    case 'void':
      return mode === 'strict' ? 0 : false;
  }
  throw new KsrReturnError(
    `${ksrName(decl)}: implementation returned ${value === null ? 'null' : typeof value} for a${
      decl.returns === 'int' ? 'n' : ''
    } ${decl.returns} export`,
  );
}
