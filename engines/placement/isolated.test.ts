import test from 'ava';

// Serial: each test starts workers, and the CPU watchdog measures wall time.
import { ScriptLoadError } from '../../core/api/script.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../lua/toy-registry.ts';
import { IsolatedScript, loadIsolatedScript } from './isolated.ts';

const LUA = `
function ksr_request_route()
  KSR.log('add=' .. KSR.t.add(2, 3) .. ' later=' .. KSR.t.later(4) .. ' id=' .. KSR.t.ctxid())
  KSR.log('echo=' .. tostring(KSR.t.echo('unset')) .. ' flag=' .. tostring(KSR.t.flag()))
end
function boom() local ok, e = pcall(KSR.t.boom); KSR.log(tostring(e)); KSR.t.boom() end
function stop() pcall(KSR.t.stop); KSR.log('not reached') end
function drop_later() KSR.t.later_drop(); KSR.log('not reached') end
function fail_later() local ok, e = pcall(KSR.t.later_fail); KSR.log(tostring(e)) end
function spin() while true do end end
function pattern() return string.find(string.rep('a', 26), string.rep('a?', 26) .. string.rep('a', 26) .. 'b') end
function bomb() local t = {} local i = 0 while true do i = i + 1 t[i] = {i, i, i, i} end end
`;

const JS = `
function ksr_request_route() {
  KSR.log('add=' + KSR.t.add(2, 3) + ' later=' + KSR.t.later(4) + ' id=' + KSR.t.ctxid());
  KSR.log('echo=' + KSR.t.echo('unset') + ' flag=' + KSR.t.flag());
}
function boom() { try { KSR.t.boom(); } catch (e) { KSR.log(String(e.message)); } KSR.t.boom(); }
function stop() { try { KSR.t.stop(); } catch (e) {} KSR.log('not reached'); }
function drop_later() { KSR.t.later_drop(); KSR.log('not reached'); }
function fail_later() { try { KSR.t.later_fail(); } catch (e) { KSR.log(String(e.message)); } }
function spin() { for (;;) {} }
function pattern() { return /^(a+)+$/.test('a'.repeat(34) + 'b'); }
`;

async function load(engine: 'lua' | 'js', cpuMs = 100, memoryBytes = 64 << 20) {
  return (await loadIsolatedScript<ToyCtx>({
    file: engine === 'lua' ? '/virtual/iso.lua' : '/virtual/iso.js',
    source: engine === 'lua' ? LUA : JS,
    registry: toyRegistry(),
    engine,
    limits: { cpuMs, memoryBytes },
  })) as IsolatedScript<ToyCtx>;
}

for (const engine of ['lua', 'js'] as const) {
  test.serial(`${engine}: KSR calls cross to the main thread with the route's ctx`, async (t) => {
    const s = await load(engine);
    t.true(s.hasFunction('ksr_request_route'));
    t.true(s.hasFunction('boom'));
    t.false(s.hasFunction('nothing_here'));
    const ctx = toyCtx(7);
    t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
    t.deepEqual(ctx.log, [
      'add=5 later=11 id=7',
      `echo=${engine === 'lua' ? 'nil' : 'null'} flag=true`,
    ]);
    t.deepEqual(await s.run('nothing_here', toyCtx()), { kind: 'missing', name: 'nothing_here' });
    s.dispose();
  });

  test.serial(`${engine}: host failures come back as the same kind of failure`, async (t) => {
    const s = await load(engine);
    const c1 = toyCtx();
    const out = await s.run('boom', c1);
    t.is(out.kind, 'error');
    if (out.kind === 'error') t.regex(out.message, /KSR\.t\.boom: kaboom/);
    t.regex(c1.log[0] ?? '', /KSR\.t\.boom: kaboom/);
    const c2 = toyCtx();
    t.deepEqual(await s.run('stop', c2), { kind: 'exit', drop: false });
    t.deepEqual(c2.log, []);
    const c3 = toyCtx();
    t.deepEqual(await s.run('drop_later', c3), { kind: 'exit', drop: true });
    t.deepEqual(c3.log, []);
    const c4 = toyCtx();
    t.deepEqual(await s.run('fail_later', c4), { kind: 'returned' });
    t.regex(c4.log[0] ?? '', /async failure/);
    s.dispose();
  });

  test.serial(
    `${engine}: routes suspended on async KSR calls run concurrently, each with its ctx`,
    async (t) => {
      const s = await load(engine);
      const ctxs = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => toyCtx(id));
      const outs = await Promise.all(ctxs.map((c) => s.run('ksr_request_route', c)));
      t.true(outs.every((o) => o.kind === 'returned'));
      for (const c of ctxs) t.is(c.log[0], `add=5 later=${4 + c.id} id=${c.id}`);
      s.dispose();
    },
  );

  test.serial(
    `${engine}: a route that cannot be interrupted in the worker ends with the worker`,
    async (t) => {
      const s = await load(engine, 100);
      t.is(s.spawns, 1);
      const t0 = performance.now();
      const [stuck, queued] = await Promise.all([
        s.run('pattern', toyCtx()),
        s.run('ksr_request_route', toyCtx(3)),
      ]);
      const ms = performance.now() - t0;
      t.like(stuck, { kind: 'aborted', reason: 'cpu' });
      // The route behind it was never started by the old worker: it runs on the new one.
      t.is(queued.kind, 'returned');
      t.true(ms < 5000, `took ${ms} ms`);
      if (engine === 'lua') t.is(s.spawns, 2, 'the worker was terminated and respawned');
      const spin = await s.run('spin', toyCtx());
      t.like(spin, { kind: 'aborted', reason: 'cpu' });
      const ctx = toyCtx(9);
      t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
      t.is(ctx.log[0], 'add=5 later=13 id=9');
      s.dispose();
    },
  );
}

test.serial('lua: a memory bomb kills only its worker, which is replaced', async (t) => {
  // A CPU budget long enough that memory runs out first.
  const s = await load('lua', 60_000, 16 << 20);
  const ctx = toyCtx();
  const out = await s.run('bomb', ctx);
  t.like(out, { kind: 'aborted', reason: 'memory' });
  t.is(s.spawns, 2);
  const ok = toyCtx(2);
  t.deepEqual(await s.run('ksr_request_route', ok), { kind: 'returned' });
  t.is(ok.log[0], 'add=5 later=6 id=2');
  s.dispose();
});

test.serial('load errors are ScriptLoadErrors with the script location', async (t) => {
  const e = await t.throwsAsync(
    loadIsolatedScript({
      file: '/virtual/bad.lua',
      source: 'function ksr_request_route()\n  x = = 1\nend',
      registry: toyRegistry(),
      engine: 'lua',
    }),
    { instanceOf: ScriptLoadError },
  );
  t.regex(e!.message, /^\/virtual\/bad\.lua:2: /);
  const missing = await t.throwsAsync(
    loadIsolatedScript({
      file: '/virtual/none.js',
      source: 'function other() {}',
      registry: toyRegistry(),
      engine: 'js',
    }),
    { instanceOf: ScriptLoadError },
  );
  t.regex(missing!.message, /ksr_request_route/);
});

test.serial('a top-level chunk that cannot be stopped is refused', async (t) => {
  const e = await t.throwsAsync(
    loadIsolatedScript({
      file: '/virtual/top.lua',
      source: `string.find(string.rep('a', 30), string.rep('a?', 30) .. string.rep('a', 30) .. 'b')
function ksr_request_route() end`,
      registry: toyRegistry(),
      engine: 'lua',
      limits: { cpuMs: 10 },
    }),
    { instanceOf: ScriptLoadError },
  );
  t.regex(e!.message, /CPU budget/);
});

test.serial('dispose answers routes in progress and refuses new ones', async (t) => {
  const s = await load('lua');
  const p = s.run('spin', toyCtx());
  s.dispose();
  t.like(await p, { kind: 'error' });
  t.like(await s.run('ksr_request_route', toyCtx()), { kind: 'error' });
  t.false(s.hasFunction('ksr_request_route'));
});

// Regression: a QuickJS worker used to stall right after loading (see the keep-alive timer in
// worker.ts) and was ended by the watchdog over and over, so its first route never ran.
test.serial('js: an isolated QuickJS instance serves its first route at once', async (t) => {
  const s = await load('js');
  const ctx = toyCtx(7);
  const t0 = performance.now();
  const out = await s.run('ksr_request_route', ctx);
  const ms = performance.now() - t0;
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(ctx.log, ['add=5 later=11 id=7', 'echo=null flag=true']);
  t.is(s.spawns, 1, 'the worker was not replaced');
  t.true(ms < 1000, `first route took ${ms} ms`);
  s.dispose();
});
