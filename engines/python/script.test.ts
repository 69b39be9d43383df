import test from 'ava';
import { ScriptLoadError, type RouteOutcome, type ScriptInstance } from '../../core/api/script.ts';
import { int, str } from '../../core/api/registry.ts';
import { loadPythonScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../lua/toy-registry.ts';

// Pyodide starts in seconds: one module-style and one class-style instance serve most tests.
const FILE = '/virtual/route.py';
const logs: string[] = [];
const printed: string[] = [];

// Line numbers matter: outcomes are checked against them.
const MODULE_SOURCE = [
  'import sys', // 1
  'import KSR', // 2
  'from KSR import t as T', // 3
  '', // 4
  'def kinds():', // 5
  '    KSR.log(f"{type(KSR.t.add(1, 2)).__name__} {KSR.t.add(1, 2)}")', // 6
  '    KSR.log(f"{type(KSR.t.flag()).__name__} {KSR.t.flag()}")', // 7
  "    KSR.log(f\"{KSR.t.neg()!r} {KSR.t.echo('unset')!r} {KSR.t.echo('abc')!r}\")", // 8
  '    KSR.log(f"{KSR.t.nothing()!r} {KSR.log(\'x\')!r} {T.add(2, 2)}")', // 9
  '', // 10
  'def strict():', // 11
  '    KSR.log(repr(KSR.t.add("5", 1)))', // 12
  '    KSR.log(repr(KSR.t.add(1.5, 1)))', // 13
  '    KSR.log(repr(KSR.t.add(1)))', // 14
  '    KSR.log(repr(KSR.t.add(1, 2, 3)))', // 15
  '    KSR.log(repr(KSR.t.echo(["x"])))', // 16
  '    KSR.log(repr(KSR.t.add(True, 1 << 70)))', // 17
  '    KSR.log(KSR.t.typeof("s", True))', // 18
  '', // 19
  'def host_error():', // 20
  '    try:', // 21
  '        KSR.t.boom()', // 22
  '    except RuntimeError as e:', // 23
  '        KSR.log("caught " + str(e))', // 24
  '    KSR.t.boom()', // 25
  '', // 26
  'def later():', // 27
  '    before = "kept"', // 28
  '    v = KSR.t.later(1)', // 29
  '    w = KSR.t.later(v)', // 30
  '    KSR.log(f"{before} {v} {w} {KSR.t.ctxid()}")', // 31
  '    try:', // 32
  '        KSR.t.later_fail()', // 33
  '    except RuntimeError as e:', // 34
  '        KSR.log(str(e))', // 35
  '', // 36
  'def ksr_exit():', // 37
  '    KSR.log("a")', // 38
  '    KSR.x.exit()', // 39
  '    KSR.log("no")', // 40
  '', // 41
  'def swallow_exit():', // 42
  '    try:', // 43
  '        KSR.x.drop()', // 44
  '    except BaseException:', // 45
  '        pass', // 46
  '    KSR.log("swallowed")', // 47
  '', // 48
  'def sys_exit():', // 49
  '    sys.exit()', // 50
  '', // 51
  'def builtin_exit():', // 52
  '    exit()', // 53
  '', // 54
  'def impl_exit():', // 55
  '    try:', // 56
  '        KSR.t.later_drop()', // 57
  '    except Exception:', // 58
  '        KSR.log("swallowed")', // 59
  '', // 60
  'def inner(d):', // 61
  '    return d["missing"]', // 62
  '', // 63
  'def error():', // 64
  '    inner({})', // 65
  '', // 66
  'def helper(*args):', // 67
  '    KSR.log(f"helper {len(args)} {KSR.t.later(1)}")', // 68
  '    return 7', // 69
  '', // 70
  'def use_route():', // 71
  '    KSR.log(f"got {KSR.route(\'helper\')}")', // 72
  '    KSR.route("nope")', // 73
  '', // 74
  'def ksr_event(name):', // 75
  '    KSR.log("event " + name)', // 76
  '', // 77
  'def ctx_route():', // 78
  '    mine = KSR.t.ctxid()', // 79
  '    a = KSR.t.later(0)', // 80
  '    b = KSR.t.later(1000)', // 81
  '    KSR.log(f"{mine}:{a}:{b}:{KSR.t.ctxid()}")', // 82
  '', // 83
  'async def async_route():', // 84
  '    KSR.log("async " + str(KSR.t.later(1)))', // 85
  '', // 86
  'def say():', // 87
  '    print("hello", KSR.t.ctxid())', // 88
  '', // 89
  'def keywords():', // 90
  "    KSR.log(f\"{KSR.async_ is getattr(KSR, 'async')} {KSR.async_.route('r', 1)}\")", // 91
  '', // 92
  'not_a_function = 5', // 93
].join('\n');

let mod: ScriptInstance<ToyCtx>;

test.before(async () => {
  const registry = toyRegistry();
  // A module named like a Python keyword: Kamailio's `async`.
  registry.define({
    module: 'async',
    name: 'route',
    params: [str('rn'), int('s')],
    returns: 'int',
    doc: 'a function of a keyword-named module',
    impl: () => 42,
  });
  mod = await loadPythonScript<ToyCtx>({
    file: FILE,
    source: MODULE_SOURCE,
    registry,
    entryPoints: ['kinds'],
    log: (l) => logs.push(l),
    print: (p) => printed.push(p),
  });
});

test.after.always(() => mod?.dispose());

async function logOf(fn: string, id = 1): Promise<{ out: RouteOutcome; log: string[] }> {
  const ctx = toyCtx(id);
  const out = await mod.run(fn, ctx);
  return { out, log: ctx.log };
}

test.serial('KSR return kinds keep their KEMI types (void is 0, as app_python3)', async (t) => {
  const { out, log } = await logOf('kinds');
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, ['int 3', 'bool True', "-1 None 'abc'", 'x', '0 0 4']);
});

test.serial(
  'arguments are strict: a wrong type is logged with file:line and the call returns False',
  async (t) => {
    logs.length = 0;
    const { out, log } = await logOf('strict');
    t.deepEqual(out, { kind: 'returned' });
    t.deepEqual(log, ['False', 'False', 'False', 'False', 'False', 'False', 'string:s|number:1']);
    t.deepEqual(logs, [
      `${FILE}:12: KSR.t.add: argument 1 (a) must be an int, got string "5"`,
      `${FILE}:13: KSR.t.add: argument 1 (a) must be an int, got float 1.5`,
      `${FILE}:14: KSR.t.add: argument 2 (b) is missing (expected an int)`,
      `${FILE}:15: KSR.t.add: takes 2 arguments, got 3`,
      `${FILE}:16: KSR.t.echo: argument 1 (s) must be a string, got list`,
      `${FILE}:17: KSR.t.add: argument 2 (b) must be an int, got number 1180591620717411303424`,
    ]);
  },
);

test.serial('a host exception is a RuntimeError; uncaught it gives file:line', async (t) => {
  const { out, log } = await logOf('host_error');
  t.deepEqual(log, ['caught KSR.t.boom: kaboom']);
  t.like(out, {
    kind: 'error',
    message: 'RuntimeError: KSR.t.boom: kaboom',
    where: { file: FILE, line: 25 },
  });
});

test.serial('a Promise-returning impl resolves into the sync-looking call', async (t) => {
  const { out, log } = await logOf('later', 5);
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, ['kept 6 11 5', 'KSR.t.later_fail: async failure']);
});

test.serial('KSR.x.exit, KSR.x.drop, sys.exit and exit() end the route', async (t) => {
  const cases: [string, RouteOutcome, string[]][] = [
    ['ksr_exit', { kind: 'exit', drop: false }, ['a']],
    ['swallow_exit', { kind: 'exit', drop: true }, []],
    ['sys_exit', { kind: 'exit', drop: false }, []],
    ['builtin_exit', { kind: 'exit', drop: false }, []],
    ['impl_exit', { kind: 'exit', drop: true }, []],
  ];
  for (const [fn, expected, log] of cases) {
    const r = await logOf(fn);
    t.deepEqual(r.out, expected, fn);
    t.deepEqual(r.log, log, fn);
  }
  t.deepEqual((await logOf('kinds')).out, { kind: 'returned' }, 'instance still usable');
});

test.serial('an uncaught error gives file:line, the message and a traceback', async (t) => {
  const { out } = await logOf('error');
  if (out.kind !== 'error') return t.fail(JSON.stringify(out));
  t.is(out.message, "KeyError: 'missing'");
  t.deepEqual(out.where, { file: FILE, line: 62 });
  t.regex(out.traceback, /^Traceback \(most recent call last\):/);
  t.regex(out.traceback, /File "\/virtual\/route\.py", line 65, in error\n {4}inner\(\{\}\)/);
  t.regex(out.traceback, /File "\/virtual\/route\.py", line 62, in inner/);
  t.notRegex(out.traceback, /<polysip>/);
});

test.serial('KSR.route calls a script function by name', async (t) => {
  const { out, log } = await logOf('use_route', 4);
  t.deepEqual(log, ['helper 0 5', 'got 7']);
  t.like(out, {
    kind: 'error',
    message: "RuntimeError: KSR.route: the script has no function 'nope'",
    where: { file: FILE, line: 73 },
  });
});

test.serial('an event route receives its argument; missing functions are reported', async (t) => {
  const ctx = toyCtx();
  t.deepEqual(await mod.run('ksr_event', ctx, 'htable:mod-init'), { kind: 'returned' });
  t.deepEqual(ctx.log, ['event htable:mod-init']);
  t.true(mod.hasFunction('kinds'));
  t.false(mod.hasFunction('nope'));
  t.false(mod.hasFunction('not_a_function'));
  t.false(mod.hasFunction('KSR'));
  t.deepEqual(await mod.run('nope', toyCtx()), { kind: 'missing', name: 'nope' });
  t.deepEqual(await mod.run('not_a_function', toyCtx()), {
    kind: 'missing',
    name: 'not_a_function',
  });
});

test.serial('concurrent routes queue in order and each keeps its own ctx', async (t) => {
  const ctxs = Array.from({ length: 40 }, (_v, i) => toyCtx(i + 1));
  const outs = await Promise.all(ctxs.map((c) => mod.run('ctx_route', c)));
  t.true(outs.every((o) => o.kind === 'returned'));
  ctxs.forEach((c) => t.deepEqual(c.log, [`${c.id}:${c.id}:${1000 + c.id}:${c.id}`]));
});

test.serial('async def routes, print and keyword-named modules work', async (t) => {
  const a = await logOf('async_route');
  t.deepEqual(a, { out: { kind: 'returned' }, log: ['async 2'] });
  printed.length = 0;
  t.deepEqual((await logOf('say', 9)).out, { kind: 'returned' });
  t.deepEqual(printed, ['hello 9']);
  t.deepEqual((await logOf('keywords')).log, ['True 42']);
});

test.serial('many routes in a row: no growth of the interpreter memory', async (t) => {
  for (let i = 0; i < 300; i++) {
    const out = await mod.run('later', toyCtx(i));
    if (out.kind !== 'returned') return t.fail(JSON.stringify(out));
  }
  const inst = mod as unknown as { heapBytes: number };
  const before = inst.heapBytes;
  for (let i = 0; i < 1000; i++) {
    const out = await mod.run('kinds', toyCtx(i));
    if (out.kind !== 'returned') return t.fail(JSON.stringify(out));
  }
  t.is(inst.heapBytes, before);
});

test.serial('the class style (app_python3): mod_init() object, methods take msg', async (t) => {
  const s = await loadPythonScript<ToyCtx>({
    file: '/virtual/class.py',
    registry: toyRegistry(),
    log: (l) => logs.push(l),
    source: [
      'import KSR as KSR', // 1
      'import sys', // 2
      'def mod_init():', // 3
      '    KSR.log("too early")', // 4
      '    return kamailio()', // 5
      'class kamailio:', // 6
      '    def __init__(self):', // 7
      '        self.count = 0', // 8
      '    def child_init(self, rank):', // 9
      '        self.rank = rank', // 10
      '        return 0', // 11
      '    def ksr_request_route(self, msg):', // 12
      '        self.count += 1', // 13
      '        KSR.log(f"{self.count} {self.rank} {msg!r} {KSR.t.later(1)}")', // 14
      '        if self.ksr_route_reqinit(msg) == -255:', // 15
      '            return 1', // 16
      '        sys.exit()', // 17
      '    def ksr_route_reqinit(self, msg):', // 18
      '        return -255', // 19
      '    def ksr_htable_event(self, msg, evname):', // 20
      '        KSR.log(evname)', // 21
      '        KSR.route("ksr_fail")', // 22
      '    def ksr_fail(self, msg):', // 23
      '        raise ValueError("bad")', // 24
    ].join('\n'),
  });
  t.true(s.hasFunction('ksr_request_route'));
  t.false(s.hasFunction('__init__'));
  t.false(s.hasFunction('count'));
  const ctx = toyCtx(2);
  t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
  t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['1 1 <polysip msg> 3', '2 1 <polysip msg> 3']);
  const ev = toyCtx();
  t.like(await s.run('ksr_htable_event', ev, 'htable:mod-init'), {
    kind: 'error',
    message: 'ValueError: bad',
    where: { file: '/virtual/class.py', line: 24 },
  });
  t.deepEqual(ev.log, ['htable:mod-init']);
  t.true(
    logs.includes(
      '/virtual/class.py: KSR.log: KSR functions cannot be called while the script is loading',
    ),
  );
  s.dispose();
  t.like(await s.run('ksr_request_route', ctx), {
    kind: 'error',
    message: 'the Python script instance was disposed',
  });
  t.false(s.hasFunction('ksr_request_route'));
  t.notThrows(() => s.dispose());
});

test.serial('load errors are ScriptLoadErrors with file:line', async (t) => {
  const load = (source: string, entryPoints: string[] = []) =>
    loadPythonScript<ToyCtx>({
      file: '/virtual/bad.py',
      source,
      registry: toyRegistry(),
      entryPoints,
    });
  const syntax = await t.throwsAsync(load('def route():\n    x = = 1\n'), {
    instanceOf: ScriptLoadError,
  });
  t.deepEqual(syntax?.where, { file: '/virtual/bad.py', line: 2 });
  t.is(syntax?.code, 'POLYSIP_ERR_SCRIPT_LOAD');
  t.regex(syntax?.message ?? '', /^\/virtual\/bad\.py:2: SyntaxError: invalid syntax/);
  const runtime = await t.throwsAsync(load('a = 1\nb = a.x\n'), { instanceOf: ScriptLoadError });
  t.deepEqual(runtime?.where, { file: '/virtual/bad.py', line: 2 });
  t.regex(runtime?.message ?? '', /AttributeError: 'int' object has no attribute 'x'/);
  const missing = await t.throwsAsync(load('def other(): pass', ['ksr_request_route']), {
    instanceOf: ScriptLoadError,
  });
  t.regex(missing?.message ?? '', /does not define the function 'ksr_request_route'/);
});

test.serial('a slow impl does not block the SIP thread while Python waits', async (t) => {
  const registry = toyRegistry();
  let release: ((v: number) => void) | null = null;
  registry.define({
    module: 'slow',
    name: 'wait',
    params: [],
    returns: 'int',
    doc: 'resolves when the test says so',
    impl: () => new Promise<number>((res) => (release = res)),
  });
  const s = await loadPythonScript<ToyCtx>({
    file: '/virtual/slow.py',
    registry,
    entryPoints: [],
    source: 'import KSR\ndef route():\n    KSR.log(str(KSR.slow.wait()))\n',
  });
  const ctx = toyCtx();
  const pending = s.run('route', ctx);
  // The event loop keeps turning while the worker is blocked on the host call.
  for (let i = 0; i < 500 && release === null; i++) await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  t.deepEqual(ctx.log, []);
  (release as unknown as (v: number) => void)(17);
  t.deepEqual(await pending, { kind: 'returned' });
  t.deepEqual(ctx.log, ['17']);
  s.dispose();
});
