/**
 * The digest core other modules build on (auth_db checks credentials against the store
 * through it): picking the credentials of a request, verifying them against an HA1,
 * challenging, and the per-request state that links auth_check to auth_challenge and
 * consume_credentials.
 */
import type { RouteContext } from '../../core/api/context.ts';
import { LAST_ERROR_KEY, replyNow, type LastError } from '../sl/index.ts';
import {
  computeHa1,
  expectedResponse,
  normaliseAlgorithm,
  parseDigest,
  sameHex,
  type Credentials,
  type DigestAlgorithm,
  type NonceService,
} from './digest.ts';

/** Kamailio's auth result codes (auth/api.h), kept as numbers scripts compare with. */
export const AUTH_OK = 1;
export const AUTH_ERROR = -1;
export const AUTH_INVALID_PASSWORD = -2;
export const AUTH_USER_UNKNOWN = -3;
export const AUTH_STALE_NONCE = -4;
export const AUTH_NO_CREDENTIALS = -5;
export const AUTH_NONCE_REUSED = -6;
export const AUTH_USER_MISMATCH = -8;

export const AUTH_STATE_KEY = 'auth:state';

export interface AuthState {
  /** The header that carried the credentials that were checked (for consume_credentials). */
  used: { lname: string; value: string } | null;
  stale: boolean;
  /** A backend failure happened while checking: auth_challenge answers 500. */
  internalError: boolean;
  /** auth_algorithm() override for this message. */
  algorithms: DigestAlgorithm[] | null;
}

export function authState(ctx: RouteContext): AuthState {
  let s = ctx.ext.get(AUTH_STATE_KEY) as AuthState | undefined;
  if (!s) {
    s = { used: null, stale: false, internalError: false, algorithms: null };
    ctx.ext.set(AUTH_STATE_KEY, s);
  }
  return s;
}

export interface AuthParams {
  /** Seconds a nonce stays valid (Kamailio's nonce_expire). */
  readonly nonce_expire?: number;
  /** Algorithms offered in challenges, comma-separated, preferred first: "MD5", "SHA-256,MD5". */
  readonly algorithm?: string;
  /** Server secret for nonces; nodes that share it accept each other's nonces. */
  readonly secret?: string;
}

export interface AuthApi {
  readonly nonces: NonceService;
  /** Credentials of the request for `realm`: WWW (Authorization) or proxy ones. */
  credentials(
    ctx: RouteContext,
    realm: string,
    proxy: boolean,
  ): { cred: Credentials; lname: string; value: string } | 'none' | 'malformed';
  /** Checks credentials against the HA1 of their algorithm; one of the AUTH_* codes. */
  verify(ctx: RouteContext, cred: Credentials, ha1: string, method?: string): number;
  /** Records that checking failed inside the server (store down): challenge answers 500. */
  internalError(ctx: RouteContext, what: string): void;
  /**
   * Sends the 401/407 (or the 500 of an internal error) at once; 1 challenged, -1 not. The
   * answer is synchronous so the script engine has nothing to wait for.
   */
  challenge(ctx: RouteContext, realm: string, flags: number, proxy: boolean): number;
  /** The realm to use when a script passes '': the To host for REGISTER, else the From host. */
  defaultRealm(ctx: RouteContext): string;
}

export function createAuthApi(nonces: NonceService, params: AuthParams): AuthApi {
  const offered: DigestAlgorithm[] = (params.algorithm ?? 'MD5')
    .split(',')
    .map((a) => normaliseAlgorithm(a.trim()))
    .filter((a): a is DigestAlgorithm => a !== null);
  if (offered.length === 0) offered.push('MD5');

  const defaultRealm = (ctx: RouteContext): string => {
    try {
      const a = ctx.msg.method === 'REGISTER' ? ctx.msg.to() : ctx.msg.from();
      return a?.uri.host ?? '';
    } catch {
      return '';
    }
  };

  return {
    nonces,
    defaultRealm,
    credentials(ctx, realm, proxy) {
      const lname = proxy ? 'proxy-authorization' : 'authorization';
      if (!ctx.msg.hasHeader(lname)) return 'none';
      let malformed = false;
      for (const value of ctx.msg.headerValues(lname)) {
        const cred = parseDigest(value);
        if (!cred) {
          malformed = true;
          continue;
        }
        if (realm === '' || cred.realm === realm) return { cred, lname, value };
      }
      return malformed ? 'malformed' : 'none';
    },
    verify(ctx, cred, ha1, method) {
      const state = nonces.check(cred.nonce);
      if (state === 'invalid') return AUTH_STALE_NONCE;
      const want = expectedResponse(cred, ha1, method ?? ctx.msg.method, ctx.msg.body);
      if (!sameHex(want, cred.response)) return AUTH_INVALID_PASSWORD;
      if (state === 'stale') {
        authState(ctx).stale = true;
        return AUTH_STALE_NONCE;
      }
      if (cred.qop !== null && !nonces.acceptNc(cred.nonce, cred.nc ?? ''))
        return AUTH_NONCE_REUSED;
      return AUTH_OK;
    },
    internalError(ctx, what) {
      authState(ctx).internalError = true;
      ctx.ext.set(LAST_ERROR_KEY, {
        status: 500,
        reason: 'Server Internal Error',
      } satisfies LastError);
      ctx.log('err', `auth: ${what}\n`);
    },
    challenge(ctx, realm, flags, proxy) {
      if (!ctx.msg.isRequest || ctx.msg.method === 'ACK' || ctx.msg.method === 'CANCEL') return -1;
      const st = authState(ctx);
      if (st.internalError) {
        // As Kamailio: an internal error gets 500 rather than a challenge, unless flag 4.
        if (flags & 4) return -1;
        replyNow(ctx, 500, 'Server Internal Error');
        return -1;
      }
      const r = realm === '' ? defaultRealm(ctx) : realm;
      const qop =
        flags & 3
          ? `, qop="${flags & 1 ? (flags & 2 ? 'auth,auth-int' : 'auth') : 'auth-int'}"`
          : '';
      const stale = (flags & 16) !== 0 || st.stale ? ', stale=true' : '';
      const hname = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
      const quoted = QUOTE_ME.test(r) ? r.replace(QUOTE_ME_ALL, '\\$1') : r;
      const algorithms = st.algorithms ?? offered;
      const headers: [string, string][] = [];
      for (const alg of algorithms) {
        headers.push([
          hname,
          `Digest realm="${quoted}", nonce="${nonces.issue()}", opaque="${nonces.opaque()}", algorithm=${alg}${qop}${stale}`,
        ]);
      }
      replyNow(ctx, proxy ? 407 : 401, proxy ? 'Proxy Authentication Required' : 'Unauthorized', {
        headers,
      });
      return 1;
    },
  };
}

/** Characters a realm escapes inside its quoted-string. */
const QUOTE_ME = /["\\]/;
const QUOTE_ME_ALL = /(["\\])/g;

/** Checks the request's credentials against a password given by the script (pv_* functions). */
export function checkWithPassword(
  api: AuthApi,
  ctx: RouteContext,
  realm: string,
  passwd: string,
  isHa1: boolean,
  proxy: boolean,
  method?: string,
): { rc: number; cred: Credentials | null } {
  const found = api.credentials(ctx, realm === '' ? api.defaultRealm(ctx) : realm, proxy);
  if (found === 'none') return { rc: AUTH_NO_CREDENTIALS, cred: null };
  if (found === 'malformed') return { rc: AUTH_ERROR, cred: null };
  const ha1 = isHa1
    ? passwd
    : computeHa1(found.cred.algorithm, found.cred.username, found.cred.realm, passwd);
  const rc = api.verify(ctx, found.cred, ha1, method);
  if (rc === AUTH_OK) authState(ctx).used = { lname: found.lname, value: found.value };
  return { rc, cred: found.cred };
}

/** User of the To (REGISTER) or From URI, for the "auth user must match" check. */
export function identityUser(ctx: RouteContext): string | null {
  try {
    const a = ctx.msg.method === 'REGISTER' ? ctx.msg.to() : ctx.msg.from();
    return a?.uri.user ?? null;
  } catch {
    return null;
  }
}
