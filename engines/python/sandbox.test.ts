import test from 'ava';
import { loadPythonScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../lua/toy-registry.ts';

// Basic escape attempts (the full corpus is a later issue). Each probe logs what it reached.
const SOURCE = `
import KSR
import os

def probe(label, fn):
    try:
        KSR.log(label + ": reached " + repr(fn()))
    except BaseException as e:
        KSR.log(label + ": blocked " + type(e).__name__)

def _js():
    import js
    return js

def _pyodide_js():
    import pyodide_js
    return pyodide_js

def _run_js():
    from pyodide.code import run_js
    return run_js("globalThis.process")

def _function_ctor():
    from pyodide.ffi import to_js
    return to_js([1]).constructor.constructor("return process")()

def _host_file():
    with open("/etc/hostname") as f:
        return f.read()

def _env():
    return sorted(k for k in os.environ if k not in ("HOME", "USER", "LOGNAME", "PATH", "LANG", "PWD", "PYTHONHOME", "PYTHONPATH", "PYTHONINSPECT", "TERM", "SHELL"))

def ksr_request_route():
    probe("import js", _js)
    probe("import pyodide_js", _pyodide_js)
    probe("run_js", _run_js)
    probe("Function constructor via to_js", _function_ctor)
    probe("host file", _host_file)
    probe("host env", _env)
`;

test('a script reaches neither the worker globals nor the host', async (t) => {
  const s = await loadPythonScript<ToyCtx>({
    file: '/virtual/escape.py',
    source: SOURCE,
    registry: toyRegistry(),
    // First imports of pyodide's own modules are slow.
    limits: { cpuMs: 5000 },
  });
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, [
    'import js: blocked ModuleNotFoundError',
    'import pyodide_js: blocked ModuleNotFoundError',
    'run_js: blocked ModuleNotFoundError',
    'Function constructor via to_js: blocked JsException',
    'host file: blocked FileNotFoundError',
    // Pyodide's own defaults only; none of the server's environment.
    "host env: reached ['LD_LIBRARY_PATH', '_']",
  ]);
  s.dispose();
});
