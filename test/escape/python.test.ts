/**
 * Escape corpus, Python (Pyodide, always in its own worker): the probe's attacks against
 * loadPythonScript. Each probe logs what it reached; a normal route still works afterwards.
 */
import test from 'ava';
import { createSocket } from 'node:dgram';
import { loadPythonScript } from '../../engines/python/index.ts';
import type { PythonScript } from '../../engines/python/script.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../../engines/lua/toy-registry.ts';
import { startTcpSink } from '../kit/sink.ts';

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
  const sink = await startTcpSink();
  t.teardown(() => sink.close());
  const s = (await loadPythonScript<ToyCtx>({
    file: '/virtual/escape.py',
    source: SOURCE(sink.port),
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
    // Refused at the host side: closeNetwork in engines/python/worker.ts.
    ['socket', /PermissionError .*Permission denied/],
    ['env', /PermissionError no host variables/],
  ];
  expected.forEach(([label, re], i) => {
    const got = ctx.log[i] ?? '(nothing recorded)';
    t.true(got.startsWith(`${label}: `), got);
    t.regex(got, re, got);
    t.false(got.includes('ALLOWED'), got);
  });
  const ok = toyCtx();
  t.deepEqual(await s.run('healthy', ok), { kind: 'returned' });
  t.deepEqual(ok.log, ['ok 42']);
  await new Promise((res) => setTimeout(res, 200));
  s.dispose();
  t.is(sink.accepted.length, 0, 'the socket attack reached no listener');
});

// The network is closed at the host side of the boundary (engines/python/worker.ts, closeNetwork):
// every way from Python to a socket must end in a refusal, and loopback listeners on TCP and
// UDP must see nothing.
const NET_SOURCE = (tcp: number, udp: number) => `
TCP = ${tcp}
UDP = ${udp}
URL = "http://127.0.0.1:%d/" % TCP
import KSR

def probe(label, fn):
    try:
        KSR.log(label + ": ALLOWED " + repr(fn()))
    except BaseException as e:
        KSR.log(label + ": " + type(e).__name__ + " " + str(e)[:100])

def _tcp():
    import socket
    s = socket.create_connection(("127.0.0.1", TCP), timeout=1)
    s.sendall(b"tcp from the guest\\r\\n")
    return s.recv(10)

def _udp():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return s.sendto(b"udp from the guest", ("127.0.0.1", UDP))

def _raw_socket():
    import _socket
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    return s.connect_ex(("127.0.0.1", TCP))

def _socketpair_select():
    import select, socket
    a, b = socket.socketpair()
    return select.select([a], [b], [], 0)

def _urllib():
    import urllib.request
    return urllib.request.urlopen(URL, timeout=1).read()

def _http_client():
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", TCP, timeout=1)
    c.request("GET", "/")
    return c.getresponse().status

def _asyncio():
    import asyncio
    async def go():
        r, w = await asyncio.open_connection("127.0.0.1", TCP)
        w.write(b"asyncio from the guest")
        return await r.read(10)
    co = go()
    try:
        return asyncio.get_event_loop().run_until_complete(co)
    finally:
        co.close()

def _ctypes_socket():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(2, 1, 0)
    if fd < 0:
        e = ctypes.get_errno()
        raise PermissionError("socket() returned %d, errno %d (%s)" % (fd, e, __import__("os").strerror(e)))
    return fd

def _ctypes_run_script():
    import ctypes
    libc = ctypes.CDLL(None)
    return libc.emscripten_run_script_int(b"require('net').connect(%d, '127.0.0.1'), 7" % TCP)

def _pyodide_http():
    from pyodide.http import open_url
    return open_url(URL).read()

def _pyfetch():
    from pyodide.http import pyfetch
    co = pyfetch(URL)
    return co.send(None)

def _js_fetch():
    from js import fetch
    return fetch(URL)

def _js_websocket():
    from js import WebSocket
    return WebSocket.new("ws://127.0.0.1:%d/" % TCP)

def _js_require():
    import js
    return js.require("net").connect(TCP, "127.0.0.1")

def _pyodide_js():
    import pyodide_js
    return pyodide_js.useNodeSockFS()

def ksr_request_route():
    probe("tcp", _tcp)
    probe("udp", _udp)
    probe("_socket", _raw_socket)
    probe("socketpair+select", _socketpair_select)
    probe("urllib", _urllib)
    probe("http.client", _http_client)
    probe("asyncio", _asyncio)
    probe("ctypes socket", _ctypes_socket)
    probe("pyodide.http open_url", _pyodide_http)
    probe("pyodide.http pyfetch", _pyfetch)
    probe("js.fetch", _js_fetch)
    probe("js.WebSocket", _js_websocket)
    probe("js.require", _js_require)
    probe("pyodide_js", _pyodide_js)

def run_script():
    probe("ctypes run_script", _ctypes_run_script)

def healthy():
    KSR.log("ok " + str(KSR.t.add(20, 22)))
`;

test('python: no network path from the guest reaches a loopback listener', async (t) => {
  const sink = await startTcpSink();
  const udp = createSocket('udp4');
  const datagrams: Buffer[] = [];
  udp.on('message', (d) => datagrams.push(d));
  await new Promise<void>((res) => udp.bind(0, '127.0.0.1', res));
  t.teardown(() => {
    sink.close();
    udp.close();
  });
  const s = await loadPythonScript<ToyCtx>({
    file: '/virtual/net.py',
    source: NET_SOURCE(sink.port, udp.address().port),
    registry: toyRegistry(),
    limits: { cpuMs: 10_000 },
  });
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
  t.log(ctx.log.join('\n'));
  // EACCES from the refused socket() syscall ("[Errno 2] Permission denied" in Pyodide).
  const refused = /PermissionError .*Permission denied|errno 2 \(Permission denied\)/;
  const expected: [string, RegExp][] = [
    ['tcp', refused],
    ['udp', refused],
    ['_socket', refused],
    ['socketpair+select', refused],
    ['urllib', /URLError .*Permission denied/],
    ['http.client', refused],
    // Node 20 has no JSPI; with it, the same socket() refusal.
    ['asyncio', /stack switching not supported|Permission denied/],
    ['ctypes socket', /errno 2 \(Permission denied\)/],
    ['pyodide.http open_url', /Error/],
    ['pyodide.http pyfetch', /Error/],
    ['js.fetch', /ModuleNotFoundError/],
    ['js.WebSocket', /ModuleNotFoundError/],
    ['js.require', /ModuleNotFoundError/],
    ['pyodide_js', /ModuleNotFoundError/],
  ];
  t.is(ctx.log.length, expected.length, 'every attack ran');
  expected.forEach(([label, re], i) => {
    const got = ctx.log[i] ?? '(nothing recorded)';
    t.true(got.startsWith(`${label}: `), got);
    t.false(got.includes('ALLOWED'), got);
    t.regex(got, re, got);
  });
  // emscripten_run_script evaluates JS with the worker's eval, which lockDown removed: Pyodide
  // treats the failed import call as fatal, so the worker ends and is replaced.
  const rs = toyCtx();
  t.like(await s.run('run_script', rs), {
    kind: 'error',
    message: 'the Python worker stopped: eval is not a function',
  });
  t.deepEqual(rs.log, []);
  const ok = toyCtx();
  t.deepEqual(await s.run('healthy', ok), { kind: 'returned' });
  t.deepEqual(ok.log, ['ok 42']);
  await new Promise((res) => setTimeout(res, 200));
  s.dispose();
  t.is(
    sink.accepted.length,
    0,
    `no TCP connection reached the listener; it got: ${JSON.stringify(Buffer.concat(sink.received).toString('latin1').slice(0, 300))}`,
  );
  t.is(datagrams.length, 0, 'no datagram reached the UDP listener');
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
