"""polysip Python engine prelude (compiled as '<polysip>'): the KSR module, the loader and
the route runner. Runs inside the script's worker; JS hands it only primitive-returning
functions (host, status, message, opaque, log)."""
import builtins
import json
import keyword
import linecache
import sys
import traceback
import types

_FILE = "<script>"
_NS = {}
# Class style (app_python3): the object mod_init() returned, and the msg object its methods get.
_HANDLER = None
_MSG = None
# [0]: 0 running, 1 KSR.x.exit, 2 KSR.x.drop (sticky for the rest of the route);
# [1]: True while the script loads (KSR calls log an error and return False then).
_STATE = [0, True]
_MAX_INT = (1 << 53) - 1
_PLAIN = frozenset((str, bool, type(None)))


class _RouteExit(BaseException):
    """KSR.x.exit()/KSR.x.drop(): ends the whole route. A BaseException so that
    `except Exception` does not catch it; a script that catches it anyway cannot make another
    KSR call in this route, and the route still ends as an exit."""


class Msg:
    """The `msg` argument of class-style (app_python3) callbacks. polysip scripts read and
    change the message through KSR functions; this object carries no data."""

    __slots__ = ()

    def __repr__(self):
        return "<polysip msg>"


# Host call indexes that are not KSR functions (script.ts).
_FN_LOG = -3
# Host status of a call with a wrong argument (app_python3: logged, the call returns False).
_ST_ARG_ERROR = 7


def _caller_line():
    """The line of the script that made the current KSR call (None outside the script)."""
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename == _FILE:
            return f.f_lineno
        f = f.f_back
    return None


def _install(host, status, message, opaque, log, exports_json):
    """Builds the KSR module from [[module, name, index], ...]."""
    exports = json.loads(exports_json)

    def script_error(text):
        # To the route's script log, like other script errors, with file:line.
        line = _caller_line()
        host(_FN_LOG, _FILE + ":" + (str(line) if line is not None else "?") + ": " + text)

    def raise_status(s, label):
        if s == 1:
            raise RuntimeError(message())
        if s == 2 or s == 3:
            _STATE[0] = s - 1
            raise _RouteExit()
        if s == 5:
            raise KeyboardInterrupt()
        raise RuntimeError(label + ": unexpected host status " + str(s))

    def plain(a):
        t = type(a)
        if t in _PLAIN:
            return a
        if t is int:
            return a if -_MAX_INT <= a <= _MAX_INT else opaque("number " + str(a))
        if t is float:
            return opaque("float " + repr(a))
        return opaque(t.__name__)

    def make(idx, label, name):
        def ksr_function(*args):
            if _STATE[0]:
                raise _RouteExit()
            if _STATE[1]:
                log(label + ": KSR functions cannot be called while the script is loading")
                return False
            for a in args:
                t = type(a)
                if t is str or (t is int and -_MAX_INT <= a <= _MAX_INT):
                    continue
                if t is bool or a is None:
                    continue
                args = tuple(plain(x) for x in args)
                break
            r = host(idx, *args)
            if r is None:
                s = status()
                if s == _ST_ARG_ERROR:
                    script_error(message())
                    return False
                if s:
                    raise_status(s, label)
            return r

        ksr_function.__name__ = name
        ksr_function.__qualname__ = label
        return ksr_function

    ksr = types.ModuleType("KSR", "polysip KEMI API")
    subs = {}
    for module, name, idx in exports:
        label = "KSR." + (module + "." if module else "") + name
        fn = make(idx, label, name)
        if module == "":
            target = ksr
        else:
            target = subs.get(module)
            if target is None:
                target = subs[module] = types.ModuleType("KSR." + module)
        setattr(target, name, fn)
        # app_python3 keeps the real name (reachable with getattr); the trailing underscore
        # (PEP 8) makes keyword names usable as attributes: KSR.async_.
        if keyword.iskeyword(name):
            setattr(target, name + "_", fn)
    x = types.ModuleType("KSR.x")

    def exit():
        if _STATE[1]:
            raise RuntimeError("KSR.x.exit: not available while the script is loading")
        _STATE[0] = 1
        raise _RouteExit()

    def drop():
        if _STATE[1]:
            raise RuntimeError("KSR.x.drop: not available while the script is loading")
        _STATE[0] = 2
        raise _RouteExit()

    x.exit = exit
    x.drop = drop
    subs["x"] = x

    def route(name):
        if _STATE[0]:
            raise _RouteExit()
        if type(name) is not str:
            script_error("KSR.route: argument 1 (name) must be a string, got " + type(name).__name__)
            return False
        fn = _lookup(name)
        if fn is None:
            raise RuntimeError("KSR.route: the script has no function '" + name + "'")
        return fn(_MSG) if _HANDLER is not None else fn()

    ksr.route = route
    for module, sub in subs.items():
        setattr(ksr, module, sub)
        if keyword.iskeyword(module):
            setattr(ksr, module + "_", sub)
        sys.modules["KSR." + module] = sub
    sys.modules["KSR"] = ksr


def _lookup(name):
    if _HANDLER is not None:
        if name.startswith("__"):
            return None
        fn = getattr(_HANDLER, name, None)
    else:
        fn = _NS.get(name)
    if fn is None or isinstance(fn, (type, types.ModuleType)) or not callable(fn):
        return None
    return fn


def _functions():
    if _HANDLER is not None:
        names = [n for n in dir(_HANDLER) if not n.startswith("__")]
    else:
        names = list(_NS)
    return [n for n in names if _lookup(n) is not None]


def _where(tb):
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _traceback(e):
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename != "<polysip>"]
    text = "".join(traceback.format_list(frames))
    return (
        "Traceback (most recent call last):\n"
        + text
        + "".join(traceback.format_exception_only(type(e), e))
    )


def _describe(e):
    text = str(e)
    return type(e).__name__ + (": " + text if text else "")


def _load(file, source):
    """Compiles and runs the script; returns JSON: {"functions": [...]} or an error."""
    global _FILE, _NS, _HANDLER, _MSG
    _FILE = file
    lines = source.splitlines(True)
    linecache.cache[file] = (len(source), None, lines, file)
    try:
        code = compile(source, file, "exec")
    except SyntaxError as e:
        return json.dumps(
            {"error": type(e).__name__ + ": " + str(e.msg), "line": e.lineno, "traceback": ""}
        )
    stem = file.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "script"
    mod = types.ModuleType(stem)
    mod.__file__ = file
    _NS = mod.__dict__
    try:
        exec(code, _NS)
        init = _NS.get("mod_init")
        if callable(init):
            handler = init()
            if handler is None:
                return json.dumps(
                    {"error": "mod_init() returned None", "line": None, "traceback": ""}
                )
            _HANDLER = handler
            _MSG = Msg()
            child_init = getattr(handler, "child_init", None)
            if callable(child_init):
                child_init(1)
    except KeyboardInterrupt as e:
        return json.dumps({"interrupted": True, "line": _where(e.__traceback__)})
    except BaseException as e:
        return json.dumps(
            {"error": _describe(e), "line": _where(e.__traceback__), "traceback": _traceback(e)}
        )
    finally:
        _STATE[1] = False
    return json.dumps({"functions": _functions()})


def _warm_up():
    for _ in range(3):
        try:
            {}["x"]
        except KeyError as e:
            _traceback(e)
            _describe(e)
        json.loads(json.dumps({"a": [1, "b", None, 2.5]}))
        f"{1} {'a'!r} {2.5:.1f}"
        "a,b".split(",")
        sorted([3, 1, 2], key=lambda v: -v)
        [str(i) + "x" for i in range(50)]


def _drive(co):
    """Runs an `async def` route to completion. KSR calls are synchronous, so a route that
    really suspends (awaits a pending future) cannot be resumed: it is an error."""
    try:
        while True:
            co.send(None)
            co.close()
            raise RuntimeError(
                "an async route awaited something that is not ready; KSR calls are synchronous"
                " (call them without await)"
            )
    except StopIteration:
        pass


def _run_nested(name, arg, has_arg):
    """Runs a route inside a KSR call of another one (branch, onsend): the outer route goes on
    afterwards, so its exit state is kept."""
    saved = _STATE[0]
    try:
        return _run(name, arg, has_arg)
    finally:
        _STATE[0] = saved


def _run(name, arg, has_arg):
    """Runs one route. Returns None (returned), 1 (exit), 2 (drop) or a JSON string."""
    _STATE[0] = 0
    fn = _lookup(name)
    if fn is None:
        return json.dumps({"missing": True})
    try:
        if _HANDLER is not None:
            r = fn(_MSG, arg) if has_arg else fn(_MSG)
        else:
            r = fn(arg) if has_arg else fn()
        if type(r) is types.CoroutineType:
            _drive(r)
    except _RouteExit:
        pass
    except SystemExit:
        if not _STATE[0]:
            _STATE[0] = 1
    except KeyboardInterrupt as e:
        return json.dumps({"interrupted": True, "line": _where(e.__traceback__)})
    except BaseException as e:
        if not _STATE[0]:
            return json.dumps(
                {"error": _describe(e), "line": _where(e.__traceback__), "traceback": _traceback(e)}
            )
    return _STATE[0] or None
