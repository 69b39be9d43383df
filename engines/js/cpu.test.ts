import test from 'ava';
import { ScriptLoadError } from '../../core/api/script.ts';
import { loadJsScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../lua/toy-registry.ts';

const FILE = '/virtual/cpu.js';
const BUDGET_MS = 50;

// Line numbers matter: the abort location is checked.
const SOURCE = [
  'function plain() { while (true) {} }', // 1
  'function with_catch() {', // 2
  '  for (;;) { try { for (;;) {} } catch (e) {} }', // 3
  '}', // 4
  'function rec(n) { try { return rec(n + 1) } catch (e) { return rec(n + 1) } }', // 5
  'function recursion() { rec(0) }', // 6
  'function in_finally() {', // 7
  '  try { while (true) {} } finally { while (true) {} }', // 8
  '}', // 9
  'function catch_and_continue() {', // 10
  '  for (let i = 0; i < 1000; i++) {', // 11
  '    try { while (true) {} } catch (e) {}', // 12
  "    KSR.log('caught ' + i);", // 13
  '  }', // 14
  '}', // 15
  'function after_async() {', // 16
  '  KSR.t.later(1);', // 17
  '  while (true) {}', // 18
  '}', // 19
  "function quick() { KSR.log('still serving ' + KSR.t.add(1, 1)) }", // 20
  'function regex() { /(a+)+$/.test("a".repeat(40) + "b") }', // 21
  'function sorter() { const a = Array.from({ length: 1000 }, (_, i) => i); for (;;) a.sort(() => { for (;;) {} }) }', // 22
].join('\n');

async function load() {
  return loadJsScript<ToyCtx>({
    file: FILE,
    source: SOURCE,
    registry: toyRegistry(),
    entryPoints: [],
    limits: { cpuMs: BUDGET_MS },
  });
}

// [function, lines where the abort may land, time allowed in budgets]. QuickJS records source
// positions only at operations that can throw (calls, property reads…): a loop without any reports
// the line of its function. A recursion that catches its own stack overflows and recurses again
// is the exception: see the last test.
const cases: [string, number[], number][] = [
  ['plain', [1], 2],
  ['with_catch', [2, 3], 2],
  ['in_finally', [7, 8], 2],
  ['catch_and_continue', [10, 11, 12], 2],
  ['after_async', [17, 18], 2],
  ['regex', [21], 2],
  ['sorter', [22], 2],
];

// The first suspension of a process takes ~0.8 s of wall time once (under tsx; not counted in
// the budget): pay it before the timed cases.
test.before(async () => {
  const s = await load();
  await s.run('quick', toyCtx());
  await loadJsScript<ToyCtx>({
    file: FILE,
    source: 'function w() { KSR.t.later(1) }',
    registry: toyRegistry(),
    entryPoints: [],
  }).then(async (w) => {
    await w.run('w', toyCtx());
    w.dispose();
  });
  s.dispose();
});

// Serial: a runaway route blocks the event loop, so concurrent tests would skew the timings.
for (const [fn, lines, budgets] of cases) {
  test.serial(
    `CPU budget aborts ${fn} within about ${budgets}x the budget, and the instance keeps serving`,
    async (t) => {
      const s = await load();
      const ctx = toyCtx();
      const t0 = performance.now();
      const out = await s.run(fn, ctx);
      const elapsed = performance.now() - t0;
      t.like(out, { kind: 'aborted', reason: 'cpu', where: { file: FILE } });
      const line = out.kind === 'aborted' ? out.where.line : null;
      t.true(line !== null && lines.includes(line), `aborted at line ${String(line)}`);
      t.true(elapsed < BUDGET_MS * budgets + 30, `took ${elapsed.toFixed(1)} ms`);
      t.false(
        ctx.log.some((l) => l.startsWith('caught')),
        'a catch swallowed the abort',
      );
      const next = toyCtx();
      t.deepEqual(await s.run('quick', next), { kind: 'returned' });
      t.deepEqual(next.log, ['still serving 2']);
      s.dispose();
    },
  );
}

test.serial(
  'the budget counts CPU time, not time spent waiting for an async KSR call',
  async (t) => {
    const s = await loadJsScript<ToyCtx>({
      file: FILE,
      source: `function route() {
      for (let i = 0; i < 20; i++) {
        const end = Date.now() + 5;
        while (Date.now() < end) {}
        KSR.t.later(i);
      }
      KSR.log('done');
    }`,
      registry: toyRegistry(),
      entryPoints: [],
      limits: { cpuMs: 500 },
    });
    const ctx = toyCtx();
    // ~100 ms of CPU in total, far below 500 ms; the waits in between are not counted.
    t.deepEqual(await s.run('route', ctx), { kind: 'returned' });
    t.deepEqual(ctx.log, ['done']);
    s.dispose();
  },
);

// Each tick of this recursion throws a stack overflow 200 frames deep (~0.5 ms for the backtrace):
// with QuickJS's fixed 10,000 ticks between interrupt checks the abort landed 1.6-6.6 s late.
// The realm now sets the distance to the next check itself (realm.ts, FIRST_CHECK_TICKS).
test.serial(
  'a recursion that catches its own stack overflows is aborted within about 2x the budget',
  async (t) => {
    const s = await load();
    const t0 = performance.now();
    const out = await s.run('recursion', toyCtx());
    const elapsed = performance.now() - t0;
    t.true(out.kind === 'aborted' || out.kind === 'error', JSON.stringify(out));
    t.true(elapsed < BUDGET_MS * 2 + 60, `took ${elapsed.toFixed(0)} ms`);
    t.log(`${out.kind} after ${elapsed.toFixed(0)} ms for a ${BUDGET_MS} ms budget`);
    const next = toyCtx();
    t.deepEqual(await s.run('quick', next), { kind: 'returned' });
    t.deepEqual(next.log, ['still serving 2']);
    s.dispose();
  },
);

test.serial('a runaway top-level code is refused at load', async (t) => {
  const e = await t.throwsAsync(
    loadJsScript<ToyCtx>({
      file: FILE,
      source: 'let x = 0;\nwhile (true) { x++ }',
      registry: toyRegistry(),
      entryPoints: [],
      limits: { cpuMs: 10 },
    }),
    { instanceOf: ScriptLoadError },
  );
  t.is(e?.where.file, FILE);
  t.true(e?.where.line === 1 || e?.where.line === 2);
  t.regex(e?.message ?? '', /CPU budget exceeded/);
});
