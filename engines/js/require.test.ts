import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJsScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../lua/toy-registry.ts';

const DIR = fileURLToPath(new URL('../../test/fixtures/js/req/', import.meta.url));
const MAIN = join(DIR, 'main.js');

function loadMain(file = MAIN) {
  return loadJsScript<ToyCtx>({ file, registry: toyRegistry() });
}

test('require loads a sibling module once per instance', async (t) => {
  const s = await loadMain();
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['hello from helper', 'same object: true true']);
  s.dispose();
});

test('require refuses anything outside the script folder, and says why', async (t) => {
  const s = await loadMain();
  const ctx = toyCtx();
  const refused = [
    '../secret',
    '/etc/passwd',
    'sub/mod',
    './sub/mod',
    'a.b',
    '..',
    'sub\\mod',
    'node:fs',
    'helper.mjs',
    '',
  ];
  for (const name of [...refused, 'missing', 'helper']) {
    t.deepEqual(await s.run('try_require', ctx, name), { kind: 'returned' });
  }
  const why = (n: string) =>
    `refused ${n}: require: module '${n}' refused: only a .js file of the script's own folder can be required (a name without '/', '\\', '..' or another extension)`;
  t.deepEqual(ctx.log.slice(0, refused.length), refused.map(why));
  t.is(
    ctx.log[refused.length],
    `refused missing: require: module 'missing' not found (no file ${join(DIR, 'missing.js')})`,
  );
  t.is(ctx.log[refused.length + 1], 'loaded helper: object');
  const report = toyCtx();
  await s.run('report_globals', report);
  t.deepEqual(report.log, ['secret=undefined sub=undefined dotted=undefined']);
  s.dispose();
});

test('require does not follow a symlink out of the script folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-js-'));
  const outside = mkdtempSync(join(tmpdir(), 'polysip-js-out-'));
  try {
    writeFileSync(join(outside, 'evil.js'), `globalThis.EVIL = true; module.exports = 'evil';`);
    symlinkSync(join(outside, 'evil.js'), join(dir, 'evil.js'));
    writeFileSync(
      join(dir, 'main.js'),
      `function ksr_request_route() {
  try { require('evil'); KSR.log('loaded') } catch (e) { KSR.log(e.message + ' ' + globalThis.EVIL) }
}`,
    );
    const s = await loadMain(join(dir, 'main.js'));
    const ctx = toyCtx();
    t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
    t.deepEqual(ctx.log, [
      "require: module 'evil' refused: it resolves outside the script's folder undefined",
    ]);
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
    message: "TypeError: cannot read property 'field' of null",
    where: { file: join(DIR, 'helper.js'), line: 10 },
  });
  const callLine = readFileSync(MAIN, 'utf8').split('\n').indexOf('  helper.fail();') + 1;
  if (helperErr.kind === 'error') {
    t.true(
      helperErr.traceback.includes(`at ksr_helper_fails (${MAIN}:${callLine}:`),
      helperErr.traceback,
    );
  }
  t.like(await s.run('ksr_broken', toyCtx()), {
    kind: 'error',
    message: 'broken module at load',
    where: { file: join(DIR, 'broken.js'), line: 3 },
  });
  // A failed module is not cached: requiring it again runs it again.
  t.like(await s.run('ksr_broken', toyCtx()), { kind: 'error', message: 'broken module at load' });
  s.dispose();
});

test('a require cycle sees the partial exports, as in CommonJS', async (t) => {
  const s = await loadMain();
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_loop', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['a sees b, b saw {"name":"a"}']);
  s.dispose();
});

// Generated, not a fixture: a file with a syntax error would break `prettier --check .`.
test("a syntax error in a required module names the module's file:line", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-js-'));
  try {
    writeFileSync(join(dir, 'badsyntax.js'), '// A syntax error on line 2.\nlet x = = 1;\n');
    writeFileSync(
      join(dir, 'main.js'),
      `function ksr_request_route() {\n  require('badsyntax');\n}\n`,
    );
    const s = await loadMain(join(dir, 'main.js'));
    const out = await s.run('ksr_request_route', toyCtx());
    t.like(out, { kind: 'error', where: { file: join(dir, 'badsyntax.js'), line: 2 } });
    if (out.kind === 'error') t.regex(out.message, /^SyntaxError: /);
    s.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
