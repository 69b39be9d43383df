/**
 * A small export registry for the engine tests: a module `t` covering every return kind,
 * async and failing functions, and a core `KSR.log`.
 */
import { ExportRegistry, int, str } from '../../core/api/registry.ts';
import { RouteExit } from '../../core/api/control.ts';

export interface ToyCtx {
  readonly id: number;
  readonly log: string[];
}

export function toyCtx(id = 1): ToyCtx {
  return { id, log: [] };
}

export function toyRegistry(): ExportRegistry<ToyCtx> {
  const r = new ExportRegistry<ToyCtx>();
  r.defineAll([
    {
      module: 't',
      name: 'add',
      params: [int('a'), int('b')],
      returns: 'int',
      doc: 'a + b',
      impl: (_c, a, b) => (a as number) + (b as number),
    },
    {
      module: 't',
      name: 'echo',
      params: [str('s')],
      returns: 'xval',
      doc: 'returns s; "unset" gives null',
      impl: (_c, s) => (s === 'unset' ? undefined : s),
    },
    {
      module: 't',
      name: 'typeof',
      params: [str('s'), int('n')],
      returns: 'xval',
      doc: 'the JS types the host received',
      impl: (_c, s, n) => `${typeof s}:${String(s)}|${typeof n}:${String(n)}`,
    },
    {
      module: 't',
      name: 'nothing',
      params: [],
      returns: 'void',
      doc: 'void',
      impl: () => undefined,
    },
    { module: 't', name: 'flag', params: [], returns: 'bool', doc: 'true', impl: () => true },
    { module: 't', name: 'neg', params: [], returns: 'int', doc: '-1', impl: () => -1 },
    {
      module: 't',
      name: 'later',
      params: [int('n')],
      returns: 'int',
      doc: 'n + ctx.id, after a setImmediate',
      impl: (c, n) => new Promise((res) => setImmediate(() => res((n as number) + c.id))),
    },
    {
      module: 't',
      name: 'later_fail',
      params: [],
      returns: 'int',
      doc: 'rejects',
      impl: () => new Promise((_res, rej) => setImmediate(() => rej(new Error('async failure')))),
    },
    {
      module: 't',
      name: 'later_drop',
      params: [],
      returns: 'int',
      doc: 'rejects with RouteExit(drop)',
      impl: () => new Promise((_res, rej) => setImmediate(() => rej(new RouteExit(true)))),
    },
    {
      module: 't',
      name: 'boom',
      params: [],
      returns: 'void',
      doc: 'throws',
      impl: () => {
        throw new Error('kaboom');
      },
    },
    {
      module: 't',
      name: 'stop',
      params: [],
      returns: 'void',
      doc: 'throws RouteExit(exit)',
      impl: () => {
        throw new RouteExit(false);
      },
    },
    {
      module: 't',
      name: 'ctxid',
      params: [],
      returns: 'int',
      doc: 'ctx.id',
      impl: (c) => c.id,
    },
    {
      module: '',
      name: 'log',
      params: [str('msg')],
      returns: 'void',
      doc: 'appends to ctx.log',
      impl: (c, m) => {
        c.log.push(m as string);
      },
    },
  ]);
  return r;
}
