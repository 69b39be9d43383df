import test from 'ava';
import { loadJsScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../lua/toy-registry.ts';

const FILE = '/virtual/attack.js';

/**
 * Runs each attack in a try/catch inside a route and returns what it recorded: 'ALLOWED: …' when
 * the attack ran to completion (its value), otherwise the error the script got.
 */
async function attempt(attacks: Record<string, string>): Promise<Record<string, string>> {
  const names = Object.keys(attacks);
  const fns = names.map((n) => `ATTACKS.push(function () {\n${attacks[n]}\n});`).join('\n');
  const source = `
const ATTACKS = [];
${fns}
function route() {
  for (const f of ATTACKS) {
    try { KSR.log('ALLOWED: ' + String(f())) } catch (e) { KSR.log(String(e)) }
  }
}`;
  const s = await loadJsScript<ToyCtx>({
    file: FILE,
    source,
    registry: toyRegistry(),
    entryPoints: ['route'],
  });
  const ctx = toyCtx();
  const out = await s.run('route', ctx);
  s.dispose();
  if (out.kind !== 'returned') throw new Error(JSON.stringify(out));
  return Object.fromEntries(names.map((n, i) => [n, ctx.log[i] ?? '(nothing recorded)']));
}

test('only ECMAScript globals: no process, Node require, import, timers or fetch', async (t) => {
  const got = await attempt({
    process: `return process.env.HOME`,
    globalProcess: `return globalThis.process`,
    requireFs: `return require('fs').readFileSync('/etc/passwd', 'utf8')`,
    requireChild: `return require('child_process')`,
    requireNodeFs: `return require('node:fs')`,
    importFs: `return import('fs')`,
    setTimeout: `return setTimeout(() => 1, 1)`,
    fetch: `return fetch('http://127.0.0.1/')`,
    std: `return typeof std + typeof os + typeof scriptArgs + typeof Deno + typeof Bun`,
  });
  t.regex(got.process!, /ReferenceError: 'process' is not defined/);
  t.is(got.globalProcess, 'ALLOWED: undefined');
  t.regex(got.requireFs!, /require: module 'fs' not found/);
  t.regex(got.requireChild!, /require: module 'child_process' not found/);
  t.regex(got.requireNodeFs!, /require: module 'node:fs' refused/);
  // import() is refused synchronously or hands back a rejected promise: never a module.
  t.true(
    /not supported|could not load|SyntaxError|TypeError/.test(got.importFs!) ||
      got.importFs === 'ALLOWED: [object Promise]',
    got.importFs,
  );
  t.regex(got.setTimeout!, /ReferenceError: 'setTimeout' is not defined/);
  t.regex(got.fetch!, /ReferenceError: 'fetch' is not defined/);
  t.is(got.std, 'ALLOWED: undefinedundefinedundefinedundefinedundefined');
});

test('a rejected dynamic import never reaches a host module', async (t) => {
  const s = await loadJsScript<ToyCtx>({
    file: FILE,
    source: `let result = 'pending';
      function start() { import('fs').then((m) => { result = 'loaded ' + typeof m.readFileSync }, (e) => { result = String(e) }) }
      function report() { KSR.log(result) }`,
    registry: toyRegistry(),
    entryPoints: [],
  });
  t.deepEqual(await s.run('start', toyCtx()), { kind: 'returned' });
  const ctx = toyCtx();
  await s.run('report', ctx);
  t.false(ctx.log[0]!.startsWith('loaded'), ctx.log[0]);
  s.dispose();
});

test('constructors of globals, host functions and host errors stay inside the guest', async (t) => {
  const got = await attempt({
    functionCtor: `return globalThis.constructor.constructor('return typeof process')()`,
    functionCtorProcess: `return globalThis.constructor.constructor('return process')()`,
    hostFnCtor: `return KSR.t.add.constructor('return typeof process + typeof require.resolve')()`,
    exitFnCtor: `return KSR.x.exit.constructor('return this === globalThis')()`,
    hostErrorCtor: `try { KSR.t.boom() } catch (e) { return e.constructor.constructor('return typeof process')() }`,
    hostArgErrorCtor: `try { KSR.t.add('x', 1) } catch (e) { return e.constructor.constructor.constructor('return process')() }`,
    asyncErrorCtor: `try { KSR.t.later_fail() } catch (e) { return e.constructor.constructor('return typeof process')() }`,
    protoChain: `return Object.getPrototypeOf(KSR.t.add) === Function.prototype`,
    evalProcess: `return eval('typeof process + typeof require.cache')`,
    indirectEval: `return (0, eval)('this.process')`,
    fnToString: `return String(KSR.t.add).includes('native') || String(KSR.t.add).length`,
  });
  t.is(got.functionCtor, 'ALLOWED: undefined');
  t.regex(got.functionCtorProcess!, /ReferenceError: 'process' is not defined/);
  t.is(got.hostFnCtor, 'ALLOWED: undefinedundefined');
  t.is(got.exitFnCtor, 'ALLOWED: true');
  t.is(got.hostErrorCtor, 'ALLOWED: undefined');
  t.regex(got.hostArgErrorCtor!, /ReferenceError: 'process' is not defined/);
  t.is(got.asyncErrorCtor, 'ALLOWED: undefined');
  t.is(got.protoChain, 'ALLOWED: true');
  t.is(got.evalProcess, 'ALLOWED: undefinedundefined');
  t.is(got.indirectEval, 'ALLOWED: undefined');
  t.regex(got.fnToString!, /^ALLOWED: /);
});

test('two instances share no globals: prototype poisoning stays in its own instance', async (t) => {
  const evil = await loadJsScript<ToyCtx>({
    file: '/virtual/evil.js',
    source: `
      Function.prototype.call = function () { return 'poisoned' };
      Array.prototype.join = function () { return 'poisoned' };
      Object.prototype.polluted = 'yes';
      String.prototype.toString = function () { return 'poisoned' };
      globalThis.shared = 'evil';
      function route() { KSR.log([1, 2].join(',')) }`,
    registry: toyRegistry(),
    entryPoints: ['route'],
  });
  const victim = await loadJsScript<ToyCtx>({
    file: '/virtual/victim.js',
    source: `function route() { KSR.log([1, 2].join(',') + ' ' + ({}).polluted + ' ' + typeof shared + ' ' + (function () { return 'ok' }).call()) }`,
    registry: toyRegistry(),
    entryPoints: ['route'],
  });
  const a = toyCtx();
  const b = toyCtx();
  t.deepEqual(await evil.run('route', a), { kind: 'returned' });
  t.deepEqual(await victim.run('route', b), { kind: 'returned' });
  t.deepEqual(a.log, ['poisoned']);
  t.deepEqual(b.log, ['1,2 undefined undefined ok']);
  evil.dispose();
  victim.dispose();
});

test('a memory bomb is aborted, the process survives and the instance is rebuilt', async (t) => {
  const s = await loadJsScript<ToyCtx>({
    file: FILE,
    source: [
      'var kept = [];', // 1
      'var runs = 0;', // 2
      "function bomb() { runs++; for (let i = 0; ; i++) kept.push({ i, s: 'k' + i }) }", // 3
      "function arrays() { const a = []; for (let i = 0; ; i++) a.push([i, 'v' + i]) }", // 4
      "function state() { runs++; KSR.log('runs=' + runs + ' kept=' + kept.length) }", // 5
    ].join('\n'),
    registry: toyRegistry(),
    entryPoints: [],
    limits: { memoryBytes: 8 << 20, cpuMs: 10_000 },
  });
  const before = toyCtx();
  await s.run('state', before);
  t.deepEqual(before.log, ['runs=1 kept=0']);
  const out = await s.run('bomb', toyCtx());
  t.like(out, { kind: 'aborted', reason: 'memory', where: { file: FILE, line: 3 } });
  t.is((s as unknown as { rebuilds: number }).rebuilds, 1);
  // The instance serves again, from a fresh evaluation of the script (globals reset).
  const after = toyCtx();
  t.deepEqual(await s.run('state', after), { kind: 'returned' });
  t.deepEqual(after.log, ['runs=1 kept=0']);
  t.like(await s.run('arrays', toyCtx()), { kind: 'aborted', reason: 'memory' });
  const again = toyCtx();
  t.deepEqual(await s.run('state', again), { kind: 'returned' });
  t.deepEqual(again.log, ['runs=1 kept=0']);
  s.dispose();
});

test('a memory bomb in one instance does not disturb another', async (t) => {
  const other = await loadJsScript<ToyCtx>({
    file: '/virtual/other.js',
    source: `const big = 'y'.repeat(1000); function route() { KSR.log(String(big.length)) }`,
    registry: toyRegistry(),
    entryPoints: ['route'],
  });
  const bomb = await loadJsScript<ToyCtx>({
    file: FILE,
    source: `function route() { const a = []; for (let i = 0; ; i++) a.push({ i, s: 'k' + i }) }`,
    registry: toyRegistry(),
    entryPoints: ['route'],
    limits: { memoryBytes: 8 << 20, cpuMs: 10_000 },
  });
  t.like(await bomb.run('route', toyCtx()), { kind: 'aborted', reason: 'memory' });
  const ctx = toyCtx();
  t.deepEqual(await other.run('route', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['1000']);
  bomb.dispose();
  other.dispose();
});

test('deep recursion is an error outcome, not a crash', async (t) => {
  const s = await loadJsScript<ToyCtx>({
    file: FILE,
    source: [
      'function rec(n) { return rec(n + 1) + 1 }', // 1
      'function route() { rec(0) }', // 2
      'function nested() { let a = []; for (let i = 0; i < 1e4; i++) a = [a]; return JSON.stringify(a).length }', // 3
      'function proxy() { const p = new Proxy({}, { get(o, k) { return p[k] } }); return p.x }', // 4
      'function getter() { const o = { get x() { return this.x } }; return o.x }', // 5
      "function regexp() { return new RegExp('('.repeat(5000) + ')'.repeat(5000)).test('') }", // 6
      'function tostr() { const o = {}; o.toString = function () { return String(this) }; return String(o) }', // 7
      "function ok() { KSR.log('fine') }", // 8
    ].join('\n'),
    registry: toyRegistry(),
    entryPoints: [],
  });
  for (const fn of ['route', 'nested', 'proxy', 'getter', 'regexp', 'tostr']) {
    const out = await s.run(fn, toyCtx());
    t.is(out.kind, 'error', fn);
    if (out.kind === 'error')
      t.regex(out.message, /stack overflow|too many|Maximum call stack/, fn);
  }
  const ctx = toyCtx();
  t.deepEqual(await s.run('ok', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['fine']);
  s.dispose();
});

test('deep recursion in a secondary module (a route is suspended) is an error, then serving resumes', async (t) => {
  const s = await loadJsScript<ToyCtx>({
    file: FILE,
    source: [
      'var loaded = (globalThis.loaded ?? 0) + 1;',
      'function wait() { KSR.t.later(1); KSR.log("waited") }',
      'function rec(n) { return rec(n + 1) + 1 }',
      'function deep() { rec(0) }',
      "function ok() { KSR.log('fine') }",
    ].join('\n'),
    registry: toyRegistry(),
    entryPoints: [],
  });
  const waiting = toyCtx();
  const pending = s.run('wait', waiting); // holds the first module
  const out = await s.run('deep', toyCtx());
  t.is(out.kind, 'error');
  if (out.kind === 'error') t.regex(out.message, /stack overflow|Maximum call stack/);
  t.deepEqual(await pending, { kind: 'returned' });
  t.deepEqual(waiting.log, ['waited']);
  for (let i = 0; i < 3; i++) {
    const ctx = toyCtx();
    t.deepEqual(await s.run('ok', ctx), { kind: 'returned' });
    t.deepEqual(ctx.log, ['fine']);
  }
  s.dispose();
});
