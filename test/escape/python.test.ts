/**
 * Escape corpus, Python (Pyodide, always in its own worker): the probe's attacks against
 * loadPythonScript. Each probe logs what it reached; a normal route still works afterwards.
 */
import test from 'ava';
import { createServer, type Socket } from 'node:net';
import { loadPythonScript } from '../../engines/python/index.ts';
import type { PythonScript } from '../../engines/python/script.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../../engines/lua/toy-registry.ts';

const SOURCE = (port: number) => `
PORT = ${port}
import KSR
import os

def probe(label, fn):
    try:
        KSR.log(label + ": ALLOWED " + repr(fn()))
    except BaseException as e:
        KSR.log(label + ": " + type(e).__name__ + " " + str(e)[:80])

def _js():
    import js
    return js.process

def _pyodide_js():
    import pyodide_js
    return pyodide_js

def _run_js():
    from pyodide.code import run_js
    return run_js("typeof process")

def _to_js_ctor():
    from pyodide.ffi import to_js
    return to_js([1]).constructor.constructor("return typeof process")()

def _host_fn_proxies():
    import gc
    from pyodide.ffi import JsProxy
    seen = [o for o in gc.get_objects() if isinstance(o, JsProxy)]
    for f in (KSR.t.add, KSR.log):
        for cell in (getattr(f, "__closure__", None) or ()):
            if isinstance(cell.cell_contents, JsProxy):
                seen.append(cell.cell_contents)
        for v in getattr(f, "__globals__", {}).values():
            if isinstance(v, JsProxy):
                seen.append(v)
    got = set()
    for o in seen:
        try:
            got.add(str(o.constructor.constructor("return typeof process")()))
        except BaseException as e:
            got.add(type(e).__name__)
    if "object" in got:
        return "host realm"
    raise PermissionError("proxies=%d results=%s" % (len(seen), sorted(got)))

def _host_error():
    try:
        KSR.t.boom()
    except Exception as e:
        if "kaboom" not in str(e):
            return "no host error"
        je = getattr(e, "js_error", None)
        if je is None:
            raise PermissionError("no js_error on " + type(e).__name__ + ": " + str(e))
        return je.constructor.constructor("return typeof process")()

def _file():
    with open("/etc/passwd") as f:
        return f.read()

def _subprocess():
    import subprocess
    return subprocess.run(["id"], capture_output=True)

def _socket():
    import socket
    s = socket.create_connection(("127.0.0.1", PORT), timeout=1)
    s.sendall(b"hello from the guest\\r\\n")
    return s.recv(10)

def _env():
    leaked = [k for k in os.environ if k in ("PATH_INFO", "NODE_OPTIONS", "HOSTNAME", "npm_config_cache", "INIT_CWD")]
    if leaked:
        return leaked
    raise PermissionError("no host variables: " + ",".join(sorted(os.environ)))

def ksr_request_route():
    probe("import js", _js)
    probe("import pyodide_js", _pyodide_js)
    probe("run_js", _run_js)
    probe("to_js constructor", _to_js_ctor)
    probe("host function proxies", _host_fn_proxies)
    probe("host error js_error", _host_error)
    probe("file", _file)
    probe("subprocess", _subprocess)
    probe("socket", _socket)
    probe("env", _env)

def swallow():
    KSR.log("looping")
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass

def healthy():
    KSR.log("ok " + str(KSR.t.add(20, 22)))
`;

test('python: the probe attacks fail and the worker keeps serving', async (t) => {
  // A loopback listener the socket attack aims at: it must never see a connection.
  const accepted: Socket[] = [];
  const received: Buffer[] = [];
  const server = createServer((c) => {
    accepted.push(c);
    c.on('data', (d: Buffer) => received.push(d));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  t.teardown(() => {
    for (const c of accepted) c.destroy();
    server.close();
  });
  const s = (await loadPythonScript<ToyCtx>({
    file: '/virtual/escape.py',
    source: SOURCE(port),
    registry: toyRegistry(),
    limits: { cpuMs: 5000 },
  })) as PythonScript<ToyCtx>;
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
  t.log(ctx.log.join('\n'));
  const expected: [string, RegExp][] = [
    ['import js', /ModuleNotFoundError/],
    ['import pyodide_js', /ModuleNotFoundError/],
    ['run_js', /ModuleNotFoundError/],
    ['to_js constructor', /JsException|undefined/],
    ['host function proxies', /PermissionError/],
    ['host error js_error', /PermissionError .*kaboom/],
    ['file', /FileNotFoundError|PermissionError|OSError/],
    ['subprocess', /OSError|Error/],
    // Emscripten's socket layer may report a connection; the listener below says what reached it.
    ['socket', /socket: /],
    ['env', /PermissionError no host variables/],
  ];
  expected.forEach(([label, re], i) => {
    const got = ctx.log[i] ?? '(nothing recorded)';
    t.true(got.startsWith(`${label}: `), got);
    t.regex(got, re, got);
    if (label !== 'socket') t.false(got.includes('ALLOWED'), got);
  });
  const ok = toyCtx();
  t.deepEqual(await s.run('healthy', ok), { kind: 'returned' });
  t.deepEqual(ok.log, ['ok 42']);
  s.dispose();
});

// KNOWN HOLE (engines/python, not fixed here): Emscripten's socket layer in the Pyodide worker
// opens a real TCP connection from the guest (seen on loopback; no payload was delivered in 1 s).
// test.failing keeps the suite green while the hole is open and turns red once it is closed.
test.failing('python: a guest socket opens no TCP connection', async (t) => {
  const accepted: Socket[] = [];
  const received: Buffer[] = [];
  const server = createServer((c) => {
    accepted.push(c);
    c.on('data', (d: Buffer) => received.push(d));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  t.teardown(() => {
    for (const c of accepted) c.destroy();
    server.close();
  });
  const s = await loadPythonScript<ToyCtx>({
    file: '/virtual/escape.py',
    source: SOURCE(port),
    registry: toyRegistry(),
    limits: { cpuMs: 5000 },
  });
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
  t.true(
    ctx.log.some((l) => l.startsWith('socket: ')),
    'the attack ran',
  );
  await new Promise((res) => setTimeout(res, 200));
  s.dispose();
  t.is(
    accepted.length,
    0,
    `no TCP connection reached the listener; it got: ${JSON.stringify(Buffer.concat(received).toString('latin1').slice(0, 300))}`,
  );
});

test('python: except BaseException in a loop ends with the worker, which is replaced', async (t) => {
  const s = await loadPythonScript<ToyCtx>({
    file: '/virtual/escape.py',
    source: SOURCE(0),
    registry: toyRegistry(),
    limits: { cpuMs: 100 },
  });
  const ctx = toyCtx();
  const t0 = performance.now();
  t.like(await s.run('swallow', ctx), { kind: 'aborted', reason: 'cpu' });
  t.true(performance.now() - t0 < 10_000);
  t.deepEqual(ctx.log, ['looping']);
  const ok = toyCtx();
  t.deepEqual(await s.run('healthy', ok), { kind: 'returned' });
  t.deepEqual(ok.log, ['ok 42']);
  s.dispose();
});
