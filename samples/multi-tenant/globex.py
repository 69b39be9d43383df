# globex: a small PBX for the domain globex.example, in Python (Kamailio KEMI style).
#
# Python always runs in its own worker (Pyodide cannot be sandboxed in the SIP thread). The
# script sees only globex's state: its registrations, its subscribers (users @globex.example),
# its htables and $shv. Its requests are those whose R-URI host is globex.example.

import KSR as KSR

REALM = "globex.example"


def ksr_request_route():
    if KSR.maxfwd.process_maxfwd(10) < 0:
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        return 1
    # A keep-alive or a probe to the domain itself: say who answers.
    if KSR.is_OPTIONS() and KSR.corex.has_ruri_user() < 0:
        KSR.sl.sl_send_reply(200, "globex (python)")
        return 1
    if KSR.is_CANCEL():
        if KSR.tm.t_check_trans() > 0:
            KSR.tm.t_relay()
        return 1
    if KSR.is_REGISTER() or KSR.pv.get("$fd") == REALM:
        if KSR.auth_db.auth_check(REALM, "subscriber", 1) < 0:
            KSR.auth.auth_challenge(REALM, 1)
            return 1
        KSR.auth.consume_credentials()
    if KSR.is_REGISTER():
        KSR.registrar.save("location", 0)
        return 1
    if KSR.registrar.lookup("location") < 0:
        KSR.sl.sl_send_reply(404, "Not Found")
        return 1
    if KSR.tm.t_relay() < 0:
        KSR.sl.sl_reply_error()
    return 1
