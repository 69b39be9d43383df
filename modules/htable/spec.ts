/**
 * Table definitions in Kamailio's modparam syntax: `ipban=>size=8;autoexpire=300;initval=0;`.
 * Unknown attributes are refused so a typo does not silently change a table's behaviour.
 */

export interface TableSpec {
  readonly name: string;
  /** The table has 2^size slots; a slot is the unit of `sht_lock` (keys sharing a slot share a lock). */
  readonly size: number;
  /** Seconds after its last write (or its creation, see `updateExpire`) an item is removed; 0 = never. */
  readonly autoexpire: number;
  /** Value a missing item reads as, and the base `sht_inc`/`sht_dec` start from; null = none. */
  readonly initval: number | null;
  /** Whether a write to an existing item restarts its expiry (Kamailio's default: yes). */
  readonly updateExpire: boolean;
  /** KV-store table the items are loaded from and written back to; null = memory only. */
  readonly dbtable: string | null;
  /** 1 = write the items back to `dbtable` (at stop and on flush); 0 = load only. */
  readonly dbmode: 0 | 1;
}

export class HtableSpecError extends Error {
  override readonly name = 'HtableSpecError';
  readonly code = 'POLYSIP_ERR_HTABLE_SPEC';
}

/** Kamailio's default: 2^4 slots. */
export const DEFAULT_SIZE = 4;

export function defaultSpec(name: string): TableSpec {
  return {
    name,
    size: DEFAULT_SIZE,
    autoexpire: 0,
    initval: null,
    updateExpire: true,
    dbtable: null,
    dbmode: 0,
  };
}

const NAME = /^[A-Za-z0-9_.:-]+$/;

export function parseTableSpec(text: string): TableSpec {
  const arrow = text.indexOf('=>');
  if (arrow < 0) throw new HtableSpecError(`htable definition "${text}" lacks "name=>"`);
  const name = text.slice(0, arrow).trim();
  if (!NAME.test(name)) throw new HtableSpecError(`invalid htable name "${name}"`);
  let spec: TableSpec = defaultSpec(name);
  for (const part of text.slice(arrow + 2).split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) throw new HtableSpecError(`htable ${name}: "${p}" is not attr=value`);
    const key = p.slice(0, eq).trim();
    const val = p.slice(eq + 1).trim();
    const int = (min: number, max: number): number => {
      if (!/^-?[0-9]+$/.test(val))
        throw new HtableSpecError(`htable ${name}: ${key} wants an integer`);
      const n = Number(val);
      if (n < min || n > max)
        throw new HtableSpecError(`htable ${name}: ${key} must be within ${min}..${max}`);
      return n;
    };
    switch (key) {
      case 'size':
        spec = { ...spec, size: int(1, 31) };
        break;
      case 'autoexpire':
        spec = { ...spec, autoexpire: int(0, 2 ** 31) };
        break;
      case 'initval':
        spec = { ...spec, initval: int(-(2 ** 31), 2 ** 31 - 1) };
        break;
      case 'updateexpire':
        spec = { ...spec, updateExpire: int(0, 1) === 1 };
        break;
      case 'dbtable':
        if (!NAME.test(val)) throw new HtableSpecError(`htable ${name}: invalid dbtable "${val}"`);
        spec = { ...spec, dbtable: val };
        break;
      case 'dbmode':
        spec = { ...spec, dbmode: int(0, 1) as 0 | 1 };
        break;
      default:
        throw new HtableSpecError(`htable ${name}: unknown attribute "${key}"`);
    }
  }
  return spec;
}
