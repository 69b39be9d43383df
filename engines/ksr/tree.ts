/**
 * The shape of the `KSR` object every engine builds, derived from the export registry.
 * Engines add the reserved names themselves: `KSR.x` (exit, drop) and `KSR.route`, because
 * they are control flow inside the guest, not host functions.
 */
import {
  KsrDeclarationError,
  type ExportRegistry,
  type KsrExport,
} from '../../core/api/registry.ts';
import type { KsrSignature } from './convert.ts';

export interface KsrTree<Ctx> {
  /** Functions directly on `KSR` (module `''`), sorted by name. */
  readonly core: KsrExport<Ctx>[];
  /** One entry per module present, sorted by module then function name. Absent module = absent key. */
  readonly modules: Map<string, KsrExport<Ctx>[]>;
}

/** Module names an engine implements itself; the registry must not declare them. */
export const RESERVED_MODULES: readonly string[] = ['x'];
/** Core (`KSR.<name>`) function names an engine implements itself. */
export const RESERVED_CORE: readonly string[] = ['route'];

/** A signature with the engine-only "does not return" mark (exit/drop) for stub renderers. */
export interface EngineSignature extends KsrSignature {
  readonly noReturn?: boolean;
}

/**
 * What each engine provides on top of the registry. `KSR.x.modf` is deliberately absent: it runs
 * native cfg functions by name, which polysip does not have.
 */
export const ENGINE_EXPORTS: readonly EngineSignature[] = [
  {
    module: '',
    name: 'route',
    params: [{ name: 'name', type: 'str' }],
    returns: 'xval',
    doc: "Calls the script's own function `name` in the same route (error if it does not exist); returns what it returns.",
  },
  {
    module: 'x',
    name: 'drop',
    params: [],
    returns: 'void',
    doc: 'Marks the message dropped and ends the whole route now (even through pcall/try).',
    noReturn: true,
  },
  {
    module: 'x',
    name: 'exit',
    params: [],
    returns: 'void',
    doc: 'Ends the whole route now (even through pcall/try).',
    noReturn: true,
  },
];

/**
 * @throws KsrDeclarationError when the registry declares a name an engine reserves.
 */
export function buildKsrTree<Ctx>(registry: ExportRegistry<Ctx>): KsrTree<Ctx> {
  const core: KsrExport<Ctx>[] = [];
  const modules = new Map<string, KsrExport<Ctx>[]>();
  for (const decl of registry.list()) {
    if (decl.module === '') {
      if (RESERVED_CORE.includes(decl.name)) {
        throw new KsrDeclarationError(`KSR.${decl.name} is reserved: engines implement it`);
      }
      core.push(decl);
      continue;
    }
    if (RESERVED_MODULES.includes(decl.module)) {
      throw new KsrDeclarationError(
        `KSR.${decl.module}.${decl.name}: module "${decl.module}" is reserved: engines implement it`,
      );
    }
    // A core function and a module sharing a name would overwrite each other in the guest.
    if (registry.get('', decl.module) !== undefined) {
      throw new KsrDeclarationError(
        `KSR.${decl.module} is declared both as a function and as a module`,
      );
    }
    let list = modules.get(decl.module);
    if (list === undefined) modules.set(decl.module, (list = []));
    list.push(decl);
  }
  return { core, modules };
}

/**
 * Everything a stub or reference page lists: the registry's declarations plus the engine-provided
 * ones, sorted by module then name (the order `registry.list()` uses).
 */
export function withEngineExports(list: readonly KsrSignature[]): EngineSignature[] {
  const seen = new Set(list.map((d) => `${d.module}.${d.name}`));
  const all: EngineSignature[] = [...list];
  for (const e of ENGINE_EXPORTS) if (!seen.has(`${e.module}.${e.name}`)) all.push(e);
  return all.sort((a, b) =>
    a.module === b.module ? cmp(a.name, b.name) : cmp(a.module, b.module),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
