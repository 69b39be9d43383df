-- polysip default routing script (Lua, Kamailio KEMI style).
--
-- The part of Kamailio's default configuration that polysip implements so far:
-- request sanity, Max-Forwards, OPTIONS keep-alives addressed to this server,
-- then stateless forwarding to $du (or a non-local R-URI); anything else gets 404.
-- Stateful relaying, loose routing, registration and authentication join as their
-- modules land (tm, rr, registrar, auth).

local FLT_ACC = 1

function ksr_request_route()
	ksr_route_reqinit()

	if KSR.is_CANCEL() or KSR.is_ACK() then
		-- Without transactions, CANCEL and ACK follow the request statelessly.
		ksr_route_forward()
		KSR.x.exit()
	end

	if KSR.is_INVITE() then
		KSR.setflag(FLT_ACC)
	end

	ksr_route_forward()
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

-- Stateless relay: to $du when set, else to the R-URI when it is not us.
function ksr_route_forward()
	if KSR.isdsturiset() or not KSR.is_myself_ruri() then
		if KSR.forward() < 0 then
			KSR.sl.sl_reply_error()
		end
		KSR.x.exit()
	end
	if KSR.is_ACK() then
		KSR.x.exit()
	end
	KSR.sl.sl_send_reply(404, "Not here")
	KSR.x.exit()
end
