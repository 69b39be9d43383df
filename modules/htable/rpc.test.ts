/**
 * The htable and pike management functions called directly and through a real management
 * endpoint (loopback JSON-RPC), mounted the way bin/rpc.ts mounts them: positional and named
 * params, tenants as `TENANT/table` or as a trailing param, the error codes.
 */
import test from 'ava';
import { RpcError, rpcCall, startMgmtServer, type RpcMethod } from '../../core/mgmt/server.ts';
import { createPikeModule } from '../pike/index.ts';
import { createPikeRpc, pikeRpc } from '../pike/rpc.ts';
import { Htables } from './htables.ts';
import { module as htableModule } from './index.ts';
import { createHtableRpc, htableRpc } from './rpc.ts';

function fixture() {
  const clock = { t: 1000 };
  const h = new Htables({
    tables: ['ipban=>size=4;autoexpire=300;', 'userban=>initval=0;'],
    now: () => clock.t,
  });
  return { h, clock, rpc: createHtableRpc(h) };
}

const code = (e: unknown): number | undefined => (e instanceof RpcError ? e.rpcCode : undefined);

test('dump/get/sets/seti/delete of the main tables, positional and named', (t) => {
  const { h, rpc } = fixture();
  t.is(rpc['htable.sets']!(['ipban', '10.0.0.1', 'x']), 'Ok');
  t.is(rpc['htable.seti']!({ htable: 'ipban', key: '10.0.0.2', value: 7 }), 'Ok');
  t.deepEqual(rpc['htable.get']!({ table: 'ipban', key: '10.0.0.2' }), {
    name: '10.0.0.2',
    value: 7,
  });
  t.deepEqual(rpc['htable.dump']!(['ipban']), [
    { name: '10.0.0.1', value: 'x', type: 'str', expires: 1300 },
    { name: '10.0.0.2', value: 7, type: 'int', expires: 1300 },
  ]);
  t.is(rpc['htable.delete']!(['ipban', '10.0.0.1']), 'Ok');
  t.is(rpc['htable.delete']!(['ipban', 'missing']), 'Ok', 'a missing key is not an error');
  t.deepEqual(h.table('ipban').get('10.0.0.1'), null);
  // A defined table nobody used yet dumps empty instead of failing.
  t.deepEqual(rpc['htable.dump']!(['userban']), []);
});

test("a tenant's tables: TENANT/name or a trailing tenant; never the main table's items", (t) => {
  const { h, rpc } = fixture();
  h.table('ipban').set('main-key', 1);
  h.table('ipban', 'acme').set('acme-key', 2);
  t.deepEqual(rpc['htable.dump']!(['acme/ipban']), [
    { name: 'acme-key', value: 2, type: 'int', expires: 1300 },
  ]);
  t.deepEqual(rpc['htable.dump']!(['ipban', 'acme']), rpc['htable.dump']!(['acme/ipban']));
  t.deepEqual(rpc['htable.get']!(['acme/ipban', 'acme-key']), { name: 'acme-key', value: 2 });
  t.deepEqual(rpc['htable.get']!({ table: 'ipban', key: 'acme-key', tenant: 'acme' }), {
    name: 'acme-key',
    value: 2,
  });
  const err = t.throws(() => rpc['htable.get']!(['acme/ipban', 'main-key']));
  t.is(code(err), 404);
  t.is(rpc['htable.sets']!(['acme/ipban', 'k', 'v']), 'Ok');
  t.is(h.table('ipban', 'acme').get('k'), 'v');
  t.is(h.table('ipban').get('k'), null);
  t.is(rpc['htable.delete']!(['acme/ipban', 'acme-key']), 'Ok');
  t.is(h.table('ipban', 'acme').get('acme-key'), null);
  t.is(h.table('ipban').get('main-key'), 1);
  // Undefined tables (main or tenant) are errors, not created by a read.
  t.is(code(t.throws(() => rpc['htable.dump']!(['acme/nope']))), 404);
  t.is(code(t.throws(() => rpc['htable.dump']!(['nope']))), 404);
  t.is(h.peek('nope', 'acme'), undefined);
  // A table literally named with a slash, used by the main script, is found by that name.
  h.table('a/b').set('k', 'literal');
  t.deepEqual(rpc['htable.get']!(['a/b', 'k']), { name: 'k', value: 'literal' });
  t.deepEqual(
    (rpc['htable.listTables']!([]) as { name: string; items: number }[]).map((r) => [
      r.name,
      r.items,
    ]),
    [
      ['a/b', 1],
      ['acme/ipban', 1],
      ['ipban', 1],
      ['userban', 0],
    ],
  );
});

test('bad params are -32602; expired items are gone from dump and get', (t) => {
  const { clock, rpc } = fixture();
  t.is(code(t.throws(() => rpc['htable.get']!([]))), -32602);
  t.is(code(t.throws(() => rpc['htable.get']!(['ipban']))), -32602);
  t.is(code(t.throws(() => rpc['htable.sets']!(['ipban', 'k', 3]))), -32602);
  t.is(code(t.throws(() => rpc['htable.seti']!(['ipban', 'k', '1.5']))), -32602);
  t.is(code(t.throws(() => rpc['htable.seti']!(['ipban', 'k', '']))), -32602);
  t.is(code(t.throws(() => rpc['htable.dump']!({ table: 'ipban', tenant: 3 }))), -32602);
  rpc['htable.seti']!(['ipban', 'k', '5']);
  clock.t += 301;
  t.deepEqual(rpc['htable.dump']!(['ipban']), []);
  t.is(code(t.throws(() => rpc['htable.get']!(['ipban', 'k']))), 404);
});

test('reload needs a dbtable (404), and a store (500)', async (t) => {
  const { rpc } = fixture();
  const e1 = await t.throwsAsync(async () => rpc['htable.reload']!(['ipban']));
  t.is(code(e1), 404);
  const h = new Htables({ tables: ['ban=>dbtable=ban;'] });
  const e2 = await t.throwsAsync(async () => createHtableRpc(h)['htable.reload']!(['acme/ban']));
  t.is(code(e2), 500, 'no store attached');
});

test('pike.top: HOT by default, WARM, ALL, named filter, bad filter is -32602', (t) => {
  const m = createPikeModule({ sampling_time_unit: 2, reqs_density_per_unit: 2 });
  try {
    for (let i = 0; i < 4; i++) m.tracker.hit('10.1.1.1');
    m.tracker.hit('2001:db8::1');
    const rpc = createPikeRpc(m.tracker);
    const ips = (r: unknown) =>
      (r as { ip: string; status: string }[]).map((e) => [e.ip, e.status]);
    t.deepEqual(ips(rpc['pike.top']!([])), [['10.1.1.1', 'HOT']]);
    t.deepEqual(ips(rpc['pike.top']!({ filter: 'all' })), [
      ['10.1.1.1', 'HOT'],
      ['2001:db8::1', 'WARM'],
    ]);
    t.is(code(t.throws(() => rpc['pike.top']!(['bogus']))), -32602);
  } finally {
    void m.stop?.();
  }
});

test('mounted on a management endpoint as bin/rpc.ts does: answers over JSON-RPC', async (t) => {
  // The built-in instances are what the app's scripts use; mount them as the composition root.
  const methods = new Map<string, RpcMethod>();
  for (const [name, fn] of Object.entries({ ...htableRpc, ...pikeRpc })) methods.set(name, fn);
  const srv = await startMgmtServer({ host: '127.0.0.1', port: 0, methods });
  const url = `http://127.0.0.1:${srv.port}/RPC`;
  try {
    // Writes go to tables that exist (a script used them, or a definition): not to typos.
    t.is(code(await t.throwsAsync(rpcCall(url, 'htable.sets', ['rpc-test/t1', 'k', 'v']))), 404);
    htableModule.htables.table('t1', 'rpc-test');
    t.is(await rpcCall(url, 'htable.sets', ['rpc-test/t1', 'k', 'v']), 'Ok');
    t.deepEqual(await rpcCall(url, 'htable.get', ['rpc-test/t1', 'k']), { name: 'k', value: 'v' });
    t.deepEqual(await rpcCall(url, 'htable.dump', { table: 't1', tenant: 'rpc-test' }), [
      { name: 'k', value: 'v', type: 'str', expires: 0 },
    ]);
    t.is(await rpcCall(url, 'htable.delete', ['rpc-test/t1', 'k']), 'Ok');
    const missing = await t.throwsAsync(rpcCall(url, 'htable.get', ['rpc-test/t1', 'k']));
    t.is(code(missing), 404);
    t.true(Array.isArray(await rpcCall(url, 'pike.top', [])));
    const bad = await t.throwsAsync(rpcCall(url, 'pike.top', ['x']));
    t.is(code(bad), -32602);
  } finally {
    await srv.close();
  }
});
