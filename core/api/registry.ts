/**
 * The export registry: every KSR function is declared here exactly once, by the module that
 * implements it. Engines build their `KSR` tree from `registry.list()`; tools build docs and
 * stubs from the same list. Nothing in this file knows about any engine or any module.
 */

/** Parameter types as in Kamailio's sr_kemi_t: strings and integers only. */
export type ParamType = 'str' | 'int';

/**
 * Return kinds follow KEMI exactly:
 * - `int`: >0 true/success, <0 false/error, 0 = "stop the script" (the script must check).
 * - `bool`: a real boolean in the guest language.
 * - `xval`: string | number | null (null for unset).
 * - `void`: nothing useful; Lua and JS get `false`, Python gets 0 (as app_python3 does).
 */
export type ReturnKind = 'int' | 'bool' | 'xval' | 'void';

/** What a host implementation may hand back before conversion. */
export type HostValue = string | number | boolean | null | undefined;

export interface KsrParam {
  readonly name: string;
  readonly type: ParamType;
}

export interface KsrExport<Ctx = unknown> {
  /** Submodule name as in Kamailio (`sl`, `tm`, `pv`…); `''` for functions directly on `KSR`. */
  readonly module: string;
  readonly name: string;
  readonly params: readonly KsrParam[];
  readonly returns: ReturnKind;
  /** One line for the generated API reference. */
  readonly doc: string;
  readonly impl: (
    ctx: Ctx,
    ...args: (string | number)[]
  ) => HostValue | void | Promise<HostValue | void>;
}

export class KsrDeclarationError extends Error {
  readonly code = 'POLYSIP_ERR_KSR_DECLARATION';
  override readonly name = 'KsrDeclarationError';
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ExportRegistry<Ctx = unknown> {
  readonly #byKey = new Map<string, KsrExport<Ctx>>();

  /** Declares one function. A second declaration of the same name is a bug, not an override. */
  define(decl: KsrExport<Ctx>): void {
    if (decl.module !== '' && !IDENT.test(decl.module)) {
      throw new KsrDeclarationError(`invalid KSR module name "${decl.module}"`);
    }
    if (!IDENT.test(decl.name)) {
      throw new KsrDeclarationError(`invalid KSR function name "${decl.name}"`);
    }
    if (decl.params.length > 6) {
      throw new KsrDeclarationError(`KSR.${qualified(decl)}: at most 6 parameters (as KEMI)`);
    }
    const key = qualified(decl);
    if (this.#byKey.has(key)) throw new KsrDeclarationError(`KSR.${key} is declared twice`);
    this.#byKey.set(key, decl);
  }

  defineAll(decls: readonly KsrExport<Ctx>[]): void {
    for (const d of decls) this.define(d);
  }

  get(module: string, name: string): KsrExport<Ctx> | undefined {
    return this.#byKey.get(module === '' ? name : `${module}.${name}`);
  }

  /** Sorted by module then name, so generated files are stable. */
  list(): KsrExport<Ctx>[] {
    return [...this.#byKey.values()].sort((a, b) =>
      a.module === b.module ? cmp(a.name, b.name) : cmp(a.module, b.module),
    );
  }

  modules(): string[] {
    return [...new Set(this.list().map((d) => d.module))];
  }
}

export function qualified(decl: { module: string; name: string }): string {
  return decl.module === '' ? decl.name : `${decl.module}.${decl.name}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Shorthand used by module front doors: `fn('sl', 'sl_send_reply', [int('code'), str('reason')], 'int', doc, impl)`. */
export const str = (name: string): KsrParam => ({ name, type: 'str' });
export const int = (name: string): KsrParam => ({ name, type: 'int' });
