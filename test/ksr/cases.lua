-- Wire-level KSR tests: each request names a case in X-Case; the case answers with a reply
-- whose reason phrase carries what the script observed, or forwards the request to the
-- peer given in X-Peer (the test reads the bytes that arrive there).

local function b(v) return tostring(v) end

-- The values of a list, formatted by b and separated by spaces.
local function joined(r)
	local out = {}
	for i = 1, #r do out[i] = b(r[i]) end
	return table.concat(out, " ")
end

local cases = {}

function cases.methods()
	return 200, table.concat({
		"INVITE=" .. b(KSR.is_INVITE()), "ACK=" .. b(KSR.is_ACK()), "BYE=" .. b(KSR.is_BYE()),
		"in_IB=" .. b(KSR.is_method_in("IB")), "in_RO=" .. b(KSR.is_method_in("RO")),
		"is_method=" .. b(KSR.is_method("invite|bye")), "UDP=" .. b(KSR.is_UDP()),
		"TCP=" .. b(KSR.is_TCP()), "IPv4=" .. b(KSR.is_IPv4()),
	}, " ")
end

function cases.flags()
	local r = {}
	r[#r + 1] = b(KSR.isflagset(3))
	KSR.setflag(3)
	r[#r + 1] = b(KSR.isflagset(3))
	KSR.resetflag(3)
	r[#r + 1] = b(KSR.isflagset(3))
	KSR.setbflag(6)
	r[#r + 1] = b(KSR.isbflagset(6))
	r[#r + 1] = b(KSR.setflag(99))
	KSR.corex.setxflag(40)
	r[#r + 1] = b(KSR.corex.isxflagset(40))
	return 200, table.concat(r, " ")
end

function cases.myself()
	return 200, table.concat({
		"ruri=" .. b(KSR.is_myself_ruri()), "furi=" .. b(KSR.is_myself_furi()),
		"turi=" .. b(KSR.is_myself_turi()), "srcip=" .. b(KSR.is_myself_srcip()),
		"alias=" .. b(KSR.is_myself("sip:alice@example.org")),
		"other=" .. b(KSR.is_myself("sip:alice@192.0.2.1")),
	}, " ")
end

function cases.pv()
	local sp = KSR.pv.get("$sp")
	return 200, table.concat({
		KSR.pv.get("$rm"), KSR.pv.get("$rU"), KSR.pv.get("$rd"), KSR.pv.get("$fU"),
		KSR.pv.get("$tU"), KSR.pv.get("$ci"), KSR.pv.get("$si"), type(sp),
		tostring(KSR.pv.get("$du")), KSR.pv.gete("$du") == "" and "empty" or "?",
		KSR.pv.getw("$du"), KSR.pv.get("$ua"), type(KSR.pv.get("$cs")),
		tostring(KSR.pv.is_null("$avp(x)")),
	}, "|")
end

function cases.vars()
	KSR.pv.seti("$var(n)", 41)
	KSR.pv.sets("$avp(s)", "one")
	KSR.pv.sets("$avp(s)", "two")
	KSR.pv.sets("$shv(hits)", "x")
	local n = KSR.pv.get("$var(n)") + 1
	KSR.pv.unset("$var(n)")
	return 200, table.concat({ b(n), KSR.pv.get("$avp(s)"), b(KSR.pv.is_null("$var(n)")), b(KSR.pv.get("$var(n)")), KSR.pv.get("$shv(hits)") }, " ")
end

function cases.headers()
	local r = {
		b(KSR.hdr.is_present("X-Case")), b(KSR.hdr.is_present("X-Absent")), KSR.hdr.get("Subject"),
		tostring(KSR.hdr.get("X-Absent")), KSR.hdr.get_idx("X-Multi", 1), KSR.hdr.get_idx("X-Multi", -1),
		b(KSR.textops.is_present_hf("Subject")), b(KSR.textops.search("^Subject: hello")),
		b(KSR.siputils.has_totag()), b(KSR.siputils.is_request()), b(KSR.siputils.is_reply()),
		b(KSR.corex.has_ruri_user()), b(KSR.corex.has_user_agent()), b(KSR.textops.has_body()),
	}
	return 200, table.concat(r, " ")
end

function cases.rewrite()
	KSR.hdr.append("X-Added: yes\r\n")
	KSR.hdr.remove("Subject")
	KSR.setuser("bob")
	KSR.sethost("127.0.0.1")
	KSR.setdsturi(KSR.hdr.get("X-Peer"))
	KSR.textops.append_hf("X-Appended: 1\r\n")
	if KSR.forward() < 0 then return 500, "forward failed" end
end

function cases.forward_uri()
	KSR.forward_uri(KSR.hdr.get("X-Peer"))
end

function cases.seturi()
	KSR.seturi("sip:carol@127.0.0.1")
	KSR.pv.sets("$du", KSR.hdr.get("X-Peer"))
	KSR.forward()
end

function cases.maxfwd()
	local r = KSR.maxfwd.process_maxfwd(10)
	if r < 0 then return 483, "Too Many Hops" end
	return 200, "maxfwd=" .. r .. " lt=" .. b(KSR.maxfwd.is_maxfwd_lt(5))
end

function cases.exit_in_pcall()
	pcall(function() KSR.x.exit() end)
	-- Never reached: exit unwinds through the script's own pcall.
	KSR.sl.sl_send_reply(299, "after exit")
end

function cases.drop()
	KSR.x.drop()
end

function cases.error()
	local t = nil
	return 200, t.field
end

function cases.loop()
	local i = 0
	while true do i = i + 1 end
end

function cases.pcall_loop()
	while true do pcall(function() local x = 0; for _ = 1, 1000 do x = x + 1 end end) end
end

function cases.async_locals()
	local before = KSR.pv.get("$ci")
	KSR.info("about to forward\n")
	local ok = KSR.forward_uri(KSR.hdr.get("X-Peer"))
	return 200, "ci=" .. before .. " ok=" .. ok
end

function cases.route()
	KSR.route("named_route")
	return 200, "after=" .. KSR.pv.get("$var(from_named)")
end

function named_route()
	KSR.pv.sets("$var(from_named)", "yes")
end

function cases.reply_error()
	KSR.sl.sl_reply_error()
end

function cases.log()
	KSR.info("info line\n")
	KSR.err("err line\n")
	KSR.log("warn", "warn line\n")
	return 200, "debug=" .. KSR.get_debug()
end

function cases.totag()
	return 200, "tag=" .. KSR.sl.get_reply_totag()
end

-- htable and pike (test/parity/htable-pike.test.ts): X-Table names the table a case works on,
-- X-IP the address.

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
	return 200, joined(r)
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
	return 200, joined(r)
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
	return 200, joined(r)
end

function cases.sht_lock()
	local T = KSR.hdr.get("X-Table")
	local h = KSR.htable
	local r = {
		h.sht_lock(T, "k"), h.sht_lock(T, "k"), h.sht_unlock(T, "k"), h.sht_unlock(T, "k"),
		h.sht_unlock(T, "k"),
	}
	return 200, joined(r)
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
	if code then
		KSR.sl.sl_send_reply(code, reason)
	end
end
