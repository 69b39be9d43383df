# Wire-level KSR tests (Python port of cases.lua, same case names and reply reasons): each
# request names a case in X-Case; the case answers with a reply whose reason phrase carries what
# the script observed, or forwards the request to the peer given in X-Peer.

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
def methods():
    return 200, " ".join([
        "INVITE=" + b(KSR.is_INVITE()), "ACK=" + b(KSR.is_ACK()), "BYE=" + b(KSR.is_BYE()),
        "in_IB=" + b(KSR.is_method_in("IB")), "in_RO=" + b(KSR.is_method_in("RO")),
        "is_method=" + b(KSR.is_method("invite|bye")), "UDP=" + b(KSR.is_UDP()),
        "TCP=" + b(KSR.is_TCP()), "IPv4=" + b(KSR.is_IPv4()),
    ])


@case
def flags():
    r = []
    r.append(b(KSR.isflagset(3)))
    KSR.setflag(3)
    r.append(b(KSR.isflagset(3)))
    KSR.resetflag(3)
    r.append(b(KSR.isflagset(3)))
    KSR.setbflag(6)
    r.append(b(KSR.isbflagset(6)))
    r.append(b(KSR.setflag(99)))
    KSR.corex.setxflag(40)
    r.append(b(KSR.corex.isxflagset(40)))
    return 200, " ".join(r)


@case
def myself():
    return 200, " ".join([
        "ruri=" + b(KSR.is_myself_ruri()), "furi=" + b(KSR.is_myself_furi()),
        "turi=" + b(KSR.is_myself_turi()), "srcip=" + b(KSR.is_myself_srcip()),
        "alias=" + b(KSR.is_myself("sip:alice@example.org")),
        "other=" + b(KSR.is_myself("sip:alice@192.0.2.1")),
    ])


@case
def pv():
    sp = KSR.pv.get("$sp")
    return 200, "|".join([
        KSR.pv.get("$rm"), KSR.pv.get("$rU"), KSR.pv.get("$rd"), KSR.pv.get("$fU"),
        KSR.pv.get("$tU"), KSR.pv.get("$ci"), KSR.pv.get("$si"), ltype(sp),
        b(KSR.pv.get("$du")), "empty" if KSR.pv.gete("$du") == "" else "?",
        KSR.pv.getw("$du"), KSR.pv.get("$ua"), ltype(KSR.pv.get("$cs")),
        b(KSR.pv.is_null("$avp(x)")),
    ])


@case
def vars():
    KSR.pv.seti("$var(n)", 41)
    KSR.pv.sets("$avp(s)", "one")
    KSR.pv.sets("$avp(s)", "two")
    KSR.pv.sets("$shv(hits)", "x")
    n = KSR.pv.get("$var(n)") + 1
    KSR.pv.unset("$var(n)")
    return 200, " ".join([
        b(n), KSR.pv.get("$avp(s)"), b(KSR.pv.is_null("$var(n)")), b(KSR.pv.get("$var(n)")),
        KSR.pv.get("$shv(hits)"),
    ])


@case
def headers():
    r = [
        b(KSR.hdr.is_present("X-Case")), b(KSR.hdr.is_present("X-Absent")), KSR.hdr.get("Subject"),
        b(KSR.hdr.get("X-Absent")), KSR.hdr.get_idx("X-Multi", 1), KSR.hdr.get_idx("X-Multi", -1),
        b(KSR.textops.is_present_hf("Subject")), b(KSR.textops.search("^Subject: hello")),
        b(KSR.siputils.has_totag()), b(KSR.siputils.is_request()), b(KSR.siputils.is_reply()),
        b(KSR.corex.has_ruri_user()), b(KSR.corex.has_user_agent()), b(KSR.textops.has_body()),
    ]
    return 200, " ".join(r)


@case
def rewrite():
    KSR.hdr.append("X-Added: yes\r\n")
    KSR.hdr.remove("Subject")
    KSR.setuser("bob")
    KSR.sethost("127.0.0.1")
    KSR.setdsturi(KSR.hdr.get("X-Peer"))
    KSR.textops.append_hf("X-Appended: 1\r\n")
    if KSR.forward() < 0:
        return 500, "forward failed"


@case
def forward_uri():
    KSR.forward_uri(KSR.hdr.get("X-Peer"))


@case
def seturi():
    KSR.seturi("sip:carol@127.0.0.1")
    KSR.pv.sets("$du", KSR.hdr.get("X-Peer"))
    KSR.forward()


@case
def maxfwd():
    r = KSR.maxfwd.process_maxfwd(10)
    if r < 0:
        return 483, "Too Many Hops"
    return 200, "maxfwd=" + b(r) + " lt=" + b(KSR.maxfwd.is_maxfwd_lt(5))


@case
def exit_in_pcall():
    # A bare except catches everything Python can raise; exit still ends the route.
    try:
        KSR.x.exit()
    except:  # noqa: E722
        pass
    # Never reached: after exit every KSR call ends the route again.
    KSR.sl.sl_send_reply(299, "after exit")


@case
def drop():
    KSR.x.drop()


@case
def error():
    t = None
    return 200, t.field


@case
def loop():
    i = 0
    while True:
        i = i + 1


@case
def pcall_loop():
    # pcall's counterpart: catches every error the script can make, not the CPU abort.
    while True:
        try:
            x = 0
            for _ in range(1000):
                x = x + 1
        except Exception:
            pass


@case
def async_locals():
    before = KSR.pv.get("$ci")
    KSR.info("about to forward\n")
    ok = KSR.forward_uri(KSR.hdr.get("X-Peer"))
    return 200, "ci=" + before + " ok=" + b(ok)


@case
def route():
    KSR.route("named_route")
    return 200, "after=" + KSR.pv.get("$var(from_named)")


def named_route():
    KSR.pv.sets("$var(from_named)", "yes")


@case
def reply_error():
    KSR.sl.sl_reply_error()


@case
def log():
    KSR.info("info line\n")
    KSR.err("err line\n")
    KSR.log("warn", "warn line\n")
    return 200, "debug=" + b(KSR.get_debug())


@case
def totag():
    return 200, "tag=" + KSR.sl.get_reply_totag()


# htable and pike (test/parity/htable-pike.test.ts): X-Table names the table a case works on,
# X-IP the address.


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
    r = fn()
    if r is not None:
        KSR.sl.sl_send_reply(r[0], r[1])
