-- acme: a small PBX for the domain acme.example, in Lua.
--
-- It runs isolated (a worker thread the server can end) and sees only acme's state: its
-- registrations, its subscribers (users @acme.example), its htables and $shv. Its requests
-- are those whose R-URI host is acme.example (see polysip.yaml).

local REALM = "acme.example"

function ksr_request_route()
	if KSR.maxfwd.process_maxfwd(10) < 0 then
		KSR.sl.sl_send_reply(483, "Too Many Hops")
		return 1
	end
	-- A keep-alive or a probe to the domain itself: say who answers.
	if KSR.is_OPTIONS() and KSR.corex.has_ruri_user() < 0 then
		KSR.sl.sl_send_reply(200, "acme (lua)")
		return 1
	end
	if KSR.is_CANCEL() then
		if KSR.tm.t_check_trans() > 0 then
			KSR.tm.t_relay()
		end
		return 1
	end
	if KSR.is_REGISTER() or KSR.pv.get("$fd") == REALM then
		local rc = KSR.auth_db.auth_check(REALM, "subscriber", 1)
		if rc < 0 then
			KSR.auth.auth_challenge(REALM, 1)
			return 1
		end
		KSR.auth.consume_credentials()
	end
	if KSR.is_REGISTER() then
		KSR.registrar.save("location", 0)
		return 1
	end
	-- Calls between acme's users, counted per caller in acme's own htable.
	KSR.htable.sht_inc("calls", KSR.pv.get("$fU") or "")
	local rc = KSR.registrar.lookup("location")
	if rc < 0 then
		KSR.sl.sl_send_reply(404, "Not Found")
		return 1
	end
	if KSR.tm.t_relay() < 0 then
		KSR.sl.sl_reply_error()
	end
	return 1
end
