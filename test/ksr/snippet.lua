-- Runs the Lua snippet carried in the request body: a KSR function test per request.
-- The snippet may return (code, reason) for the reply, or act itself (forward, drop…).
function ksr_request_route()
	local code = KSR.pv.get("$rb")
	local chunk, err = load(code, "=snippet", "t")
	if not chunk then
		KSR.sl.sl_send_reply(400, "bad snippet: " .. err)
		return
	end
	local status, reason = chunk()
	if status then
		KSR.sl.sl_send_reply(status, reason)
	end
end

function helper_route()
	KSR.pv.sets("$var(helper)", "ran")
end

-- Runs before every relayed request leaves; requests marked X-Drop-On-Send stay home.
function ksr_onsend_route()
	if KSR.hdr.is_present("X-Drop-On-Send") > 0 then
		KSR.pv.sets("$shv(snd)", KSR.pv.get("$snd(proto)") .. ":" .. KSR.pv.get("$snd(ip)") .. ":" .. KSR.pv.get("$snd(port)"))
		KSR.set_drop()
	end
end
