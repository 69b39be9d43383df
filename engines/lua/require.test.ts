import test from 'ava';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLuaScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from './toy-registry.ts';

const DIR = fileURLToPath(new URL('../../test/fixtures/lua/req/', import.meta.url));
const MAIN = join(DIR, 'main.lua');

function loadMain(file = MAIN) {
  return loadLuaScript<ToyCtx>({ file, registry: toyRegistry() });
}

test('require loads a sibling module once per instance', async (t) => {
  const s = await loadMain();
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['hello from helper', 'same table: true']);
  s.dispose();
});

test('require refuses anything outside the script folder, and says why', async (t) => {
  const s = await loadMain();
  const ctx = toyCtx();
  for (const name of [
    '../secret',
    '/etc/passwd',
    'sub/mod',
    'a.b',
    '..',
    'sub\\\\mod',
    'missing',
  ]) {
    t.deepEqual(await s.run('try_require', ctx, name), { kind: 'returned' });
  }
  t.deepEqual(await s.run('try_require', ctx, 'helper'), { kind: 'returned' });
  const refused = (n: string) =>
    `refused ${n}: require: module '${n}' refused: only a .lua file of the script's own folder can be required (a name without '/', '\\', '.' or '..')`;
  t.deepEqual(ctx.log.slice(0, 6), [
    refused('../secret'),
    refused('/etc/passwd'),
    refused('sub/mod'),
    refused('a.b'),
    refused('..'),
    refused('sub\\\\mod'),
  ]);
  t.is(
    ctx.log[6],
    `refused missing: require: module 'missing' not found (no file ${join(DIR, 'missing.lua')})`,
  );
  t.regex(ctx.log[7]!, /^loaded helper: table: /);
  // The modules that would have been reached never ran.
  const report = toyCtx();
  await s.run('report_globals', report);
  t.deepEqual(report.log, ['secret=nil sub=nil']);
  s.dispose();
});

test('require does not follow a symlink out of the script folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-lua-'));
  const outside = mkdtempSync(join(tmpdir(), 'polysip-lua-out-'));
  try {
    writeFileSync(join(outside, 'evil.lua'), `EVIL = true\nreturn 'evil'`);
    symlinkSync(join(outside, 'evil.lua'), join(dir, 'evil.lua'));
    writeFileSync(
      join(dir, 'main.lua'),
      `function ksr_request_route()
  local ok, e = pcall(require, 'evil')
  KSR.log(tostring(ok) .. ' ' .. tostring(e) .. ' ' .. tostring(EVIL))
end`,
    );
    const s = await loadMain(join(dir, 'main.lua'));
    const ctx = toyCtx();
    t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
    t.regex(
      ctx.log[0]!,
      /^false .*require: module 'evil' refused: it resolves outside the script's folder nil$/,
    );
    s.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test("errors inside a required module name the module's file", async (t) => {
  const s = await loadMain();
  const helperErr = await s.run('ksr_helper_fails', toyCtx());
  t.like(helperErr, {
    kind: 'error',
    message: "attempt to index a nil value (local 't')",
    where: { file: join(DIR, 'helper.lua'), line: 10 },
  });
  if (helperErr.kind === 'error')
    t.regex(helperErr.traceback, /main\.lua:20: in function 'ksr_helper_fails'/);
  t.like(await s.run('ksr_broken', toyCtx()), {
    kind: 'error',
    message: 'broken module at load',
    where: { file: join(DIR, 'broken.lua'), line: 3 },
  });
  const loop = await s.run('ksr_loop', toyCtx());
  t.like(loop, { kind: 'error', where: { file: join(DIR, 'loopb.lua'), line: 1 } });
  if (loop.kind === 'error')
    t.regex(loop.message, /require: module 'loopa' is already being loaded by this route/);
  const syntax = await s.run('ksr_syntax', toyCtx());
  t.like(syntax, { kind: 'error', where: { file: MAIN, line: 32 } });
  if (syntax.kind === 'error')
    t.regex(syntax.message, /badsyntax\.lua:2: unexpected symbol near '='/);
  s.dispose();
});
