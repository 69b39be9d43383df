# htable and pike KSR functions from Python (port of htable-pike.cases.lua, same cases and
# reply reasons), for test/parity/htable-pike.test.ts.

import KSR


def b(v):
    """Formats a value as Lua's tostring does, so the reasons are byte-identical."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "nil"
    return str(v)


def ltype(v):
    """Lua's type() names for the values KSR returns."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return type(v).__name__


cases = {}


def case(fn):
    cases[fn.__name__] = fn
    return fn


@case
def sht_rw():
    T = KSR.hdr.get("X-Table")
    h = KSR.htable
    r = [
        h.sht_sets(T, "a", "x"), h.sht_seti(T, "n", 5),
        h.sht_get(T, "a"), h.sht_get(T, "n"), ltype(h.sht_get(T, "n")), h.sht_get(T, "missing"),
        "[" + h.sht_gete(T, "missing") + "]", h.sht_getw(T, "missing"),
        h.sht_inc(T, "n"), h.sht_dec(T, "n"), h.sht_dec(T, "n"), h.sht_inc(T, "fresh"),
        h.sht_is_null(T, "a"), h.sht_is_null(T, "missing"),
        h.sht_setxs(T, "ex", "v", 60), h.sht_setxi(T, "exi", 7, 60), h.sht_setex(T, "a", 60),
        h.sht_inc(T, "a"),
    ]
    KSR.pv.sets("$sht(" + T + "=>pv)", "y")
    r.append(KSR.pv.get("$sht(" + T + "=>pv)"))
    r.append(KSR.pv.get("$sht(" + T + "=>n)") + 1)
    return 200, " ".join(b(v) for v in r)


@case
def sht_match():
    T = KSR.hdr.get("X-Table")
    h = KSR.htable
    h.sht_sets(T, "user:alice", "blocked")
    h.sht_sets(T, "user:bob", "ok")
    h.sht_seti(T, "src:10.0.0.1", 3)
    r = [
        h.sht_match_name(T, "eq", "user:alice"), h.sht_match_name(T, "eq", "user:carol"),
        h.sht_has_name(T, "sw", "user:"), h.sht_has_name(T, "ew", ":zed"),
        h.sht_match_name(T, "re", "^src:10\\."), h.sht_match_name(T, "in", "bo"),
        h.sht_match_str_value(T, "eq", "blocked"), h.sht_match_str_value(T, "ne", "blocked"),
        h.sht_cn(T, "sw", "user:"), h.sht_cn(T, "re", "^src"), h.sht_cn(T, "eq", "nobody"),
        h.sht_match_name(T, "bogus-op", "x"),
    ]
    return 200, " ".join(b(v) for v in r)


@case
def sht_remove():
    T = KSR.hdr.get("X-Table")
    h = KSR.htable
    for k in ["e1", "e2", "keep", "v1", "v2", "n1", "n2", "gone"]:
        h.sht_sets(T, k, "val-" + k)
    h.sht_sets(T, "v1", "drop-me")
    h.sht_sets(T, "v2", "drop-me-too")
    r = [
        h.sht_rm(T, "gone"), h.sht_get(T, "gone"), h.sht_rm(T, "gone"),
        h.sht_rm_name_re(T, "^e[0-9]$"), h.sht_get(T, "e1"), h.sht_get(T, "e2"),
        h.sht_rm_value_re(T, "^drop-"), h.sht_get(T, "v1"), h.sht_get(T, "v2"),
        h.sht_rm_name(T, "eq", "n1"), h.sht_rm_value(T, "sw", "val-n"), h.sht_get(T, "n2"),
        h.sht_rm_name_re(T, "(unclosed"),
        h.sht_get(T, "keep"), h.sht_cn(T, "re", "."),
        h.sht_reset(T), h.sht_cn(T, "re", "."),
    ]
    return 200, " ".join(b(v) for v in r)


@case
def sht_lock():
    T = KSR.hdr.get("X-Table")
    h = KSR.htable
    r = [
        h.sht_lock(T, "k"), h.sht_lock(T, "k"), h.sht_unlock(T, "k"), h.sht_unlock(T, "k"),
        h.sht_unlock(T, "k"),
    ]
    return 200, " ".join(b(v) for v in r)


# A later request sees what an earlier one stored (the table lives in the server).
@case
def sht_persist():
    T = KSR.hdr.get("X-Table")
    before = KSR.htable.sht_get(T, "hits")
    now = KSR.htable.sht_inc(T, "hits")
    return 200, b(before) + " " + b(now)


@case
def pike():
    ip = KSR.hdr.get("X-IP")
    p = KSR.pike
    # Runs of equal results, so the reply stays short: "1x29 -2x1 -1x2".
    runs = []
    last = None
    n = 0
    for _ in range(32):
        rc = p.pike_check_ip(ip)
        if rc == last:
            n += 1
        else:
            if last is not None:
                runs.append(b(last) + "x" + b(n))
            last, n = rc, 1
    runs.append(b(last) + "x" + b(n))
    return 200, " ".join(runs) + " req=" + b(p.pike_check_req()) + " bad=" + b(p.pike_check_ip("not-an-ip"))


def ksr_request_route():
    name = KSR.hdr.get("X-Case")
    fn = cases.get(name) if name is not None else None
    if fn is None:
        KSR.sl.sl_send_reply(404, "no case " + b(name))
        return
    code, reason = fn()
    KSR.sl.sl_send_reply(code, reason)
