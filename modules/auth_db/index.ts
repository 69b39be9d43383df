/**
 * KSR.auth_db (Kamailio's auth_db): digest checks against the subscriber table of the store.
 *
 * Subscribers are looked up by (user, realm): polysip always provisions user@domain, so this
 * is Kamailio's use_domain=1 behaviour. With a synchronous store (SQLite) the check is one
 * prepared-statement read and stays synchronous; with an async store (PostgreSQL) a small
 * cache (cache_ttl seconds, default 5 for async stores, 0 for sync ones) keeps the hot path in
 * memory and lets known users authenticate while the database restarts. A store failure is an
 * internal error: auth_check returns -1 and the following auth_challenge answers 500.
 *
 * Tenants: a tenant's route may authenticate (and test is_subscriber for) only users of the
 * domains the tenant owns (ctx.core.tenantDomains); another domain's user is unknown to it
 * (-3), so one tenant cannot check passwords against another's subscribers.
 */
import type { RouteContext } from '../../core/api/context.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import { parseUri } from '../../core/sip/uri.ts';
import {
  isPromise,
  type MaybePromise,
  type Store,
  type Subscriber,
} from '../../core/store/types.ts';
import {
  AUTH_ERROR,
  AUTH_NO_CREDENTIALS,
  AUTH_OK,
  AUTH_USER_MISMATCH,
  AUTH_USER_UNKNOWN,
  authState,
  identityUser,
  type AuthApi,
} from '../auth/api.ts';
import { computeHa1 } from '../auth/digest.ts';

export interface AuthDbParams {
  /** 1: the password column holds the plain password and HA1 is computed (Kamailio's calculate_ha1). */
  readonly calculate_ha1?: number;
  /** Seconds a subscriber read stays cached (see the file comment for the default). */
  readonly cache_ttl?: number;
}

export interface AuthDbOptions {
  readonly store: Store;
  readonly auth: AuthApi;
  readonly params?: AuthDbParams;
  /** Whether the store answers synchronously (decides the default cache_ttl). */
  readonly syncStore?: boolean;
}

type Found = Exclude<ReturnType<AuthApi['credentials']>, 'none' | 'malformed'>;

const S = (v: string | number): string => String(v);
const N = (v: string | number): number => Number(v);

/** Whether the route's tenant owns subscriber `domain` (the main script owns every domain). */
function ownsDomain(ctx: RouteContext, domain: string): boolean {
  if (ctx.tenant === '') return true;
  const owned = ctx.core.tenantDomains?.(ctx.tenant) ?? [];
  return owned.includes(domain.toLowerCase());
}

export function createAuthDbModule(opts: AuthDbOptions): PolysipModule {
  const { store, auth } = opts;
  const p = opts.params ?? {};
  const calc = Number(p.calculate_ha1 ?? 0) !== 0;
  const ttlMs = Number(p.cache_ttl ?? (opts.syncStore ? 0 : 5)) * 1000;
  const cache = new Map<string, { sub: Subscriber; at: number }>();

  const readSubscriber = (user: string, domain: string): MaybePromise<Subscriber | null> => {
    if (ttlMs === 0) return store.subscribers.get(user, domain);
    const key = `${user}\u0000${domain}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.sub;
    const r = store.subscribers.get(user, domain);
    const keep = (sub: Subscriber | null): Subscriber | null => {
      if (sub) {
        if (cache.size > 200_000) cache.clear();
        cache.set(key, { sub, at: Date.now() });
      } else cache.delete(key);
      return sub;
    };
    if (isPromise(r)) {
      return r.then(keep, (e: unknown) => {
        // The backend is away: a recently known subscriber still authenticates.
        const stale = cache.get(key);
        if (stale) return stale.sub;
        throw e;
      });
    }
    return keep(r);
  };

  /** The rest of a check once the subscriber is known (a plain function: no closure per call). */
  const finish = (
    ctx: RouteContext,
    found: Found,
    user: string,
    qualified: boolean,
    flags: number,
    method: string | undefined,
    sub: Subscriber | null,
  ): number => {
    if (!sub) return AUTH_USER_UNKNOWN;
    const cred = found.cred;
    const sha = cred.algorithm.startsWith('SHA-256');
    let ha1 = calc ? '' : sha ? sub.ha1Sha256 : qualified ? sub.ha1b : sub.ha1;
    if (ha1 === '' && sub.password !== '') {
      ha1 = computeHa1(cred.algorithm, cred.username, cred.realm, sub.password);
    }
    if (ha1 === '') return AUTH_ERROR;
    const rc = auth.verify(ctx, cred, ha1, method);
    if (rc !== AUTH_OK) return rc;
    authState(ctx).used = { lname: found.lname, value: found.value };
    if (flags & 1 && identityUser(ctx) !== user) return AUTH_USER_MISMATCH;
    return AUTH_OK;
  };

  const failed = (ctx: RouteContext, e: unknown): number => {
    auth.internalError(ctx, `subscriber lookup failed: ${(e as Error).message}`);
    return AUTH_ERROR;
  };

  const check = (
    ctx: RouteContext,
    realmArg: string,
    flags: number,
    proxy: boolean,
    method?: string,
  ): MaybePromise<number> => {
    const realm = realmArg === '' ? auth.defaultRealm(ctx) : realmArg;
    const found = auth.credentials(ctx, realm, proxy);
    if (found === 'none') return AUTH_NO_CREDENTIALS;
    if (found === 'malformed') return AUTH_ERROR;
    const name = found.cred.username;
    const at = name.indexOf('@');
    const user = at >= 0 ? name.slice(0, at) : name;
    const domain = at >= 0 ? name.slice(at + 1) : realm;
    if (!ownsDomain(ctx, domain)) return AUTH_USER_UNKNOWN;
    let r: MaybePromise<Subscriber | null>;
    try {
      r = readSubscriber(user, domain);
    } catch (e) {
      return failed(ctx, e);
    }
    if (!isPromise(r)) return finish(ctx, found, user, at >= 0, flags, method, r);
    return r.then(
      (sub) => finish(ctx, found, user, at >= 0, flags, method, sub),
      (e: unknown) => failed(ctx, e),
    );
  };

  const fn = (
    name: string,
    ps: KsrFunction['params'],
    doc: string,
    impl: KsrFunction['impl'],
  ): KsrFunction => ({ module: 'auth_db', name, params: ps, returns: 'int', doc, impl });

  const exports: KsrFunction[] = [
    fn(
      'auth_check',
      [str('srealm'), str('stable'), int('iflags')],
      'Digest check against the subscriber table (REGISTER: Authorization, else Proxy-Authorization). 1 ok; -1 error, -2 bad password, -3 unknown user, -4 stale nonce, -5 no credentials, -6 nonce reused, -8 auth user is not the From/To user (flag 1).',
      (ctx, r, _t, f) => check(ctx, S(r), N(f), ctx.msg.method !== 'REGISTER'),
    ),
    fn(
      'www_authenticate',
      [str('realm'), str('table')],
      'Checks the Authorization header against the subscriber table (codes as auth_check).',
      (ctx, r) => check(ctx, S(r), 0, false),
    ),
    fn(
      'www_authenticate_method',
      [str('realm'), str('table'), str('method')],
      'As www_authenticate, with the method used in the digest given.',
      (ctx, r, _t, m) => check(ctx, S(r), 0, false, S(m)),
    ),
    fn(
      'is_subscriber',
      [str('suri'), str('stable'), int('iflags')],
      'True (1) when the user@host of the URI is in the subscriber table; -1 not, -2 error.',
      (ctx, u) => {
        let uri;
        try {
          uri = parseUri(S(u));
        } catch {
          return -1;
        }
        if (!uri.user || !ownsDomain(ctx, uri.host)) return -1;
        let r: MaybePromise<Subscriber | null>;
        try {
          r = readSubscriber(uri.user, uri.host.toLowerCase());
        } catch (e) {
          auth.internalError(ctx, `subscriber lookup failed: ${(e as Error).message}`);
          return -2;
        }
        const fin = (s: Subscriber | null): number => (s ? 1 : -1);
        return isPromise(r)
          ? r.then(fin, (e: Error) => {
              auth.internalError(ctx, `subscriber lookup failed: ${e.message}`);
              return -2;
            })
          : fin(r);
      },
    ),
  ];
  return { name: 'auth_db', exports };
}
