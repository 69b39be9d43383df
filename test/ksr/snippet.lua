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
