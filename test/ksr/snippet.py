# Runs the Python snippet carried in the request body: a KSR function test per request (port of
# snippet.lua). The snippet is the body of a function, so it may `return code, reason` for the
# reply, or act itself (forward, drop...).

import KSR


def b(v):
    """Formats a value as Lua's tostring does, so the reasons match the Lua snippets'."""
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


def ksr_request_route():
    code = KSR.pv.get("$rb")
    source = "def _snippet():\n" + "".join("    " + line + "\n" for line in code.split("\n"))
    try:
        compiled = compile(source, "snippet", "exec")
    except SyntaxError as e:
        KSR.sl.sl_send_reply(400, "bad snippet: " + str(e))
        return
    scope = {"KSR": KSR, "b": b, "ltype": ltype}
    exec(compiled, scope)
    r = scope["_snippet"]()
    if r is not None:
        KSR.sl.sl_send_reply(r[0], r[1])


def helper_route():
    KSR.pv.sets("$var(helper)", "ran")


# Runs before every relayed request leaves; requests marked X-Drop-On-Send stay home.
def ksr_onsend_route():
    if KSR.hdr.is_present("X-Drop-On-Send") > 0:
        KSR.pv.sets(
            "$shv(snd)",
            KSR.pv.get("$snd(proto)")
            + ":"
            + KSR.pv.get("$snd(ip)")
            + ":"
            + str(KSR.pv.get("$snd(port)")),
        )
        KSR.set_drop()
