import test from 'ava';
import { ScriptLoadError, type ScriptInstance } from '../../core/api/script.ts';
import { loadPythonScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../lua/toy-registry.ts';

const FILE = '/virtual/cpu.py';
const BUDGET_MS = 50;

// Line numbers matter: the abort location is checked.
const SOURCE = [
  'import KSR', // 1
  'def plain():', // 2
  '    while True: pass', // 3
  'def swallow():', // 4
  '    while True:', // 5
  '        try:', // 6
  '            while True: pass', // 7
  '        except BaseException:', // 8
  '            pass', // 9
  'def after_async():', // 10
  '    KSR.t.later(1)', // 11
  '    while True: pass', // 12
  'def quick():', // 13
  '    KSR.log("still serving " + str(KSR.t.add(1, 1)))', // 14
  'def waits():', // 15
  '    n = 0', // 16
  '    for i in range(20):', // 17
  '        KSR.t.later(i)', // 18
  '    KSR.log("done")', // 19
  'BIG = []', // 20
  'def grow():', // 21
  '    BIG.append(bytearray(80 << 20))', // 22
].join('\n');

let s: ScriptInstance<ToyCtx>;

test.before(async () => {
  s = await loadPythonScript<ToyCtx>({
    file: FILE,
    source: SOURCE,
    registry: toyRegistry(),
    entryPoints: [],
    limits: { cpuMs: BUDGET_MS },
  });
});

test.after.always(() => s?.dispose());

async function stillServing(t: { deepEqual: (a: unknown, b: unknown) => void }) {
  const next = toyCtx();
  t.deepEqual(await s.run('quick', next), { kind: 'returned' });
  t.deepEqual(next.log, ['still serving 2']);
}

test.serial('a plain loop is interrupted at its line; the instance keeps serving', async (t) => {
  const t0 = performance.now();
  const out = await s.run('plain', toyCtx());
  const elapsed = performance.now() - t0;
  t.deepEqual(out, { kind: 'aborted', reason: 'cpu', where: { file: FILE, line: 3 } });
  // Wall time, measured while other test files start Pyodide workers on the same cores.
  t.true(elapsed < BUDGET_MS * 2 + 500, `took ${elapsed.toFixed(1)} ms`);
  await stillServing(t);
});

test.serial('a loop after an async call is interrupted too', async (t) => {
  const out = await s.run('after_async', toyCtx());
  t.deepEqual(out, { kind: 'aborted', reason: 'cpu', where: { file: FILE, line: 12 } });
  await stillServing(t);
});

test.serial('except BaseException in a loop: the worker is terminated and respawned', async (t) => {
  const t0 = performance.now();
  const queued = s.run('quick', toyCtx(3));
  const out = await s.run('swallow', toyCtx());
  t.like(out, { kind: 'aborted', reason: 'cpu', where: { file: FILE } });
  t.true(performance.now() - t0 < BUDGET_MS * 2 + 700);
  t.deepEqual(await queued, { kind: 'returned' }, 'a route queued before runs first');
  // Routes sent during the respawn wait for the new worker.
  await stillServing(t);
});

test.serial('the budget counts Python time, not time waiting for async KSR calls', async (t) => {
  const ctx = toyCtx();
  t.deepEqual(await s.run('waits', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['done']);
});

test.serial(
  'the budget does not count the SIP thread being busy before it picks a KSR call up',
  async (t) => {
    const ctx = toyCtx();
    const route = s.run('quick', ctx);
    // The worker starts the route and blocks in its first KSR call while this thread is held
    // for 4 budgets: that wait is the host's, not the guest's.
    const until = performance.now() + BUDGET_MS * 4;
    while (performance.now() < until) {
      // busy SIP thread
    }
    t.deepEqual(await route, { kind: 'returned' });
    t.deepEqual(ctx.log, ['still serving 2']);
  },
);

test.serial('wasm memory above the limit recycles the worker', async (t) => {
  // Growing wasm memory by 80 MB takes longer than 50 ms: a wider CPU budget here.
  const m = await loadPythonScript<ToyCtx>({
    file: FILE,
    source: SOURCE,
    registry: toyRegistry(),
    entryPoints: [],
    limits: { cpuMs: 5000, memoryBytes: 96 << 20 },
  });
  const heap = () => (m as unknown as { heapBytes: number }).heapBytes;
  t.true(heap() < 96 << 20);
  t.like(await m.run('grow', toyCtx()), { kind: 'aborted', reason: 'memory' });
  const next = toyCtx();
  t.deepEqual(await m.run('quick', next), { kind: 'returned' });
  t.deepEqual(next.log, ['still serving 2']);
  t.true(heap() < 96 << 20, `heap ${heap()}`);
  m.dispose();
});

test.serial('a runaway top level is refused at load', async (t) => {
  const e = await t.throwsAsync(
    loadPythonScript<ToyCtx>({
      file: FILE,
      source: 'x = 0\nwhile True:\n    x += 1\n',
      registry: toyRegistry(),
      entryPoints: [],
      limits: { cpuMs: 10 },
    }),
    { instanceOf: ScriptLoadError },
  );
  t.regex(e?.message ?? '', /CPU budget exceeded/);
  t.true(e?.where.line === 2 || e?.where.line === 3);
});
