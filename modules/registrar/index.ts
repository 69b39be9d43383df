/**
 * KSR.registrar (Kamailio's registrar module): save REGISTERs into usrloc, look contacts up.
 * Built by the composition root with the usrloc instance and the modparams.
 */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import { replyNow } from '../sl/index.ts';
import type { Usrloc } from '../usrloc/index.ts';
import {
  fetchContacts,
  freeContacts,
  lookup,
  lookupBranches,
  lookupToDset,
  registered,
  ulcCget,
  ulcRget,
  unregister,
} from './lookup.ts';
import { PREPARED_REPLY_KEY, save, type PreparedReply, type RegistrarParams } from './save.ts';

export type { RegistrarParams } from './save.ts';

export interface RegistrarOptions {
  readonly usrloc: Usrloc;
  readonly params?: RegistrarParams;
}

const S = (v: string | number): string => String(v);
const N = (v: string | number): number => Number(v);

export function createRegistrarModule(opts: RegistrarOptions): PolysipModule {
  const deps = { usrloc: opts.usrloc, params: opts.params ?? {} };
  const fn = (
    name: string,
    params: KsrFunction['params'],
    doc: string,
    impl: KsrFunction['impl'],
    returns: KsrFunction['returns'] = 'int',
  ): KsrFunction => ({ module: 'registrar', name, params, returns, doc, impl });

  const exports: KsrFunction[] = [
    fn(
      'save',
      [str('table'), int('flags')],
      'Saves the REGISTER contacts and replies; flags 1 mem only, 2 no reply, 4 single contact, 8 no expires range, 0x10 prepare reply. 1 inserted, 2 updated, 3 deleted, 4 fetched; -1 error, -2 too many contacts.',
      (ctx, _t, f) => save(deps, ctx, N(f), null),
    ),
    fn(
      'save_uri',
      [str('table'), int('flags'), str('uri')],
      'As save, for the AoR given as a URI instead of the To URI.',
      (ctx, _t, f, u) => save(deps, ctx, N(f), S(u)),
    ),
    fn(
      'lookup',
      [str('table')],
      'Rewrites the R-URI with the best contact of its AoR, other contacts as branches: 1 found, -1 not found, -2 method not allowed, -3 error.',
      (ctx) => lookup(deps, ctx, null),
    ),
    fn(
      'lookup_uri',
      [str('table'), str('uri')],
      'As lookup, for the AoR of the given URI.',
      (ctx, _t, u) => lookup(deps, ctx, S(u)),
    ),
    fn(
      'lookup_to_dset',
      [str('table'), str('uri')],
      'Adds every contact of the AoR (of uri, or of the R-URI when empty) as branches; the R-URI is untouched.',
      (ctx, _t, u) => lookupToDset(deps, ctx, S(u)),
    ),
    fn(
      'lookup_branches',
      [str('_dtable')],
      'Lookup for the R-URI and for the URI of every branch; 1 when any was found.',
      (ctx) => lookupBranches(deps, ctx),
    ),
    fn(
      'registered',
      [str('table')],
      'True (1) when the AoR of the R-URI has live contacts, else -1.',
      (ctx) => registered(deps, ctx, null),
    ),
    fn(
      'registered_uri',
      [str('_dtable'), str('_uri')],
      'As registered, for the given URI.',
      (ctx, _t, u) => registered(deps, ctx, S(u)),
    ),
    fn(
      'unregister',
      [str('_dtable'), str('_uri')],
      'Removes every contact of the AoR of the URI; 1 done, -1 bad URI.',
      (ctx, _t, u) => unregister(deps, ctx.tenant, S(u), null),
    ),
    fn(
      'unregister_ruid',
      [str('_dtable'), str('_uri'), str('_ruid')],
      'Removes the contact with that ruid from the AoR; 1 removed, -1 not found.',
      (ctx, _t, u, r) => unregister(deps, ctx.tenant, S(u), S(r)),
    ),
    fn(
      'reg_fetch_contacts',
      [str('dtable'), str('uri'), str('profile')],
      'Loads the contacts of the AoR into a profile read with ulc_rget/ulc_cget; 1 when any, else -1.',
      (ctx, _t, u, p) => fetchContacts(deps, ctx, S(u), S(p)),
    ),
    fn(
      'reg_free_contacts',
      [str('profile')],
      'Frees a profile loaded by reg_fetch_contacts.',
      (ctx, p) => freeContacts(ctx, S(p)),
    ),
    fn(
      'ulc_rget',
      [str('rid'), str('attr')],
      'Record attribute of a fetched profile: aor, domain, count.',
      (ctx, p, a) => ulcRget(ctx, S(p), S(a)),
      'xval',
    ),
    fn(
      'ulc_cget',
      [str('rid'), str('attr'), int('idx')],
      'Contact attribute of a fetched profile at index: addr, path, received, expires, callid, q, cseq, flags, user_agent, socket, modified, methods, instance, reg_id, ruid.',
      (ctx, p, a, i) => ulcCget(deps, ctx, S(p), S(a), N(i)),
      'xval',
    ),
    fn(
      'reg_send_reply',
      [],
      'Sends the reply prepared by save(…, 0x10); -1 when none was prepared.',
      (ctx) => {
        const r = ctx.ext.get(PREPARED_REPLY_KEY) as PreparedReply | undefined;
        if (!r) return -1;
        ctx.ext.delete(PREPARED_REPLY_KEY);
        replyNow(ctx, r.status, r.reason, { headers: r.headers });
        return 1;
      },
    ),
  ];
  return { name: 'registrar', exports };
}
