import test from 'ava';
import { ScriptLoadError, type RouteOutcome } from '../../core/api/script.ts';
import { loadJsScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../lua/toy-registry.ts';

const FILE = '/virtual/route.js';

async function load(source: string, entryPoints: string[] = []) {
  return loadJsScript<ToyCtx>({ file: FILE, source, registry: toyRegistry(), entryPoints });
}

/** Runs `body` as the route (its first line is line 2 of the file) and returns ctx.log. */
async function logOf(body: string): Promise<{ out: RouteOutcome; log: string[] }> {
  const s = await load(`function route() {\n${body}\n}`);
  const ctx = toyCtx();
  const out = await s.run('route', ctx);
  s.dispose();
  return { out, log: ctx.log };
}

test('KSR return kinds keep their KEMI types', async (t) => {
  const { out, log } = await logOf(`
    KSR.log(typeof KSR.t.add(1, 2) + ' ' + Number.isInteger(KSR.t.add(1, 2)) + ' ' + (KSR.t.add(1, 2) === 3));
    KSR.log(typeof KSR.t.flag() + ' ' + KSR.t.flag());
    KSR.log(typeof KSR.t.neg() + ' ' + KSR.t.neg());
    KSR.log(String(KSR.t.echo('unset') === null));
    KSR.log(KSR.t.echo('abc'));
    KSR.log(String(KSR.t.nothing() === false));
    KSR.log(typeof KSR.log('x'));
  `);
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, [
    'number true true',
    'boolean true',
    'number -1',
    'true',
    'abc',
    'true',
    'x',
    'boolean',
  ]);
});

test('arguments are coerced as in the Lua engine', async (t) => {
  const { out, log } = await logOf(`
    KSR.log(KSR.t.typeof(5, '7'));
    KSR.log(KSR.t.typeof(1.5, ' 0x10 '));
    KSR.log(KSR.t.typeof('s', 3.0));
    KSR.log(KSR.t.typeof('s', true));
    KSR.log(KSR.t.typeof('s', 5n));
    KSR.log(String(KSR.t.add('5', 1)));
    KSR.log(String(KSR.t.add(1, 2, 'extra ignored')));
  `);
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, [
    'string:5|number:7',
    'string:1.5|number:16',
    'string:s|number:3',
    'string:s|number:1',
    'string:s|number:5',
    '6',
    '3',
  ]);
});

test('a bad argument is a clear error naming the function and argument', async (t) => {
  const { out, log } = await logOf(`
    try { KSR.t.add('abc', 1) } catch (e) { KSR.log(e.message) }
    try { KSR.t.add(1) } catch (e) { KSR.log(e.message) }
    try { KSR.t.echo({}) } catch (e) { KSR.log(e.message) }
    try { KSR.t.add(1.5, 1) } catch (e) { KSR.log(e.message) }
    try { KSR.t.echo(null) } catch (e) { KSR.log(e.message) }
    try { KSR.t.echo(() => 1) } catch (e) { KSR.log(e.message) }
    KSR.t.add(1, 'x'); // line 9 of the file
  `);
  t.deepEqual(log, [
    'KSR.t.add: argument 1 (a) must be an int, got string "abc"',
    'KSR.t.add: argument 2 (b) is missing (expected an int)',
    'KSR.t.echo: argument 1 (s) must be a string, got object',
    'KSR.t.add: argument 1 (a) must be an int, got number 1.5',
    'KSR.t.echo: argument 1 (s) is missing (expected a string)',
    'KSR.t.echo: argument 1 (s) must be a string, got function',
  ]);
  t.like(out, {
    kind: 'error',
    message: 'KSR.t.add: argument 2 (b) must be an int, got string "x"',
    where: { file: FILE, line: 9 },
  });
});

test('a host exception becomes a guest Error with its message', async (t) => {
  const { out, log } = await logOf(`
    try { KSR.t.boom() } catch (e) { KSR.log((e instanceof Error) + ' ' + e.message) }
    KSR.t.boom();
  `);
  t.deepEqual(log, ['true KSR.t.boom: kaboom']);
  t.like(out, { kind: 'error', message: 'KSR.t.boom: kaboom', where: { file: FILE, line: 4 } });
});

test('an async KSR call looks synchronous and keeps the locals', async (t) => {
  const { out, log } = await logOf(`
    const before = 'kept';
    let n = 40;
    const v = KSR.t.later(1);
    const w = KSR.t.later(v);
    KSR.log(before + ' ' + n + ' ' + v + ' ' + w + ' ' + typeof w);
    try { KSR.t.later_fail() } catch (e) { KSR.log('caught ' + e.message) }
    if (KSR.t.later(-10) < 0) KSR.log('negative'); // the jsdt idiom: if (KSR.tm.t_relay() < 0)
    const xs = [1, 2].map((i) => KSR.t.later(i * 100));
    KSR.log('in callbacks ' + xs.join(','));
  `);
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, [
    'kept 40 2 3 number',
    'caught KSR.t.later_fail: async failure',
    'negative',
    'in callbacks 101,201',
  ]);
});

test('200 concurrent suspended routes each resume with their own ctx and locals', async (t) => {
  const s = await load(`
    let counter = 0;
    function route() {
      const mine = KSR.t.ctxid();
      const a = KSR.t.later(0);
      const b = KSR.t.later(1000);
      counter++;
      KSR.log(mine + ':' + a + ':' + b + ':' + KSR.t.ctxid());
    }`);
  const ctxs = Array.from({ length: 200 }, (_v, i) => toyCtx(i + 1));
  const outs = await Promise.all(ctxs.map((c) => s.run('route', c)));
  t.true(
    outs.every((o) => o.kind === 'returned'),
    JSON.stringify(outs.find((o) => o.kind !== 'returned')),
  );
  ctxs.forEach((c) => t.deepEqual(c.log, [`${c.id}:${c.id}:${1000 + c.id}:${c.id}`]));
  // Modules are reused: a second wave does not need 200 new ones.
  const again = Array.from({ length: 5 }, (_v, i) => toyCtx(i + 1));
  t.true(
    (await Promise.all(again.map((c) => s.run('route', c)))).every((o) => o.kind === 'returned'),
  );
  s.dispose();
});

test('KSR.x.exit and KSR.x.drop unwind through try/catch/finally', async (t) => {
  const cases: [string, RouteOutcome][] = [
    [`KSR.log('a'); KSR.x.exit(); KSR.log('no')`, { kind: 'exit', drop: false }],
    // The brief's case: the reply after a swallowed exit is not sent.
    [`try { KSR.x.exit() } catch (e) {} KSR.log('swallowed')`, { kind: 'exit', drop: false }],
    [
      `try { try { KSR.x.drop() } catch (e) {} } catch (e) {} KSR.log('swallowed')`,
      { kind: 'exit', drop: true },
    ],
    [`try { KSR.x.exit() } finally { KSR.log('swallowed') }`, { kind: 'exit', drop: false }],
    [
      `try { KSR.x.exit() } catch (e) { KSR.log('handler ran') } return 1`,
      { kind: 'exit', drop: false },
    ],
    [`try { KSR.x.exit() } catch (e) { for (;;) {} }`, { kind: 'exit', drop: false }],
    [`try { KSR.t.stop() } catch (e) {} KSR.log('swallowed')`, { kind: 'exit', drop: false }],
    [`try { KSR.t.later_drop() } catch (e) {} KSR.log('swallowed')`, { kind: 'exit', drop: true }],
    [
      `try { KSR.route('helper_exit') } catch (e) {} KSR.log('swallowed')`,
      { kind: 'exit', drop: false },
    ],
    [
      `[1].forEach(() => { try { KSR.x.exit() } catch (e) {} }); KSR.log('swallowed')`,
      { kind: 'exit', drop: false },
    ],
    [
      `try { KSR.x.exit() } catch (e) { KSR.t.later(1) } KSR.log('swallowed')`,
      { kind: 'exit', drop: false },
    ],
  ];
  for (const [body, expected] of cases) {
    const s = await load(`function helper_exit() { KSR.x.exit() }\nfunction route() {\n${body}\n}`);
    const ctx = toyCtx();
    t.deepEqual(await s.run('route', ctx), expected, body);
    t.false(ctx.log.includes('swallowed'), body);
    t.false(ctx.log.includes('handler ran'), body);
    t.false(ctx.log.includes('no'), body);
    const next = toyCtx();
    t.deepEqual(
      await s.run('helper_exit', next),
      { kind: 'exit', drop: false },
      'instance still usable',
    );
    s.dispose();
  }
});

test('KSR.route calls a script function by name in the same route', async (t) => {
  const s = await load(`
    function other(...a) { KSR.log('other ' + a.length + ' ' + KSR.t.later(1)); return 7 }
    function route() {
      KSR.log('got ' + KSR.route('other'));
      KSR.route('nope'); // line 5
    }`);
  const ctx = toyCtx(4);
  const out = await s.run('route', ctx);
  t.deepEqual(ctx.log, ['other 0 5', 'got 7']);
  t.like(out, {
    kind: 'error',
    message: "KSR.route: the script has no function 'nope'",
    where: { file: FILE, line: 5 },
  });
  s.dispose();
});

test('an uncaught error gives the user file:line, the message and a traceback', async (t) => {
  const s = await load(
    [
      'function inner(o) {', // 1
      '  return o.field;', // 2
      '}', // 3
      'function route() {', // 4
      '  inner(null);', // 5
      '}', // 6
      'function raise_obj() { throw {} }', // 7
      "function raise_str() { throw 'plain' }", // 8
      "function raise_type() { throw new TypeError('typed') }", // 9
    ].join('\n'),
  );
  const out = await s.run('route', toyCtx());
  if (out.kind !== 'error') return t.fail(JSON.stringify(out));
  t.is(out.message, "TypeError: cannot read property 'field' of null");
  t.deepEqual(out.where, { file: FILE, line: 2 });
  t.regex(out.traceback, /at inner \(\/virtual\/route\.js:2:\d+\)/);
  t.regex(out.traceback, /at route \(\/virtual\/route\.js:5:\d+\)/);
  t.notRegex(out.traceback, /polysip:prelude/);
  t.like(await s.run('raise_obj', toyCtx()), { kind: 'error', message: '[object Object]' });
  t.like(await s.run('raise_str', toyCtx()), { kind: 'error', message: 'plain' });
  t.like(await s.run('raise_type', toyCtx()), {
    kind: 'error',
    message: 'TypeError: typed',
    where: { line: 9 },
  });
  s.dispose();
});

test('an event route receives its argument', async (t) => {
  const s = await load(`function ksr_event(name) { KSR.log('event ' + name) }`);
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_event', ctx, 'htable:mod-init'), { kind: 'returned' });
  t.deepEqual(ctx.log, ['event htable:mod-init']);
  s.dispose();
});

test('a missing function is reported without running anything', async (t) => {
  const s = await load(`var COUNT = 0\nfunction route() { COUNT++ }\nvar not_a_function = 5`);
  t.true(s.hasFunction('route'));
  t.false(s.hasFunction('nope'));
  t.false(s.hasFunction('not_a_function'));
  t.false(s.hasFunction('toString'), 'inherited properties are not routes');
  t.deepEqual(await s.run('nope', toyCtx()), { kind: 'missing', name: 'nope' });
  t.deepEqual(await s.run('not_a_function', toyCtx()), { kind: 'missing', name: 'not_a_function' });
  t.deepEqual(await s.run('toString', toyCtx()), { kind: 'missing', name: 'toString' });
  s.dispose();
});

test('a syntax error is a ScriptLoadError at file:line', async (t) => {
  const e = await t.throwsAsync(load('function route() {\n  let x = = 1;\n}'), {
    instanceOf: ScriptLoadError,
  });
  t.deepEqual(e?.where, { file: FILE, line: 2 });
  t.is(e?.code, 'POLYSIP_ERR_SCRIPT_LOAD');
  t.regex(e?.message ?? '', /^\/virtual\/route\.js:2: SyntaxError: unexpected token/);
});

test('a statement left unfinished is reported on its own line, not where QuickJS stopped', async (t) => {
  // The call on line 2 lacks its ')': QuickJS stops at the '}' on line 4.
  const e = await t.throwsAsync(
    load('function route() {\n  KSR.sl.sl_send_reply(200, "ok"\n\n}\n'),
    { instanceOf: ScriptLoadError },
  );
  t.deepEqual(e?.where, { file: FILE, line: 2 });
  t.is(e?.message, `${FILE}:2: SyntaxError: expecting ',' (found at line 4)`);
  // An expression cut off after an operator, a comment and blank lines before the '}'.
  const cut = await t.throwsAsync(load('function route() {\n  let x = 1 +\n  // more\n\n}\n'), {
    instanceOf: ScriptLoadError,
  });
  t.deepEqual(cut?.where, { file: FILE, line: 2 });
  // A complete line 2 and a bad token on line 3: line 3 is the one at fault.
  const next = await t.throwsAsync(load('function route() {\n  let x = 1\n  @\n}\n'), {
    instanceOf: ScriptLoadError,
  });
  t.deepEqual(next?.where, { file: FILE, line: 3 });
  t.is(next?.message, `${FILE}:3: SyntaxError: unexpected token in expression: '@'`);
});

test('ES2023 syntax is accepted', async (t) => {
  const { out, log } = await logOf(`
    class A { #x = 1; static s = 2; get x() { return this.#x } }
    const o = { a: { b: null } };
    const arr = [3, 1, 2];
    KSR.log([new A().x, A.s, o.a?.b ?? 'dflt', arr.toSorted().join(''), arr.at(-1), 2n ** 3n].join(' '));
  `);
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, ['1 2 dflt 123 2 8']);
});

test('a runtime error in the top-level code is a ScriptLoadError at file:line', async (t) => {
  const e = await t.throwsAsync(load('const a = 1;\nconst b = a.x.y;\nfunction route() {}'), {
    instanceOf: ScriptLoadError,
  });
  t.deepEqual(e?.where, { file: FILE, line: 2 });
  t.regex(e?.message ?? '', /cannot read property 'y' of undefined/);
});

test('KSR calls are refused while the top-level code runs', async (t) => {
  const e = await t.throwsAsync(load(`KSR.log('too early')\nfunction route() {}`), {
    instanceOf: ScriptLoadError,
  });
  t.regex(e?.message ?? '', /KSR\.log: KSR functions cannot be called while the script is loading/);
  t.is(e?.where.line, 1);
  const x = await t.throwsAsync(load(`KSR.x.exit()\nfunction route() {}`), {
    instanceOf: ScriptLoadError,
  });
  t.regex(x?.message ?? '', /KSR\.x\.exit: not available while the script is loading/);
});

test('a missing entry point is refused at load', async (t) => {
  const e = await t.throwsAsync(load('function other() {}', ['ksr_request_route']), {
    instanceOf: ScriptLoadError,
  });
  t.regex(e?.message ?? '', /does not define the function 'ksr_request_route'/);
  const ok = await load('function ksr_request_route() {}', ['ksr_request_route']);
  t.true(ok.hasFunction('ksr_request_route'));
  ok.dispose();
});

test('after dispose, run resolves to an error outcome and suspended routes end cleanly', async (t) => {
  const s = await load(`function route() { KSR.t.later(1); KSR.log('resumed') }`);
  const ctx = toyCtx();
  const pending = s.run('route', ctx);
  s.dispose();
  t.like(await pending, { kind: 'error', message: 'the JS script instance was disposed' });
  t.deepEqual(ctx.log, []);
  t.like(await s.run('route', ctx), {
    kind: 'error',
    message: 'the JS script instance was disposed',
  });
  t.false(s.hasFunction('route'));
  t.notThrows(() => s.dispose());
});

test('strings cross as UTF-8', async (t) => {
  const { log } = await logOf(`
    const s = KSR.t.echo('héllo ☎ 😀');
    KSR.log(s.length + ' ' + s);
    KSR.log('lone \\ud800 surrogate');
  `);
  t.is(log[0], '10 héllo ☎ 😀');
  // QuickJS encodes a lone surrogate as 3 bytes (CESU-8); each becomes a replacement character.
  t.regex(log[1]!, /^lone \uFFFD+ surrogate$/);
});

test('maxSuspended bounds the routes waiting at once', async (t) => {
  const s = await loadJsScript<ToyCtx>({
    file: FILE,
    source: `function route() { KSR.t.later(1) }`,
    registry: toyRegistry(),
    entryPoints: [],
    limits: { maxSuspended: 2 },
  });
  const outs = await Promise.all([1, 2, 3].map((i) => s.run('route', toyCtx(i))));
  t.deepEqual(outs.slice(0, 2), [{ kind: 'returned' }, { kind: 'returned' }]);
  t.like(outs[2], { kind: 'error', message: 'KSR.t.later: too many suspended routes (limit 2)' });
  s.dispose();
});

test('print and console go to the host, not to stdout', async (t) => {
  const lines: string[] = [];
  const s = await loadJsScript<ToyCtx>({
    file: FILE,
    source: `function route() { print('a', 1, null, true, undefined); console.log({}); console.error('e') }`,
    registry: toyRegistry(),
    entryPoints: ['route'],
    print: (line) => lines.push(line),
  });
  t.deepEqual(await s.run('route', toyCtx()), { kind: 'returned' });
  t.deepEqual(lines, ['a 1 null true undefined', '[object Object]', 'e']);
  s.dispose();
});
