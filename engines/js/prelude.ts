/**
 * The guest side of the JS engine: the source evaluated in every context before the user's
 * script. It builds `KSR`, `require`, `print`/`console` and the helpers the host calls, all
 * inside one function so the host functions it receives never become globals.
 *
 * Why KSR functions are guest wrappers around one host dispatcher: a host call through
 * quickjs-emscripten's public API costs ~5-10 µs (handles, scopes, `typeof` through a malloc'd
 * string). The wrappers check the cheap common case in the guest (`typeof a === 'number'`), so
 * the host reads each argument with one FFI call; anything else goes to the slow converter `c`,
 * which applies the shared coerce rules and produces the shared error messages.
 */
import type { KsrExport, ParamType } from '../../core/api/registry.ts';

/** File name of the prelude in stack traces: frames from it are never reported as the user's. */
export const PRELUDE_FILE = 'polysip:prelude';

/** One KSR function as the prelude needs it: a dispatcher id and its place in the tree. */
export interface GuestExport {
  readonly id: number;
  readonly module: string;
  readonly name: string;
  readonly params: readonly ParamType[];
}

/** Id of `KSR.route` for argument conversion (its wrapper is written by hand below). */
export const ROUTE_ID = 0;

function wrapper(e: GuestExport): string {
  const args = e.params.map((_p, i) => `a${i}`);
  const checks = e.params
    .map(
      (p, i) =>
        `if (typeof a${i} !== '${p === 'int' ? 'number' : 'string'}') a${i} = c(${e.id}, ${i}, a${i});`,
    )
    .join(' ');
  return `function (${args.join(', ')}) { ${checks} return h(${[String(e.id), ...args].join(', ')}); }`;
}

/**
 * The prelude: a function expression taking the host functions, returning the helpers.
 * Host functions: h(id, ...args) the KSR dispatcher; c(id, index, value) the slow argument
 * converter; xexit/xdrop; resolveModule(name) → absolute path; compileModule(path) → function;
 * hostPrint(text).
 */
export function preludeSource(exports: readonly GuestExport[]): string {
  const lines: string[] = [];
  const modules = new Set<string>();
  for (const e of exports) {
    if (e.module === '') {
      lines.push(`KSR[${JSON.stringify(e.name)}] = ${wrapper(e)};`);
      continue;
    }
    if (!modules.has(e.module)) {
      modules.add(e.module);
      lines.push(`KSR[${JSON.stringify(e.module)}] = {};`);
    }
    lines.push(`KSR[${JSON.stringify(e.module)}][${JSON.stringify(e.name)}] = ${wrapper(e)};`);
  }
  return `(function (h, c, xexit, xdrop, resolveModule, compileModule, hostPrint) {
'use strict';
const G = globalThis;
const Err = Error;
const Str = String;
const hasOwn = Object.hasOwn;
const MISSING = Object.freeze({});
const KSR = {};
${lines.join('\n')}
KSR.x = { exit: xexit, drop: xdrop };
KSR.route = function (name) {
  if (typeof name !== 'string') name = c(${ROUTE_ID}, 0, name);
  const f = hasOwn(G, name) ? G[name] : undefined;
  if (typeof f !== 'function') throw new Err("KSR.route: the script has no function '" + name + "'");
  return f();
};
const modules = new Map();
function require(name) {
  const path = resolveModule(name);
  const cached = modules.get(path);
  if (cached !== undefined) return cached.exports;
  const fn = compileModule(path);
  const module = { exports: {}, id: path, filename: path, loaded: false };
  modules.set(path, module);
  try {
    fn.call(module.exports, module.exports, require, module, path);
  } catch (e) {
    modules.delete(path);
    throw e;
  }
  module.loaded = true;
  return module.exports;
}
function print(...args) {
  let s = '';
  for (let i = 0; i < args.length; i++) s += (i === 0 ? '' : ' ') + Str(args[i]);
  hostPrint(s);
}
const props = { writable: true, configurable: true, enumerable: false };
Object.defineProperty(G, 'KSR', { ...props, value: KSR });
Object.defineProperty(G, 'require', { ...props, value: require });
Object.defineProperty(G, 'print', { ...props, value: print });
Object.defineProperty(G, 'console', {
  ...props,
  value: { log: print, info: print, warn: print, error: print, debug: print },
});
return {
  callRoute(name, arg) {
    const f = hasOwn(G, name) ? G[name] : undefined;
    if (typeof f !== 'function') return MISSING;
    return arg === undefined ? f() : f(arg);
  },
  missing: MISSING,
  hasFunction(name) {
    return hasOwn(G, name) && typeof G[name] === 'function';
  },
  mkError(message) {
    return new Err(message);
  },
  describe(e) {
    try {
      if (e instanceof Err) {
        const stack = e.stack;
        return '1\\u0001' + Str(e.name) + '\\u0001' + Str(e.message) + '\\u0001' + (typeof stack === 'string' ? stack : '');
      }
      return '0\\u0001\\u0001' + Str(e) + '\\u0001';
    } catch (_) {
      return '0\\u0001\\u0001(an error value that cannot be described)\\u0001';
    }
  },
};
})`;
}

/** The prelude's view of one registry declaration. */
export function guestExport(id: number, decl: KsrExport<never>): GuestExport {
  return { id, module: decl.module, name: decl.name, params: decl.params.map((p) => p.type) };
}
