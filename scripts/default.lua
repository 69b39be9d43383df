-- polysip default routing script (Lua, Kamailio KEMI style).
--
-- The part of Kamailio's default configuration that polysip implements so far:
-- request sanity, Max-Forwards, OPTIONS keep-alives addressed to this server,
-- CANCEL and retransmission handling, in-dialog requests by loose routing,
-- Record-Route for dialog-forming requests and stateful relaying (tm),
-- digest authentication of REGISTERs and of requests from local users (auth_db
-- against the subscriber table), brute-force blocking (auth_guard), registrar
-- save/lookup and relaying to registered contacts.
-- NAT handling comes with its module (nathelper).

local FLT_ACC = 1
local FLT_ACCFAILED = 3

function ksr_request_route()
	ksr_route_reqinit()

	-- CANCEL: relayed when its INVITE transaction exists, dropped otherwise.
	if KSR.is_CANCEL() then
		if KSR.tm.t_check_trans() > 0 then
			ksr_route_relay()
		end
		return 1
	end

	-- Retransmissions of requests already in a transaction.
	if not KSR.is_ACK() then
		if KSR.tmx.t_precheck_trans() > 0 then
			KSR.tm.t_check_trans()
			return 1
		end
		if KSR.tm.t_check_trans() == 0 then
			return 1
		end
	end

	ksr_route_withindlg()

	-- Only initial requests (no To tag) from here on.

	ksr_route_auth()

	-- Record-Route dialog-forming requests, so in-dialog ones come back through us.
	KSR.hdr.remove("Route")
	if KSR.is_method_in("IS") then
		KSR.rr.record_route()
	end

	if KSR.is_INVITE() then
		KSR.setflag(FLT_ACC)
	end

	ksr_route_sipout()

	ksr_route_registrar()

	if KSR.corex.has_ruri_user() < 0 then
		KSR.sl.sl_send_reply(484, "Address Incomplete")
		return 1
	end

	ksr_route_location()
	return 1
end

-- Digest authentication, as Kamailio's route[AUTH].
function ksr_route_auth()
	if not KSR.auth or not KSR.auth_db then
		return 1
	end
	if KSR.permissions and KSR.permissions.allow_source_address(1) > 0 then
		-- Trusted peers (address table, group 1) are not challenged.
		return 1
	end
	if KSR.is_REGISTER() or KSR.is_myself_furi() then
		if KSR.auth_guard and KSR.auth_guard.is_blocked() > 0 then
			KSR.sl.sl_send_reply(403, "Forbidden - too many failed attempts")
			KSR.x.exit()
		end
		local rc = KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1)
		if rc == -8 then
			-- Authenticated, but as somebody else than the From (To for REGISTER) user.
			KSR.sl.sl_send_reply(403, "Forbidden - authentication user mismatch")
			KSR.x.exit()
		end
		if rc < 0 then
			if (rc == -2 or rc == -3) and KSR.auth_guard then
				KSR.auth_guard.record_failure()
			end
			-- Challenge (with stale=true after an expired nonce); 500 on an internal error.
			KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
			KSR.x.exit()
		end
		if KSR.auth_guard then
			KSR.auth_guard.reset_user()
		end
		-- The user is authenticated: the credentials need not travel further.
		if not KSR.is_method_in("RP") then
			KSR.auth.consume_credentials()
		end
	end
	if not KSR.is_myself_furi() and not KSR.is_myself_ruri() then
		KSR.sl.sl_send_reply(403, "Not relaying")
		KSR.x.exit()
	end
	return 1
end

-- REGISTER: save the bindings (the registrar sends the reply, errors included).
function ksr_route_registrar()
	if not KSR.is_REGISTER() then
		return 1
	end
	if KSR.registrar then
		KSR.registrar.save("location", 0)
	else
		KSR.sl.sl_send_reply(404, "No registrar")
	end
	KSR.x.exit()
end

-- Requests for local users: the registered contacts, as Kamailio's route[LOCATION].
function ksr_route_location()
	if not KSR.registrar then
		KSR.sl.sl_send_reply(404, "Not here")
		KSR.x.exit()
	end
	local rc = KSR.registrar.lookup("location")
	if rc < 0 then
		if KSR.tm.t_newtran() == 0 then
			KSR.x.exit()
		end
		if rc == -1 or rc == -3 then
			KSR.sl.send_reply(404, "Not Found")
		elseif rc == -2 then
			KSR.sl.send_reply(405, "Method Not Allowed")
		end
		KSR.x.exit()
	end
	ksr_route_relay()
end

-- Stateful relay, arming the per-transaction callbacks once.
function ksr_route_relay()
	if KSR.is_method_in("IBSU") then
		if KSR.tm.t_is_set("branch_route") < 0 then
			KSR.tm.t_on_branch("ksr_branch_manage")
		end
	end
	if KSR.is_method_in("ISU") then
		if KSR.tm.t_is_set("onreply_route") < 0 then
			KSR.tm.t_on_reply("ksr_onreply_manage")
		end
	end
	if KSR.is_INVITE() then
		if KSR.tm.t_is_set("failure_route") < 0 then
			KSR.tm.t_on_failure("ksr_failure_manage")
		end
	end
	if KSR.tm.t_relay() < 0 then
		KSR.sl.sl_reply_error()
	end
	KSR.x.exit()
end

-- Per-request checks, as Kamailio's route[REQINIT].
function ksr_route_reqinit()
	if not KSR.is_myself_srcip() then
		-- Flood detection (pike) and the ban list (htable) join with the security module.
	end

	if KSR.maxfwd.process_maxfwd(10) < 0 then
		KSR.sl.sl_send_reply(483, "Too Many Hops")
		KSR.x.exit()
	end

	if KSR.is_OPTIONS() and KSR.is_myself_ruri() and KSR.corex.has_ruri_user() < 0 then
		KSR.sl.sl_send_reply(200, "Keepalive")
		KSR.x.exit()
	end

	if KSR.sanity.sanity_check(17895, 7) < 0 then
		KSR.err("malformed SIP message from " .. KSR.pv.get("$si") .. ":" .. KSR.pv.get("$sp") .. "\n")
		KSR.x.exit()
	end
end

-- Requests inside a dialog (they have a To tag), as Kamailio's route[WITHINDLG].
function ksr_route_withindlg()
	if KSR.siputils.has_totag() < 0 then
		return 1
	end

	-- Follow the path set up by Record-Route.
	if KSR.rr.loose_route() > 0 then
		if KSR.is_BYE() then
			KSR.setflag(FLT_ACC)
			KSR.setflag(FLT_ACCFAILED)
		elseif KSR.is_NOTIFY() then
			-- RFC 6665: in-dialog NOTIFY is record-routed too.
			KSR.rr.record_route()
		end
		ksr_route_relay()
		KSR.x.exit()
	end

	if KSR.is_ACK() then
		if KSR.tm.t_check_trans() > 0 then
			-- No Route, but an ACK that belongs to a transaction: relay it.
			ksr_route_relay()
		end
		-- Otherwise an ACK without a transaction: dropped.
		KSR.x.exit()
	end

	KSR.sl.sl_send_reply(404, "Not here")
	KSR.x.exit()
end

-- Requests for other domains (or with $du set) are relayed.
function ksr_route_sipout()
	if KSR.isdsturiset() or not KSR.is_myself_ruri() then
		ksr_route_relay()
		KSR.x.exit()
	end
end

-- Per-branch, per-reply and failure callbacks armed by ksr_route_relay.
function ksr_branch_manage()
	KSR.dbg("new branch [" .. KSR.pv.get("$T_branch_idx") .. "] to " .. KSR.pv.get("$ru") .. "\n")
end

function ksr_onreply_manage()
	local scode = KSR.pv.get("$rs")
	if scode > 100 and scode < 299 then
		-- NAT handling of provisional and 2xx replies joins with nathelper.
	end
end

function ksr_failure_manage()
	if KSR.tm.t_is_canceled() > 0 then
		return 1
	end
end
