/**
 * KSR.hdr: header helpers of Kamailio's core KEMI. Header texts are full lines
 * (`"X-Foo: bar\r\n"`, several lines allowed). Unlike Kamailio's lumps, edits apply at once:
 * reading a header back in the same route sees the change.
 */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import {
  getIdx,
  hdrAppend,
  hdrAppendAfter,
  hdrInsert,
  hdrInsertBefore,
  hdrRemove,
  validName,
  type NullMode,
} from './edit.ts';

function getter(name: string, mode: NullMode, doc: string): KsrFunction {
  return {
    module: 'hdr',
    name,
    params: [str('hname')],
    returns: 'xval',
    doc,
    impl: (ctx, h) => getIdx(ctx, String(h), 0, mode),
  };
}

function idxGetter(name: string, mode: NullMode, doc: string): KsrFunction {
  return {
    module: 'hdr',
    name,
    params: [str('hname'), int('idx')],
    returns: 'xval',
    doc,
    impl: (ctx, h, i) => getIdx(ctx, String(h), Math.trunc(Number(i)), mode),
  };
}

const exports: KsrFunction[] = [
  {
    module: 'hdr',
    name: 'append',
    params: [str('hdrline')],
    returns: 'int',
    doc: 'Appends header text ("Name: value\\r\\n", one or more lines) after the last header.',
    impl: (ctx, t) => hdrAppend(ctx, String(t)),
  },
  {
    module: 'hdr',
    name: 'append_after',
    params: [str('hdrline'), str('hname')],
    returns: 'int',
    doc: 'Appends header text after the first header named hname (after the last header when absent).',
    impl: (ctx, t, h) => hdrAppendAfter(ctx, String(t), String(h)),
  },
  {
    module: 'hdr',
    name: 'insert',
    params: [str('hdrline')],
    returns: 'int',
    doc: 'Inserts header text before the first header.',
    impl: (ctx, t) => hdrInsert(ctx, String(t)),
  },
  {
    module: 'hdr',
    name: 'insert_before',
    params: [str('hdrline'), str('hname')],
    returns: 'int',
    doc: 'Inserts header text before the first header named hname (at the top when absent).',
    impl: (ctx, t, h) => hdrInsertBefore(ctx, String(t), String(h)),
  },
  {
    module: 'hdr',
    name: 'remove',
    params: [str('hname')],
    returns: 'int',
    doc: 'Removes every header with that name (compact forms too); 1 even when none was present.',
    impl: (ctx, h) => hdrRemove(ctx, String(h)),
  },
  {
    module: 'hdr',
    name: 'rmappend',
    params: [str('hrm'), str('hadd')],
    returns: 'int',
    doc: 'Removes the headers named hrm, then appends the header text hadd.',
    impl: (ctx, rm, add) => {
      const r = hdrRemove(ctx, String(rm));
      return r < 0 ? r : hdrAppend(ctx, String(add));
    },
  },
  {
    module: 'hdr',
    name: 'rminsert',
    params: [str('hrm'), str('hadd')],
    returns: 'int',
    doc: 'Removes the headers named hrm, then inserts the header text hadd at the top.',
    impl: (ctx, rm, add) => {
      const r = hdrRemove(ctx, String(rm));
      return r < 0 ? r : hdrInsert(ctx, String(add));
    },
  },
  {
    module: 'hdr',
    name: 'is_present',
    params: [str('hname')],
    returns: 'int',
    doc: '1 when a header with that name (or its compact form) is present, -1 otherwise.',
    impl: (ctx, h) => {
      const name = String(h);
      if (!validName(ctx, 'is_present', name)) return -1;
      return ctx.msg.hasHeader(name) ? 1 : -1;
    },
  },
  getter('get', 'null', 'Body of the first header with that name, or null.'),
  getter('gete', 'empty', 'Body of the first header with that name, or an empty string.'),
  getter('getw', 'print', 'Body of the first header with that name, or "<null>".'),
  idxGetter(
    'get_idx',
    'null',
    'Body of the header with that name at index idx (negative from the end), or null.',
  ),
  idxGetter('gete_idx', 'empty', 'As get_idx, empty string when missing.'),
  idxGetter('getw_idx', 'print', 'As get_idx, "<null>" when missing.'),
];

export const module: PolysipModule = { name: 'hdr', exports };
