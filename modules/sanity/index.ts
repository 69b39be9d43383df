/** KSR.sanity: SIP syntax and semantics checks (Kamailio's sanity module). */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int } from '../../core/api/registry.ts';
import {
  DEFAULT_MSG_CHECKS,
  DEFAULT_URI_CHECKS,
  sanityCheck,
  sanityReply,
  type SanityOptions,
} from './checks.ts';

/** The module with Kamailio's `default_checks`, `uri_checks`, `proxy_require` and `noreply` settings. */
export function createSanityModule(opts: SanityOptions = {}): PolysipModule {
  const msgDefault = opts.defaultChecks ?? DEFAULT_MSG_CHECKS;
  const uriDefault = opts.uriChecks ?? DEFAULT_URI_CHECKS;
  const exports: KsrFunction[] = [
    {
      module: 'sanity',
      name: 'sanity_check',
      params: [int('mflags'), int('uflags')],
      returns: 'int',
      doc: 'Runs the message checks in mflags and URI checks in uflags; -1 on failure (already replied).',
      impl: (ctx, m, u) => sanityCheck(ctx, Number(m), Number(u), opts),
    },
    {
      module: 'sanity',
      name: 'sanity_check_defaults',
      params: [],
      returns: 'int',
      doc: 'Runs the default checks (3047, URI checks 7); -1 on failure (already replied).',
      impl: (ctx) => sanityCheck(ctx, msgDefault, uriDefault, opts),
    },
    {
      module: 'sanity',
      name: 'sanity_reply',
      params: [],
      returns: 'int',
      doc: 'Sends the reply of the last failed check when the module runs with noreply.',
      impl: (ctx) => sanityReply(ctx),
    },
  ];
  return { name: 'sanity', exports };
}

export const module: PolysipModule = createSanityModule();
