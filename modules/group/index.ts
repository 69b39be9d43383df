/**
 * KSR.group (Kamailio's group module): membership of user@domain in named groups, from the
 * store's `grp` table. Membership is keyed by user and domain (Kamailio's use_domain=1):
 * polysip provisions users as user@domain.
 *
 * Tenants: a tenant's route sees membership only of users in the domains it owns
 * (ctx.core.tenantDomains); any other user is "not a member" (-1), so a tenant can neither
 * learn nor rely on another tenant's groups. The main script sees every domain.
 */
import type { RouteContext } from '../../core/api/context.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { str } from '../../core/api/registry.ts';
import { parseUri } from '../../core/sip/uri.ts';
import { isPromise, type Store } from '../../core/store/types.ts';
import { LAST_ERROR_KEY } from '../sl/index.ts';

/** Whether the route's tenant owns `domain` (the main script owns every domain). */
function ownsDomain(ctx: RouteContext, domain: string): boolean {
  if (ctx.tenant === '') return true;
  return (ctx.core.tenantDomains?.(ctx.tenant) ?? []).includes(domain);
}

export function createGroupModule(opts: { store: Store }): PolysipModule {
  const { store } = opts;
  const exports: KsrFunction[] = [
    {
      module: 'group',
      name: 'is_user_in',
      params: [str('uri'), str('grp')],
      returns: 'int',
      doc: 'True (1) when user@host of the SIP URI is in the group; -1 not (or bad URI), -2 store error.',
      impl: (ctx, u, g) => {
        let uri;
        try {
          uri = parseUri(String(u));
        } catch {
          return -1;
        }
        const domain = uri.host.toLowerCase();
        if (!uri.user || !ownsDomain(ctx, domain)) return -1;
        const failed = (e: unknown): number => {
          ctx.ext.set(LAST_ERROR_KEY, { status: 500, reason: 'Server Internal Error' });
          ctx.log('err', `group: membership lookup failed: ${(e as Error).message}\n`);
          return -2;
        };
        try {
          const r = store.groups.isMember(uri.user, domain, String(g));
          const fin = (b: boolean): number => (b ? 1 : -1);
          return isPromise(r) ? r.then(fin, failed) : fin(r);
        } catch (e) {
          return failed(e);
        }
      },
    },
  ];
  return { name: 'group', exports };
}
