-- htable and pike KSR functions from Lua, for test/parity/htable-pike.test.ts: each request
-- names a case in X-Case and the table (X-Table) or address (X-IP) it works on; the reply's
-- reason phrase carries what the script observed (values as Lua's tostring formats them).

local function b(v) return tostring(v) end

local cases = {}

function cases.sht_rw()
	local T = KSR.hdr.get("X-Table")
	local h = KSR.htable
	local r = {
		h.sht_sets(T, "a", "x"), h.sht_seti(T, "n", 5),
		h.sht_get(T, "a"), h.sht_get(T, "n"), type(h.sht_get(T, "n")), h.sht_get(T, "missing"),
		"[" .. h.sht_gete(T, "missing") .. "]", h.sht_getw(T, "missing"),
		h.sht_inc(T, "n"), h.sht_dec(T, "n"), h.sht_dec(T, "n"), h.sht_inc(T, "fresh"),
		h.sht_is_null(T, "a"), h.sht_is_null(T, "missing"),
		h.sht_setxs(T, "ex", "v", 60), h.sht_setxi(T, "exi", 7, 60), h.sht_setex(T, "a", 60),
		h.sht_inc(T, "a"),
	}
	KSR.pv.sets("$sht(" .. T .. "=>pv)", "y")
	r[#r + 1] = KSR.pv.get("$sht(" .. T .. "=>pv)")
	r[#r + 1] = KSR.pv.get("$sht(" .. T .. "=>n)") + 1
	for i = 1, #r do r[i] = b(r[i]) end
	return 200, table.concat(r, " ")
end

function cases.sht_match()
	local T = KSR.hdr.get("X-Table")
	local h = KSR.htable
	h.sht_sets(T, "user:alice", "blocked")
	h.sht_sets(T, "user:bob", "ok")
	h.sht_seti(T, "src:10.0.0.1", 3)
	local r = {
		h.sht_match_name(T, "eq", "user:alice"), h.sht_match_name(T, "eq", "user:carol"),
		h.sht_has_name(T, "sw", "user:"), h.sht_has_name(T, "ew", ":zed"),
		h.sht_match_name(T, "re", "^src:10\\."), h.sht_match_name(T, "in", "bo"),
		h.sht_match_str_value(T, "eq", "blocked"), h.sht_match_str_value(T, "ne", "blocked"),
		h.sht_cn(T, "sw", "user:"), h.sht_cn(T, "re", "^src"), h.sht_cn(T, "eq", "nobody"),
		h.sht_match_name(T, "bogus-op", "x"),
	}
	for i = 1, #r do r[i] = b(r[i]) end
	return 200, table.concat(r, " ")
end

function cases.sht_remove()
	local T = KSR.hdr.get("X-Table")
	local h = KSR.htable
	for _, k in ipairs({ "e1", "e2", "keep", "v1", "v2", "n1", "n2", "gone" }) do
		h.sht_sets(T, k, "val-" .. k)
	end
	h.sht_sets(T, "v1", "drop-me")
	h.sht_sets(T, "v2", "drop-me-too")
	local r = {
		h.sht_rm(T, "gone"), b(h.sht_get(T, "gone")), h.sht_rm(T, "gone"),
		h.sht_rm_name_re(T, "^e[0-9]$"), b(h.sht_get(T, "e1")), b(h.sht_get(T, "e2")),
		h.sht_rm_value_re(T, "^drop-"), b(h.sht_get(T, "v1")), b(h.sht_get(T, "v2")),
		h.sht_rm_name(T, "eq", "n1"), h.sht_rm_value(T, "sw", "val-n"), b(h.sht_get(T, "n2")),
		h.sht_rm_name_re(T, "(unclosed"),
		h.sht_get(T, "keep"), h.sht_cn(T, "re", "."),
		h.sht_reset(T), h.sht_cn(T, "re", "."),
	}
	for i = 1, #r do r[i] = b(r[i]) end
	return 200, table.concat(r, " ")
end

function cases.sht_lock()
	local T = KSR.hdr.get("X-Table")
	local h = KSR.htable
	local r = {
		h.sht_lock(T, "k"), h.sht_lock(T, "k"), h.sht_unlock(T, "k"), h.sht_unlock(T, "k"),
		h.sht_unlock(T, "k"),
	}
	for i = 1, #r do r[i] = b(r[i]) end
	return 200, table.concat(r, " ")
end

-- A later request sees what an earlier one stored (the table lives in the server).
function cases.sht_persist()
	local T = KSR.hdr.get("X-Table")
	local h = KSR.htable
	local before = h.sht_get(T, "hits")
	local now = h.sht_inc(T, "hits")
	return 200, b(before) .. " " .. b(now)
end

function cases.pike()
	local ip = KSR.hdr.get("X-IP")
	local p = KSR.pike
	-- Runs of equal results, so the reply stays short: "1x29 -2x1 -1x2".
	local runs, last, n = {}, nil, 0
	for _ = 1, 32 do
		local rc = p.pike_check_ip(ip)
		if rc == last then
			n = n + 1
		else
			if last ~= nil then runs[#runs + 1] = b(last) .. "x" .. b(n) end
			last, n = rc, 1
		end
	end
	runs[#runs + 1] = b(last) .. "x" .. b(n)
	return 200, table.concat(runs, " ") .. " req=" .. b(p.pike_check_req()) .. " bad=" .. b(p.pike_check_ip("not-an-ip"))
end

function ksr_request_route()
	local name = KSR.hdr.get("X-Case")
	local case = name and cases[name]
	if not case then
		KSR.sl.sl_send_reply(404, "no case " .. tostring(name))
		return
	end
	local code, reason = case()
	KSR.sl.sl_send_reply(code, reason)
end
