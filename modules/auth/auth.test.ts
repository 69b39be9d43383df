/** Digest: nonces, responses (MD5, SHA-256, qop), auth_db codes, challenges, the guard. */
import test from 'ava';
import { createHash, createHmac } from 'node:crypto';
import { callKsr, makeCtx } from '../testkit.ts';
import { openSqliteStore } from '../db_sqlite/index.ts';
import { createAuthDbModule } from '../auth_db/index.ts';
import { subscriberRow } from '../../bin/cli-db.ts';
import { createAuthModules } from './index.ts';
import { NonceService, parseDigest, type DigestAlgorithm } from './digest.ts';
import { MemoryFailureCounter } from './guard.ts';

const h = (alg: string, s: string) =>
  createHash(alg === 'SHA-256' ? 'sha256' : 'md5')
    .update(s)
    .digest('hex');

function authHeader(o: {
  user: string;
  realm: string;
  password: string;
  nonce: string;
  method: string;
  uri: string;
  alg?: DigestAlgorithm;
  qop?: boolean;
  nc?: string;
}): string {
  const alg = o.alg ?? 'MD5';
  const ha1 = h(alg, `${o.user}:${o.realm}:${o.password}`);
  const ha2 = h(alg, `${o.method}:${o.uri}`);
  const nc = o.nc ?? '00000001';
  const resp = o.qop
    ? h(alg, `${ha1}:${o.nonce}:${nc}:abc:auth:${ha2}`)
    : h(alg, `${ha1}:${o.nonce}:${ha2}`);
  return `Digest username="${o.user}", realm="${o.realm}", nonce="${o.nonce}", uri="${o.uri}", response="${resp}", algorithm=${alg}${o.qop ? `, qop=auth, nc=${nc}, cnonce="abc"` : ''}`;
}

function req(method: string, hdr: string | null, from = 'alice'): string {
  const name = method === 'REGISTER' ? 'Authorization' : 'Proxy-Authorization';
  return [
    `${method} sip:example.com SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-1',
    `From: <sip:${from}@example.com>;tag=f1`,
    `To: <sip:${method === 'REGISTER' ? from : 'bob'}@example.com>`,
    'Call-ID: c1',
    `CSeq: 1 ${method}`,
    ...(hdr ? [`${name}: ${hdr}`] : []),
    'Content-Length: 0',
    '',
    '',
  ].join('\n');
}

function setup(nonceExpire = 300) {
  const store = openSqliteStore({ path: ':memory:' });
  store.subscribers.put(subscriberRow({ user: 'alice', domain: 'example.com' }, 'pw', false));
  const auth = createAuthModules({
    params: { secret: 'k', nonce_expire: nonceExpire, algorithm: 'SHA-256,MD5' },
  });
  const db = createAuthDbModule({ store, auth: auth.api, syncStore: true });
  return { store, auth, db };
}

test('nonces carry expiry and a MAC: another instance with the same secret accepts them', (t) => {
  let now = 1000;
  const a = new NonceService({ secret: 's', lifetimeSec: 30, now: () => now });
  const b = new NonceService({ secret: 's', lifetimeSec: 30, now: () => now });
  const other = new NonceService({ secret: 'x', lifetimeSec: 30, now: () => now });
  const n = a.issue();
  t.is(b.check(n), 'valid');
  t.is(other.check(n), 'invalid');
  t.is(a.check(n.slice(0, -2) + (n.endsWith('AA') ? 'BB' : 'AA')), 'invalid');
  now += 31;
  t.is(b.check(n), 'stale');
  t.true(a.acceptNc(n, '00000001'));
  t.false(a.acceptNc(n, '00000001'));
  t.true(a.acceptNc(n, '00000002'));
});

test('parseDigest handles quoting and refuses incomplete credentials', (t) => {
  const c = parseDigest(
    'Digest username="a\\"b", realm="r", nonce="n", uri="sip:x", response="ABC", qop=auth, nc=00000001, cnonce="c"',
  );
  t.is(c?.username, 'a"b');
  t.is(c?.response, 'abc');
  t.is(parseDigest('Digest username="a", realm="r"'), null);
  t.is(parseDigest('Basic abc'), null);
  t.is(
    parseDigest(
      'Digest username="a", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-512',
    ),
    null,
  );
});

test('auth_challenge: 401 for REGISTER with one header per algorithm, qop, opaque; 407 otherwise', async (t) => {
  const { auth } = setup();
  const ctx = makeCtx(req('REGISTER', null));
  t.is(await callKsr(auth.auth, 'auth_challenge', ctx, 'example.com', 1), 1);
  const r = ctx.core.replies[0]!;
  t.is(r.status, 401);
  t.is(r.headers.length, 2);
  t.regex(
    r.headers[0]![1],
    /^Digest realm="example.com", nonce="[^"]+", opaque="[^"]+", algorithm=SHA-256, qop="auth"$/,
  );
  t.regex(r.headers[1]![1], /algorithm=MD5/);
  const inv = makeCtx(req('INVITE', null));
  await callKsr(auth.auth, 'auth_challenge', inv, 'example.com', 0);
  t.is(inv.core.replies[0]!.status, 407);
  t.is(inv.core.replies[0]!.headers[0]![0], 'Proxy-Authenticate');
});

test('auth_check codes: 1, -2, -3, -4 (stale=true next), -5, -6, -8; SHA-256 and MD5', async (t) => {
  const { auth, db } = setup();
  const nonce = auth.api.nonces.issue();
  const base = {
    realm: 'example.com',
    password: 'pw',
    nonce,
    method: 'REGISTER',
    uri: 'sip:example.com',
  };
  const check = async (raw: string) =>
    callKsr(db, 'auth_check', makeCtx(raw), 'example.com', 'subscriber', 1);
  t.is(await check(req('REGISTER', null)), -5);
  t.is(await check(req('REGISTER', authHeader({ ...base, user: 'alice', qop: true }))), 1);
  t.is(
    await check(req('REGISTER', authHeader({ ...base, user: 'alice', qop: true }))),
    -6,
    'same nc again',
  );
  t.is(
    await check(
      req(
        'REGISTER',
        authHeader({ ...base, user: 'alice', qop: true, nc: '00000002', alg: 'SHA-256' }),
      ),
    ),
    1,
  );
  t.is(await check(req('REGISTER', authHeader({ ...base, user: 'alice', password: 'bad' }))), -2);
  t.is(await check(req('REGISTER', authHeader({ ...base, user: 'nobody' }))), -3);
  t.is(
    await check(req('INVITE', authHeader({ ...base, method: 'INVITE', user: 'alice' }), 'mallory')),
    -8,
  );
  const old = new NonceService({ secret: 'k', lifetimeSec: -10 }).issue();
  const ctx = makeCtx(req('REGISTER', authHeader({ ...base, nonce: old, user: 'alice' })));
  t.is(await callKsr(db, 'auth_check', ctx, 'example.com', 'subscriber', 0), -4);
  await callKsr(auth.auth, 'auth_challenge', ctx, 'example.com', 1);
  t.regex(ctx.core.replies[0]!.headers[0]![1], /stale=true/);
});

test('consume_credentials removes the header that authenticated the request', async (t) => {
  const { auth, db } = setup();
  const nonce = auth.api.nonces.issue();
  const ctx = makeCtx(
    req(
      'INVITE',
      authHeader({
        realm: 'example.com',
        password: 'pw',
        nonce,
        method: 'INVITE',
        uri: 'sip:x',
        user: 'alice',
      }),
    ),
  );
  t.is(await callKsr(db, 'auth_check', ctx, 'example.com', 'subscriber', 1), 1);
  t.is(await callKsr(auth.auth, 'consume_credentials', ctx), 1);
  t.false(ctx.msg.hasHeader('proxy-authorization'));
});

test('pv_auth_check with a plain password and with an HA1', async (t) => {
  const { auth } = setup();
  const nonce = auth.api.nonces.issue();
  const raw = req(
    'REGISTER',
    authHeader({
      realm: 'example.com',
      password: 'pw',
      nonce,
      method: 'REGISTER',
      uri: 'sip:e',
      user: 'alice',
    }),
  );
  t.is(await callKsr(auth.auth, 'pv_auth_check', makeCtx(raw), 'example.com', 'pw', 0, 1), 1);
  t.is(
    await callKsr(
      auth.auth,
      'pv_auth_check',
      makeCtx(raw),
      'example.com',
      h('MD5', 'alice:example.com:pw'),
      1,
      1,
    ),
    1,
  );
  t.is(await callKsr(auth.auth, 'pv_auth_check', makeCtx(raw), 'example.com', 'nope', 0, 1), -2);
});

test('calculate_ha1 uses the plain password column', async (t) => {
  const store = openSqliteStore({ path: ':memory:' });
  store.subscribers.put({
    username: 'bob',
    domain: 'example.com',
    password: 'pw2',
    ha1: '',
    ha1b: '',
    ha1Sha256: '',
  });
  const auth = createAuthModules({ params: { secret: 'k' } });
  const db = createAuthDbModule({
    store,
    auth: auth.api,
    params: { calculate_ha1: 1 },
    syncStore: true,
  });
  const nonce = auth.api.nonces.issue();
  const raw = req(
    'REGISTER',
    authHeader({
      realm: 'example.com',
      password: 'pw2',
      nonce,
      method: 'REGISTER',
      uri: 'sip:e',
      user: 'bob',
    }),
    'bob',
  );
  t.is(await callKsr(db, 'auth_check', makeCtx(raw), 'example.com', 'subscriber', 1), 1);
});

test('a store failure is an internal error: -1, then auth_challenge answers 500', async (t) => {
  const { store, auth, db } = setup();
  await store.close();
  const nonce = auth.api.nonces.issue();
  const ctx = makeCtx(
    req(
      'REGISTER',
      authHeader({
        realm: 'example.com',
        password: 'pw',
        nonce,
        method: 'REGISTER',
        uri: 'sip:e',
        user: 'alice',
      }),
    ),
  );
  t.is(await callKsr(db, 'auth_check', ctx, 'example.com', 'subscriber', 1), -1);
  await callKsr(auth.auth, 'auth_challenge', ctx, 'example.com', 1);
  t.is(ctx.core.replies[0]!.status, 500);
});

test('auth_guard: failures per source and per user, blocking, reset, expiry', async (t) => {
  let now = 0;
  const counter = new MemoryFailureCounter({ now: () => now });
  const { guard } = createAuthModules({ counter, guard: { max_failures: 2, block_time: 10 } });
  const ctx = () =>
    makeCtx(
      req(
        'REGISTER',
        'Digest username="alice", realm="example.com", nonce="n", uri="u", response="r"',
      ),
    );
  t.is(await callKsr(guard, 'is_blocked', ctx()), -1);
  t.is(await callKsr(guard, 'record_failure', ctx()), 1);
  t.is(await callKsr(guard, 'record_failure', ctx()), 2);
  t.is(await callKsr(guard, 'is_blocked', ctx()), 1);
  t.is(await callKsr(guard, 'failures', ctx(), 'user:alice@example.com'), 2);
  t.is(await callKsr(guard, 'reset_user', ctx()), 1);
  t.is(await callKsr(guard, 'failures', ctx(), 'user:alice@example.com'), 0);
  t.is(await callKsr(guard, 'is_blocked', ctx()), 1, 'the source stays blocked');
  now += 11;
  t.is(await callKsr(guard, 'is_blocked', ctx()), -1);
});

test('nonces carry a MAC keyed by a key derived from the secret, for short and long secrets alike', (t) => {
  for (const secret of ['s3cret', 'k'.repeat(100)]) {
    const nonces = new NonceService({ secret, lifetimeSec: 30 });
    const nonce = nonces.issue();
    t.regex(nonce, /^[0-9a-f]{8}[A-Za-z0-9_-]{32}$/);
    const key = createHmac('sha256', Buffer.from(secret, 'utf8'))
      .update('polysip nonce key')
      .digest('base64url');
    const expected = createHash('sha256')
      .update(key + nonce.slice(0, 24))
      .digest('base64url')
      .slice(0, 16);
    t.is(nonce.slice(24), expected);
    t.is(nonces.check(nonce), 'valid');
    // any one character changed, in the data or in the MAC, makes it invalid
    for (const at of [0, 7, 8, 23, 24, 39]) {
      const c = nonce[at] === 'a' ? 'b' : 'a';
      t.is(nonces.check(nonce.slice(0, at) + c + nonce.slice(at + 1)), 'invalid');
    }
    t.is(nonces.check(nonce + 'A'), 'invalid');
    t.is(nonces.check(nonce.slice(0, -1)), 'invalid');
    const opaque = createHmac('sha256', Buffer.from(secret, 'utf8'))
      .update('opaque')
      .digest()
      .subarray(0, 12)
      .toString('base64url');
    t.is(nonces.opaque(), opaque);
  }
  // two nonces never share their random part
  const n = new NonceService({ secret: 'x', lifetimeSec: 30 });
  const seen = new Set(Array.from({ length: 600 }, () => n.issue().slice(8, 24)));
  t.is(seen.size, 600);
});
