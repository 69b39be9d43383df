/** KSR.corex: core extensions (Kamailio's corex module): branches, xflags, raw sends, checks. */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import {
  appendBranch,
  hasRuriUser,
  hasUserAgent,
  isXflagSet,
  resetXflag,
  sendData,
  setXflag,
} from './corex.ts';

const M = 'corex';

const exports: KsrFunction[] = [
  {
    module: M,
    name: 'has_ruri_user',
    params: [],
    returns: 'int',
    doc: '1 when the R-URI has a user part, -1 otherwise (and for replies).',
    impl: (ctx) => hasRuriUser(ctx),
  },
  {
    module: M,
    name: 'has_user_agent',
    params: [],
    returns: 'int',
    doc: '1 when a non-empty User-Agent header is present.',
    impl: (ctx) => hasUserAgent(ctx),
  },
  {
    module: M,
    name: 'append_branch',
    params: [],
    returns: 'int',
    doc: 'Moves the current R-URI (with $du and branch flags) into a new branch for parallel forking.',
    impl: (ctx) => appendBranch(ctx, null, null),
  },
  {
    module: M,
    name: 'append_branch_uri',
    params: [str('uri')],
    returns: 'int',
    doc: 'Adds a branch to the given URI.',
    impl: (ctx, uri) => appendBranch(ctx, String(uri), null),
  },
  {
    module: M,
    name: 'append_branch_uri_q',
    params: [str('uri'), str('q')],
    returns: 'int',
    doc: 'Adds a branch to the given URI with a q value ("0.5").',
    impl: (ctx, uri, q) => appendBranch(ctx, String(uri), String(q)),
  },
  {
    module: M,
    name: 'setxflag',
    params: [int('fval')],
    returns: 'int',
    doc: 'Sets extended message flag fval (0..63).',
    impl: (ctx, f) => setXflag(ctx, Number(f)),
  },
  {
    module: M,
    name: 'resetxflag',
    params: [int('fval')],
    returns: 'int',
    doc: 'Resets extended message flag fval (0..63).',
    impl: (ctx, f) => resetXflag(ctx, Number(f)),
  },
  {
    module: M,
    name: 'isxflagset',
    params: [int('fval')],
    returns: 'int',
    doc: '1 when extended message flag fval is set, -1 otherwise.',
    impl: (ctx, f) => isXflagSet(ctx, Number(f)),
  },
  {
    module: M,
    name: 'send_data',
    params: [str('uri'), str('data')],
    returns: 'int',
    doc: 'Sends raw data to the address of a SIP URI (its transport parameter picks the protocol).',
    impl: (ctx, uri, data) => sendData(ctx, String(uri), String(data)),
  },
];

export const module: PolysipModule = { name: M, exports };
