# polysip default routing script (Python, Kamailio KEMI style: module-level functions as
# app_python3s). Same behaviour as scripts/default.lua.
#
# The part of Kamailio's default configuration that polysip implements so far:
# request sanity, Max-Forwards, OPTIONS keep-alives addressed to this server,
# CANCEL and retransmission handling, in-dialog requests by loose routing,
# Record-Route for dialog-forming requests and stateful relaying (tm),
# digest authentication of REGISTERs and of requests from local users (auth_db
# against the subscriber table), brute-force blocking (auth_guard), registrar
# save/lookup and relaying to registered contacts.
# NAT handling comes with its module (nathelper).
#
# KSR.x.exit() ends the whole route (sys.exit() does too, as in Kamailio). Functions that
# return int are compared with > 0 / < 0; only bool ones (KSR.is_*) are used directly in `if`.

import KSR as KSR

FLT_ACC = 1
FLT_ACCFAILED = 3

def has(module):
    """A module is absent from KSR when it is not loaded (Kamailio scripts test for it)."""
    return hasattr(KSR, module)


def ksr_request_route():
    ksr_route_reqinit()

    # CANCEL: relayed when its INVITE transaction exists, dropped otherwise.
    if KSR.is_CANCEL():
        if KSR.tm.t_check_trans() > 0:
            ksr_route_relay()
        return 1

    # Retransmissions of requests already in a transaction.
    if not KSR.is_ACK():
        if KSR.tmx.t_precheck_trans() > 0:
            KSR.tm.t_check_trans()
            return 1
        if KSR.tm.t_check_trans() == 0:
            return 1

    ksr_route_withindlg()

    # Only initial requests (no To tag) from here on.

    ksr_route_auth()

    # Record-Route dialog-forming requests, so in-dialog ones come back through us.
    KSR.hdr.remove("Route")
    if KSR.is_method_in("IS"):
        KSR.rr.record_route()

    if KSR.is_INVITE():
        KSR.setflag(FLT_ACC)

    ksr_route_sipout()

    ksr_route_registrar()

    if KSR.corex.has_ruri_user() < 0:
        KSR.sl.sl_send_reply(484, "Address Incomplete")
        return 1

    ksr_route_location()
    return 1


# Digest authentication, as Kamailio's route[AUTH].
def ksr_route_auth():
    if not has("auth") or not has("auth_db"):
        return 1
    if has("permissions") and KSR.permissions.allow_source_address(1) > 0:
        # Trusted peers (address table, group 1) are not challenged.
        return 1
    if KSR.is_REGISTER() or KSR.is_myself_furi():
        if has("auth_guard") and KSR.auth_guard.is_blocked() > 0:
            KSR.sl.sl_send_reply(403, "Forbidden - too many failed attempts")
            KSR.x.exit()
        rc = KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1)
        if rc == -8:
            # Authenticated, but as somebody else than the From (To for REGISTER) user.
            KSR.sl.sl_send_reply(403, "Forbidden - authentication user mismatch")
            KSR.x.exit()
        if rc < 0:
            if (rc == -2 or rc == -3) and has("auth_guard"):
                KSR.auth_guard.record_failure()
            # Challenge (with stale=true after an expired nonce); 500 on an internal error.
            KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
            KSR.x.exit()
        if has("auth_guard"):
            KSR.auth_guard.reset_user()
        # The user is authenticated: the credentials need not travel further.
        if not KSR.is_method_in("RP"):
            KSR.auth.consume_credentials()
    if not KSR.is_myself_furi() and not KSR.is_myself_ruri():
        KSR.sl.sl_send_reply(403, "Not relaying")
        KSR.x.exit()
    return 1


# REGISTER: save the bindings (the registrar sends the reply, errors included).
def ksr_route_registrar():
    if not KSR.is_REGISTER():
        return 1
    if has("registrar"):
        KSR.registrar.save("location", 0)
    else:
        KSR.sl.sl_send_reply(404, "No registrar")
    KSR.x.exit()


# Requests for local users: the registered contacts, as Kamailio's route[LOCATION].
def ksr_route_location():
    if not has("registrar"):
        KSR.sl.sl_send_reply(404, "Not here")
        KSR.x.exit()
    rc = KSR.registrar.lookup("location")
    if rc < 0:
        if KSR.tm.t_newtran() == 0:
            KSR.x.exit()
        if rc == -1 or rc == -3:
            KSR.sl.send_reply(404, "Not Found")
        elif rc == -2:
            KSR.sl.send_reply(405, "Method Not Allowed")
        KSR.x.exit()
    ksr_route_relay()


# Stateful relay, arming the per-transaction callbacks once.
def ksr_route_relay():
    if KSR.is_method_in("IBSU"):
        if KSR.tm.t_is_set("branch_route") < 0:
            KSR.tm.t_on_branch("ksr_branch_manage")
    if KSR.is_method_in("ISU"):
        if KSR.tm.t_is_set("onreply_route") < 0:
            KSR.tm.t_on_reply("ksr_onreply_manage")
    if KSR.is_INVITE():
        if KSR.tm.t_is_set("failure_route") < 0:
            KSR.tm.t_on_failure("ksr_failure_manage")
    if KSR.tm.t_relay() < 0:
        KSR.sl.sl_reply_error()
    KSR.x.exit()


# Per-request checks, as Kamailio's route[REQINIT].
def ksr_route_reqinit():
    if not KSR.is_myself_srcip():
        # Flood detection (pike) and the ban list (htable) join with the security module.
        pass

    if KSR.maxfwd.process_maxfwd(10) < 0:
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        KSR.x.exit()

    if KSR.is_OPTIONS() and KSR.is_myself_ruri() and KSR.corex.has_ruri_user() < 0:
        KSR.sl.sl_send_reply(200, "Keepalive")
        KSR.x.exit()

    if KSR.sanity.sanity_check(17895, 7) < 0:
        KSR.err(
            "malformed SIP message from "
            + str(KSR.pv.get("$si"))
            + ":"
            + str(KSR.pv.get("$sp"))
            + "\n"
        )
        KSR.x.exit()


# Requests inside a dialog (they have a To tag), as Kamailio's route[WITHINDLG].
def ksr_route_withindlg():
    if KSR.siputils.has_totag() < 0:
        return 1

    # Follow the path set up by Record-Route.
    if KSR.rr.loose_route() > 0:
        if KSR.is_BYE():
            KSR.setflag(FLT_ACC)
            KSR.setflag(FLT_ACCFAILED)
        elif KSR.is_NOTIFY():
            # RFC 6665: in-dialog NOTIFY is record-routed too.
            KSR.rr.record_route()
        ksr_route_relay()
        KSR.x.exit()

    if KSR.is_ACK():
        if KSR.tm.t_check_trans() > 0:
            # No Route, but an ACK that belongs to a transaction: relay it.
            ksr_route_relay()
        # Otherwise an ACK without a transaction: dropped.
        KSR.x.exit()

    KSR.sl.sl_send_reply(404, "Not here")
    KSR.x.exit()


# Requests for other domains (or with $du set) are relayed.
def ksr_route_sipout():
    if KSR.isdsturiset() or not KSR.is_myself_ruri():
        ksr_route_relay()
        KSR.x.exit()


# Per-branch, per-reply and failure callbacks armed by ksr_route_relay.
def ksr_branch_manage():
    KSR.dbg(
        "new branch ["
        + str(KSR.pv.get("$T_branch_idx"))
        + "] to "
        + str(KSR.pv.get("$ru"))
        + "\n"
    )


def ksr_onreply_manage():
    scode = KSR.pv.get("$rs")
    if scode > 100 and scode < 299:
        # NAT handling of provisional and 2xx replies joins with nathelper.
        pass


def ksr_failure_manage():
    if KSR.tm.t_is_canceled() > 0:
        return 1
