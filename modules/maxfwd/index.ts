/** KSR.maxfwd: Max-Forwards checks (Kamailio's maxfwd module). */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int } from '../../core/api/registry.ts';
import { isMaxfwdLt, processMaxfwd } from './maxfwd.ts';

const exports: KsrFunction[] = [
  {
    module: 'maxfwd',
    name: 'process_maxfwd',
    params: [int('limit')],
    returns: 'int',
    doc: 'Decrements Max-Forwards (adds it with limit when missing: 2); -1 when it is 0 (reply 483), -2 on error.',
    impl: (ctx, limit) => processMaxfwd(ctx, Number(limit)),
  },
  {
    module: 'maxfwd',
    name: 'is_maxfwd_lt',
    params: [int('limit')],
    returns: 'int',
    doc: '1 when Max-Forwards is below limit, -1 when not, -2 when the header is missing.',
    impl: (ctx, limit) => isMaxfwdLt(ctx, Number(limit)),
  },
];

export const module: PolysipModule = { name: 'maxfwd', exports };
