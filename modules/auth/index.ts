/**
 * KSR.auth (Kamailio's auth module: digest challenges and checks against a given password)
 * and KSR.auth_guard (polysip's brute-force counters; Kamailio scripts do this with htable
 * and pike, so it gets its own name rather than extending KSR.auth).
 *
 * Tenants: every auth_guard key is kept in the route's tenant namespace (`TENANT/` before the
 * key, none for the main script), including the source-address keys. A tenant's failures
 * and its max_failures policy therefore never block another tenant's users, even from the
 * same address or for a user of the same name, and `failures`/`add_failure` cannot read or
 * raise another tenant's counters. Flooding the server as a whole is pike's job, which stays
 * shared.
 */
import { randomBytes } from 'node:crypto';
import type { RouteContext } from '../../core/api/context.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import {
  AUTH_OK,
  AUTH_USER_MISMATCH,
  authState,
  checkWithPassword,
  createAuthApi,
  identityUser,
  type AuthApi,
  type AuthParams,
} from './api.ts';
import { NonceService, normaliseAlgorithm, parseDigest } from './digest.ts';
import { MemoryFailureCounter, type FailureCounter } from './guard.ts';

export type { AuthApi, AuthParams } from './api.ts';
export type { FailureCounter } from './guard.ts';

export interface AuthGuardParams {
  /** Failures after which a user or a source is blocked. */
  readonly max_failures?: number;
  /** Seconds a failure counts (and a block lasts) after the last failure. */
  readonly block_time?: number;
}

export interface AuthModules {
  readonly auth: PolysipModule;
  readonly guard: PolysipModule;
  readonly api: AuthApi;
}

export interface AuthOptions {
  readonly params?: AuthParams;
  readonly guard?: AuthGuardParams;
  /** Replaces the in-memory failure counter (htable later). */
  readonly counter?: FailureCounter;
}

const S = (v: string | number): string => String(v);
const N = (v: string | number): number => Number(v);

export function createAuthModules(opts: AuthOptions = {}): AuthModules {
  const params = opts.params ?? {};
  const nonces = new NonceService({
    secret: params.secret ?? randomBytes(32).toString('hex'),
    lifetimeSec: Number(params.nonce_expire ?? 300),
  });
  const api = createAuthApi(nonces, params);
  const sweep = setInterval(() => nonces.sweep(), 60_000);
  sweep.unref();

  const fn = (
    name: string,
    ps: KsrFunction['params'],
    doc: string,
    impl: KsrFunction['impl'],
  ): KsrFunction => ({ module: 'auth', name, params: ps, returns: 'int', doc, impl });

  const pvCheck = (
    ctx: RouteContext,
    realm: string,
    passwd: string,
    flags: number,
    proxy: boolean,
    method?: string,
  ): number => checkWithPassword(api, ctx, realm, passwd, (flags & 1) !== 0, proxy, method).rc;

  const auth: KsrFunction[] = [
    fn(
      'auth_challenge',
      [str('realm'), int('flags')],
      'Sends 401 (REGISTER) or 407 challenge; flags 1 qop=auth, 2 qop=auth-int, 4 no 500 on internal error, 16 stale=true.',
      (ctx, r, f) => api.challenge(ctx, S(r), N(f), ctx.msg.method !== 'REGISTER'),
    ),
    fn(
      'www_challenge',
      [str('realm'), int('flags')],
      'Sends a 401 challenge (flags as auth_challenge).',
      (ctx, r, f) => api.challenge(ctx, S(r), N(f), false),
    ),
    fn(
      'proxy_challenge',
      [str('realm'), int('flags')],
      'Sends a 407 challenge (flags as auth_challenge).',
      (ctx, r, f) => api.challenge(ctx, S(r), N(f), true),
    ),
    fn(
      'consume_credentials',
      [],
      'Removes the Authorization/Proxy-Authorization header that authenticated the request.',
      (ctx) => {
        const used = authState(ctx).used;
        if (!used) return -1;
        const i = ctx.msg
          .headerFields()
          .findIndex((h) => h.lname === used.lname && h.value === used.value);
        if (i < 0) return -1;
        ctx.msg.removeHeaderAt(i);
        authState(ctx).used = null;
        return 1;
      },
    ),
    fn(
      'has_credentials',
      [str('srealm')],
      'True (1) when the request carries digest credentials for the realm.',
      (ctx, r) => {
        for (const h of ctx.msg.headerFields()) {
          if (h.lname !== 'authorization' && h.lname !== 'proxy-authorization') continue;
          const c = parseDigest(h.value);
          if (c && (S(r) === '' || c.realm === S(r))) return 1;
        }
        return -1;
      },
    ),
    fn(
      'pv_auth_check',
      [str('srealm'), str('spasswd'), int('vflags'), int('vchecks')],
      'Checks credentials against the given password (vflags 1: it is an HA1); vchecks 1: the auth user must be the From/To user (-8).',
      (ctx, r, p, f, c) => {
        const res = checkWithPassword(
          api,
          ctx,
          S(r),
          S(p),
          (N(f) & 1) !== 0,
          ctx.msg.method !== 'REGISTER',
        );
        if (res.rc === AUTH_OK && N(c) & 1 && res.cred && identityUser(ctx) !== res.cred.username)
          return AUTH_USER_MISMATCH;
        return res.rc;
      },
    ),
    fn(
      'pv_www_authenticate',
      [str('realm'), str('passwd'), int('flags')],
      'Checks Authorization against the given password (flags 1: HA1).',
      (ctx, r, p, f) => pvCheck(ctx, S(r), S(p), N(f), false),
    ),
    fn(
      'pv_proxy_authenticate',
      [str('realm'), str('passwd'), int('flags')],
      'Checks Proxy-Authorization against the given password (flags 1: HA1).',
      (ctx, r, p, f) => pvCheck(ctx, S(r), S(p), N(f), true),
    ),
    fn(
      'pv_www_authenticate_method',
      [str('realm'), str('passwd'), int('flags'), str('method')],
      'As pv_www_authenticate, with the method used in the digest given.',
      (ctx, r, p, f, m) => pvCheck(ctx, S(r), S(p), N(f), false, S(m)),
    ),
    fn(
      'auth_algorithm',
      [str('alg')],
      'Sets the digest algorithm of the next challenge (MD5, SHA-256, …); -1 unknown.',
      (ctx, a) => {
        const alg = normaliseAlgorithm(S(a));
        if (alg === null) return -1;
        authState(ctx).algorithms = [alg];
        return 1;
      },
    ),
  ];

  const counter = opts.counter ?? new MemoryFailureCounter();
  const max = Number(opts.guard?.max_failures ?? 5);
  const ttl = Number(opts.guard?.block_time ?? 300);
  // A tenant name has no '/', so `TENANT/` cannot be forged by a key the script passes.
  const ns = (ctx: RouteContext, key: string): string =>
    ctx.tenant === '' ? key : `${ctx.tenant}/${key}`;
  const keysOf = (ctx: RouteContext): string[] => {
    const keys = [ns(ctx, `src:${ctx.rcv.srcIp}`)];
    for (const h of ctx.msg.headerFields()) {
      if (h.lname !== 'authorization' && h.lname !== 'proxy-authorization') continue;
      const c = parseDigest(h.value);
      if (c) {
        keys.push(ns(ctx, `user:${c.username}@${c.realm}`));
        break;
      }
    }
    return keys;
  };
  const g = (
    name: string,
    ps: KsrFunction['params'],
    doc: string,
    impl: KsrFunction['impl'],
  ): KsrFunction => ({ module: 'auth_guard', name, params: ps, returns: 'int', doc, impl });
  const guard: KsrFunction[] = [
    g(
      'is_blocked',
      [],
      'True (1) when the source address or the credentials user has reached max_failures within block_time; else -1.',
      (ctx) => (keysOf(ctx).some((k) => counter.get(k) >= max) ? 1 : -1),
    ),
    g(
      'record_failure',
      [],
      'Counts an authentication failure for the source address and the credentials user; returns the highest count.',
      (ctx) => Math.max(...keysOf(ctx).map((k) => counter.inc(k, ttl))),
    ),
    g(
      'reset_user',
      [],
      'Clears the failure count of the credentials user (after a success); 1.',
      (ctx) => {
        for (const k of keysOf(ctx).slice(1)) counter.reset(k);
        return 1;
      },
    ),
    g(
      'failures',
      [str('key')],
      'Current failure count of a key ("src:IP" or "user:USER@REALM") in the tenant\'s own counters.',
      (ctx, k) => counter.get(ns(ctx, S(k))),
    ),
    g(
      'add_failure',
      [str('key')],
      "Counts a failure for any key of the tenant's own counters; returns the new count.",
      (ctx, k) => counter.inc(ns(ctx, S(k)), ttl),
    ),
  ];

  return {
    api,
    auth: { name: 'auth', exports: auth, stop: () => clearInterval(sweep) },
    guard: { name: 'auth_guard', exports: guard },
  };
}
