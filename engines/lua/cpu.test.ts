import test from 'ava';
import { ScriptLoadError } from '../../core/api/script.ts';
import { loadLuaScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from './toy-registry.ts';

const FILE = '/virtual/cpu.lua';
const BUDGET_MS = 50;

// Line numbers matter: the abort location is checked.
const SOURCE = [
  'function plain() while true do end end', // 1
  'function with_pcall()', // 2
  '  while true do pcall(function() for i = 1, 100 do end end) end', // 3
  'end', // 4
  'local function rec(n) pcall(rec, n + 1); return rec(n + 1) end', // 5
  'function recursion() rec(0) end', // 6
  'function xp_loop_handler()', // 7
  "  xpcall(function() error('x') end, function(e) while true do end end)", // 8
  'end', // 9
  'function xp_loop_body()', // 10
  '  xpcall(function() while true do end end, function(e) while true do end end)', // 11
  'end', // 12
  'function catch_and_continue()', // 13
  '  for i = 1, 1000 do', // 14
  '    local ok = pcall(function() while true do end end)', // 15
  "    KSR.log('caught ' .. i)", // 16
  '  end', // 17
  'end', // 18
  'local saved = coroutine.create(function() while true do coroutine.yield() end end)', // 19
  'function old_coroutine()', // 20
  '  while true do coroutine.resume(saved) end', // 21
  'end', // 22
  'function after_async()', // 23
  '  KSR.t.later(1)', // 24
  '  while true do end', // 25
  'end', // 26
  'function quick() KSR.log("still serving " .. KSR.t.add(1, 1)) end', // 27
  // Regression: fengari turned the hook off for good after a pcall caught an error.
  "function after_caught_error() pcall(error, 'x'); while true do end end", // 28
].join('\n');

async function load() {
  return loadLuaScript<ToyCtx>({
    file: FILE,
    source: SOURCE,
    registry: toyRegistry(),
    entryPoints: [],
    limits: { cpuMs: BUDGET_MS },
  });
}

// [function, lines where the abort may land, time allowed in budgets]. Unwinding ~200 nested
// pcalls is slow in fengari (stack shrinking on every caught error), hence the wider bound.
const cases: [string, number[], number][] = [
  ['plain', [1], 2],
  ['with_pcall', [3], 2],
  ['recursion', [5], 4],
  ['xp_loop_handler', [8], 2],
  ['xp_loop_body', [11], 2],
  ['catch_and_continue', [15], 2],
  ['old_coroutine', [19, 21], 2],
  ['after_async', [25], 2],
  ['after_caught_error', [28], 2],
];

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
      t.true(elapsed < BUDGET_MS * budgets + 30, `took ${elapsed.toFixed(1)} ms of CPU`);
      t.false(
        ctx.log.some((l) => l.startsWith('caught')),
        'a pcall swallowed the abort',
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
    const s = await loadLuaScript<ToyCtx>({
      file: FILE,
      source: `function route()
      local n = 0
      for i = 1, 20 do
        local deadline = os.clock() + 0.005
        while os.clock() < deadline do n = n + 1 end
        KSR.t.later(i)
      end
      KSR.log('done')
    end`,
      registry: toyRegistry(),
      entryPoints: [],
      limits: { cpuMs: 500 },
    });
    const ctx = toyCtx();
    // ~100 ms of CPU in total, far below 500 ms; each wait in between is not counted.
    t.deepEqual(await s.run('route', ctx), { kind: 'returned' });
    t.deepEqual(ctx.log, ['done']);
    s.dispose();
  },
);

test.serial('a runaway top-level chunk is refused at load', async (t) => {
  const e = await t.throwsAsync(
    loadLuaScript<ToyCtx>({
      file: FILE,
      source: 'local x = 0\nwhile true do x = x + 1 end',
      registry: toyRegistry(),
      entryPoints: [],
      limits: { cpuMs: 10 },
    }),
    { instanceOf: ScriptLoadError },
  );
  t.deepEqual(e?.where, { file: FILE, line: 2 });
  t.regex(e?.message ?? '', /CPU budget exceeded/);
});
