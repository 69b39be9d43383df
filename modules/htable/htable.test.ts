import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportRegistry } from '../../core/api/registry.ts';
import { DEFAULT_LIMITS } from '../../core/api/script.ts';
import { loadLuaScript } from '../../engines/lua/index.ts';
import type { RouteContext } from '../../core/api/context.ts';
import type { HostValue } from '../../core/api/registry.ts';
import type { FailureCounter } from '../auth/index.ts';
import { getPv, setPv } from '../pv/pvapi.ts';
import { makeCtx } from '../testkit.ts';
import { openSqliteStore } from '../db_sqlite/index.ts';
import {
  HtableFailureCounter,
  Htables,
  createHtableModule,
  module as builtin,
  parseTableSpec,
  type ExpiredEvent,
  type HtableModule,
} from './index.ts';
import { createHtableRpc, htableRpc } from './rpc.ts';
import { RpcError } from '../../core/mgmt/server.ts';

const OPTIONS = `OPTIONS sip:127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1
From: <sip:a@x>;tag=1
To: <sip:b@x>
Call-ID: c1
CSeq: 1 OPTIONS
Content-Length: 0

`;

function call(m: HtableModule, ctx: RouteContext, name: string, ...args: (string | number)[]) {
  const f = m.exports.find((e) => e.name === name);
  if (!f) throw new Error(`no ${name}`);
  return f.impl(ctx, ...args) as HostValue | Promise<HostValue>;
}

function clocked(tables: string[] = []) {
  const clock = { t: 1000 };
  const m = createHtableModule({ tables, now: () => clock.t });
  return { m, clock, h: m.htables };
}

test('table definitions parse in modparam syntax and refuse typos', (t) => {
  const s = parseTableSpec(
    'ipban=>size=8;autoexpire=300;initval=0;updateexpire=0;dbtable=ban;dbmode=1;',
  );
  t.deepEqual(s, {
    name: 'ipban',
    size: 8,
    autoexpire: 300,
    initval: 0,
    updateExpire: false,
    dbtable: 'ban',
    dbmode: 1,
  });
  t.throws(() => parseTableSpec('ipban=>autoexpir=3'), { code: 'POLYSIP_ERR_HTABLE_SPEC' });
  t.throws(() => parseTableSpec('ipban=>size=x'), { code: 'POLYSIP_ERR_HTABLE_SPEC' });
  t.throws(() => parseTableSpec('nosep'), { code: 'POLYSIP_ERR_HTABLE_SPEC' });
});

test('get/gete/sets/seti/is_null, and a table used undefined is created with defaults', (t) => {
  const { m, h } = clocked();
  const ctx = makeCtx(OPTIONS);
  t.is(call(m, ctx, 'sht_get', 'x', 'k'), null);
  t.is(call(m, ctx, 'sht_gete', 'x', 'k'), '');
  t.is(call(m, ctx, 'sht_getw', 'x', 'k'), '<null>');
  t.is(call(m, ctx, 'sht_is_null', 'x', 'k'), 1);
  t.is(call(m, ctx, 'sht_sets', 'x', 'k', 'v'), 1);
  t.is(call(m, ctx, 'sht_get', 'x', 'k'), 'v');
  t.is(call(m, ctx, 'sht_is_null', 'x', 'k'), -1);
  t.is(call(m, ctx, 'sht_seti', 'x', 'n', 42), 1);
  t.is(call(m, ctx, 'sht_get', 'x', 'n'), 42);
  t.is(h.spec('x')?.size, 4);
  t.is(call(m, ctx, 'sht_rm', 'x', 'k'), 1);
  t.is(call(m, ctx, 'sht_get', 'x', 'k'), null);
});

test('sht_inc/sht_dec return the new value, starting from initval', (t) => {
  const { m } = clocked(['c=>initval=10;']);
  const ctx = makeCtx(OPTIONS);
  t.is(call(m, ctx, 'sht_get', 'c', 'a'), 10, 'a missing item reads as initval');
  t.is(call(m, ctx, 'sht_inc', 'c', 'a'), 11);
  t.is(call(m, ctx, 'sht_inc', 'c', 'a'), 12);
  t.is(call(m, ctx, 'sht_dec', 'c', 'a'), 11);
  t.is(call(m, ctx, 'sht_inc', 'plain', 'a'), 1, 'no initval: from 0');
  t.is(call(m, ctx, 'sht_dec', 'plain', 'b'), -1);
  call(m, ctx, 'sht_sets', 'plain', 's', 'text');
  t.is(call(m, ctx, 'sht_inc', 'plain', 's'), -255, 'a non-numeric string cannot be incremented');
});

test('autoexpire removes items, updateexpire decides whether a write restarts it, setex overrides', (t) => {
  const { m, clock, h } = clocked(['e=>autoexpire=5;', 'f=>autoexpire=5;updateexpire=0;']);
  const ctx = makeCtx(OPTIONS);
  call(m, ctx, 'sht_seti', 'e', 'k', 1);
  call(m, ctx, 'sht_seti', 'f', 'k', 1);
  clock.t += 4;
  call(m, ctx, 'sht_seti', 'e', 'k', 2);
  call(m, ctx, 'sht_seti', 'f', 'k', 2);
  clock.t += 2;
  t.is(call(m, ctx, 'sht_get', 'e', 'k'), 2, 'write restarted the expiry');
  t.is(call(m, ctx, 'sht_get', 'f', 'k'), null, 'updateexpire=0 keeps the first expiry');
  clock.t += 4;
  t.is(call(m, ctx, 'sht_get', 'e', 'k'), null);
  call(m, ctx, 'sht_seti', 'x', 'k', 1);
  t.is(call(m, ctx, 'sht_setex', 'x', 'k', 3), 1);
  t.is(call(m, ctx, 'sht_setex', 'x', 'missing', 3), -1);
  clock.t += 3;
  t.is(call(m, ctx, 'sht_get', 'x', 'k'), null);
  t.is(h.sweep(), 3, 'the sweep takes out e/k, f/k and x/k');
});

test('expiry fires htable:expired:NAME with key and value, per tenant', (t) => {
  const { m, clock, h } = clocked(['ban=>autoexpire=2;']);
  const seen: ExpiredEvent[] = [];
  h.onExpired((ev) => seen.push(ev));
  call(m, makeCtx(OPTIONS, { tenant: 'acme' }), 'sht_seti', 'ban', '1.2.3.4', 7);
  call(m, makeCtx(OPTIONS), 'sht_sets', 'other', 'k', 'v');
  h.sweep();
  t.is(seen.length, 0);
  clock.t += 2;
  h.sweep();
  t.deepEqual(seen, [
    { event: 'htable:expired:ban', table: 'ban', tenant: 'acme', key: '1.2.3.4', value: 7 },
  ]);
});

test('regex removal by name and by value; a bad regex returns -1', (t) => {
  const { m } = clocked();
  const ctx = makeCtx(OPTIONS);
  for (const [k, v] of [
    ['u:alice', 'a1'],
    ['u:bob', 'b1'],
    ['ip:1.2.3.4', 'a2'],
  ])
    call(m, ctx, 'sht_sets', 'r', k!, v!);
  t.is(call(m, ctx, 'sht_rm_name_re', 'r', '^u:'), 1);
  t.is(call(m, ctx, 'sht_cn', 'r', 're', '.'), 1);
  t.is(call(m, ctx, 'sht_get', 'r', 'ip:1.2.3.4'), 'a2');
  call(m, ctx, 'sht_sets', 'r', 'z', 'keep');
  t.is(call(m, ctx, 'sht_rm_value_re', 'r', '^a[0-9]$'), 1);
  t.is(call(m, ctx, 'sht_get', 'r', 'ip:1.2.3.4'), null);
  t.is(call(m, ctx, 'sht_get', 'r', 'z'), 'keep');
  t.is(call(m, ctx, 'sht_rm_name_re', 'r', '(('), -1);
});

test('sht_match_name and sht_has_name: eq, sw, re, ne', (t) => {
  const { m } = clocked();
  const ctx = makeCtx(OPTIONS);
  call(m, ctx, 'sht_seti', 'm', 'alice@x', 1);
  t.is(call(m, ctx, 'sht_match_name', 'm', 'eq', 'alice@x'), 1);
  t.is(call(m, ctx, 'sht_match_name', 'm', 'eq', 'bob@x'), -1);
  t.is(call(m, ctx, 'sht_match_name', 'm', 'sw', 'ali'), 1);
  t.is(call(m, ctx, 'sht_has_name', 'm', 're', '@x$'), 1);
  t.is(call(m, ctx, 'sht_has_name', 'm', 'ne', 'alice@x'), -1);
  t.is(call(m, ctx, 'sht_match_name', 'm', 'bogus', 'x'), -1);
});

test('tenants do not see each other', (t) => {
  const { m } = clocked();
  const a = makeCtx(OPTIONS, { tenant: 'a' });
  const b = makeCtx(OPTIONS, { tenant: 'b' });
  call(m, a, 'sht_sets', 't', 'k', 'from-a');
  t.is(call(m, b, 'sht_get', 't', 'k'), null);
  call(m, b, 'sht_rm_name_re', 't', '.*');
  t.is(call(m, a, 'sht_get', 't', 'k'), 'from-a');
});

test('sht_lock is re-entrant for one route and makes another route wait until unlock', async (t) => {
  const { m, h } = clocked();
  const r1 = makeCtx(OPTIONS);
  const r2 = makeCtx(OPTIONS);
  t.is(await call(m, r1, 'sht_lock', 'l', 'k'), 1);
  t.is(await call(m, r1, 'sht_lock', 'l', 'k'), 1, 're-entrant');
  let r2got = false;
  const p = Promise.resolve(call(m, r2, 'sht_lock', 'l', 'k')).then((v) => {
    r2got = true;
    return v;
  });
  await new Promise((r) => setImmediate(r));
  t.false(r2got);
  t.is(call(m, r2, 'sht_unlock', 'l', 'k'), -1, 'not the holder');
  t.is(call(m, r1, 'sht_unlock', 'l', 'k'), 1);
  await new Promise((r) => setImmediate(r));
  t.false(r2got, 'still held once');
  t.is(call(m, r1, 'sht_unlock', 'l', 'k'), 1);
  t.is(await p, 1);
  t.true(r2got);
  t.true(h.table('l').isLocked('k'));
  t.is(call(m, r2, 'sht_unlock', 'l', 'k'), 1);
  t.false(h.table('l').isLocked('k'));
});

test('$sht(t=>k) reads, writes and unsets through the pv API, with inner PVs expanded', (t) => {
  const ctx = makeCtx(OPTIONS);
  t.true(setPv(ctx, '$sht(pvt=>$si)', 3));
  t.is(builtin.htables.table('pvt').get('192.0.2.10'), 3);
  t.is(getPv(ctx, '$sht(pvt=>192.0.2.10)'), 3);
  t.true(setPv(ctx, '$sht(pvt=>a=>b)', 'x'));
  t.is(getPv(ctx, '$sht(pvt=>a=>b)'), 'x', 'the key may contain =>');
  t.true(setPv(ctx, '$sht(pvt=>$si)', null));
  t.is(getPv(ctx, '$sht(pvt=>$si)'), null);
});

test('store: dbtable items load at attach, dbmode=1 writes back at stop, reload re-reads', async (t) => {
  const store = openSqliteStore({ path: ':memory:' });
  try {
    await store.kv.set('ban', 'old', 'i:5', 0);
    await store.kv.set('ban', 'gone', 's:x', 10);
    await store.kv.set('ban@acme', 'tk', 's:tenant', 0);
    const clock = { t: 1000 };
    const h = new Htables({ tables: ['ban=>dbtable=ban;dbmode=1;'], now: () => clock.t });
    await h.attachStore(store.kv);
    t.is(h.table('ban').get('old'), 5);
    t.is(h.table('ban').get('gone'), null, 'expired rows are not loaded');
    h.table('ban', 'acme');
    await new Promise((r) => setImmediate(r));
    t.is(h.table('ban', 'acme').get('tk'), 'tenant');
    h.table('ban').set('new', 'v');
    h.table('ban').remove('old');
    await h.stop();
    t.deepEqual(
      (await store.kv.list('ban')).map((r) => [r.key, r.value]),
      [['new', 's:v']],
    );
    const h2 = new Htables({ tables: ['ban=>dbtable=ban;dbmode=1;'] });
    await h2.attachStore(store.kv);
    t.is(h2.table('ban').get('new'), 'v');
    await store.kv.set('ban', 'late', 'i:1', 0);
    const rpc = createHtableRpc(h2);
    t.deepEqual(await rpc['htable.reload']!(['ban']), { loaded: 2 });
    t.is(h2.table('ban').get('late'), 1);
    await h2.stop();
  } finally {
    await store.close();
  }
});

test('RPC: dump, get, sets, delete; unknown tables and keys are errors', (t) => {
  const { h } = clocked(['r=>autoexpire=0;']);
  const rpc = createHtableRpc(h);
  t.is(rpc['htable.sets']!(['r', 'k', 'v']), 'Ok');
  h.table('r').set('n', 3);
  t.deepEqual(rpc['htable.get']!(['r', 'k']), { name: 'k', value: 'v' });
  t.deepEqual(rpc['htable.dump']!(['r']), [
    { name: 'k', value: 'v', type: 'str', expires: 0 },
    { name: 'n', value: 3, type: 'int', expires: 0 },
  ]);
  t.is(rpc['htable.seti']!(['r', 'i', '12']), 'Ok');
  t.is(h.table('r').get('i'), 12);
  t.throws(() => rpc['htable.seti']!(['r', 'i', 'x']), {
    instanceOf: RpcError,
    message: /must be an integer|is required/,
  });
  t.is(rpc['htable.delete']!(['r', 'k']), 'Ok');
  t.throws(() => rpc['htable.get']!(['r', 'k']), {
    instanceOf: RpcError,
    message: /not found|no htable/,
  });
  t.throws(() => rpc['htable.dump']!(['nope']), {
    instanceOf: RpcError,
    message: /not found|no htable/,
  });
  t.throws(() => rpc['htable.get']!([]), {
    instanceOf: RpcError,
    message: /must be an integer|is required/,
  });
  t.truthy(htableRpc['htable.dump']);
});

test('HtableFailureCounter behaves as the auth guard counter and is visible as $sht', (t) => {
  const clock = { t: 1000 };
  const h = new Htables({ tables: ['authfail=>initval=100;'], now: () => clock.t });
  const c: FailureCounter = new HtableFailureCounter(h);
  t.is(c.get('alice'), 0);
  t.is(c.inc('alice', 10), 1, 'counts from 0 despite initval');
  t.is(c.inc('alice', 10), 2);
  t.is(h.table('authfail').get('alice'), 2);
  clock.t += 9;
  t.is(c.inc('alice', 10), 3, 'the window restarts at each failure');
  clock.t += 9;
  t.is(c.get('alice'), 3);
  clock.t += 1;
  t.is(c.get('alice'), 0);
  c.inc('bob', 10);
  c.reset('bob');
  t.is(c.get('bob'), 0);
});

test('from Lua: sht_inc returns numbers, and sht_lock suspends the route until the holder unlocks', async (t) => {
  const m = createHtableModule();
  const registry = new ExportRegistry<RouteContext>();
  registry.defineAll(m.exports);
  const file = join(mkdtempSync(join(tmpdir(), 'polysip-htable-')), 'lock.lua');
  writeFileSync(
    file,
    [
      'function ksr_request_route()',
      '  KSR.htable.sht_lock("l", "k")',
      '  local n = KSR.htable.sht_inc("l", "n")',
      '  KSR.htable.sht_seti("out", "n", n + 100)',
      '  KSR.htable.sht_unlock("l", "k")',
      'end',
      '',
    ].join('\n'),
  );
  const script = await loadLuaScript<RouteContext>({
    file,
    registry,
    limits: DEFAULT_LIMITS,
    version: 1,
  });
  try {
    const holder = {};
    t.is(m.htables.table('l').lock('k', holder), undefined);
    let done = false;
    const run = script.run('ksr_request_route', makeCtx(OPTIONS)).then((o) => {
      done = true;
      return o;
    });
    await new Promise((r) => setTimeout(r, 20));
    t.false(done, 'the route waits for the lock');
    t.is(m.htables.table('out').get('n'), null);
    m.htables.table('l').unlock('k', holder);
    t.deepEqual(await run, { kind: 'returned' });
    t.is(m.htables.table('out').get('n'), 101);
    t.false(m.htables.table('l').isLocked('k'));
  } finally {
    script.dispose();
  }
});
