-- Brute-force defence for REGISTER, the Kamailio way: failed digest authentications are
-- counted in htables, per user and per source address, and a user or an address with too
-- many recent failures gets 403 without being challenged again, until the block expires.
--
-- The auth part is scripts/default.lua's, with the counting done in the script (htable)
-- instead of the built-in auth_guard, so every number below is yours to change.

local MAX_FAILURES = 5     -- failures before a block
local BLOCK_SECONDS = 300  -- how long failures count, and so how long a block lasts

-- Tables are created on first use; each item gets its own expiry (sht_setex), so no table
-- definition is needed. With one ("userban=>autoexpire=300;"), the expiry could live there.
local USERS = "userban"
local SOURCES = "ipban"

function ksr_request_route()
	if KSR.maxfwd.process_maxfwd(10) < 0 then
		KSR.sl.sl_send_reply(483, "Too Many Hops")
		KSR.x.exit()
	end
	if KSR.is_OPTIONS() and KSR.is_myself_ruri() then
		KSR.sl.sl_send_reply(200, "Keepalive")
		KSR.x.exit()
	end
	if not KSR.is_REGISTER() then
		KSR.sl.sl_send_reply(403, "Only REGISTER here")
		KSR.x.exit()
	end
	ksr_route_auth()
	KSR.registrar.save("location", 0)
end

-- Too many failures from this address, or for the user named in the credentials?
local function banned(user)
	local src = KSR.htable.sht_get(SOURCES, KSR.pv.get("$si"))
	if src ~= nil and src >= MAX_FAILURES then
		return true
	end
	if user ~= nil then
		local n = KSR.htable.sht_get(USERS, user)
		if n ~= nil and n >= MAX_FAILURES then
			return true
		end
	end
	return false
end

-- One more failure for the address and the user; each count expires BLOCK_SECONDS after
-- the last failure (sht_inc returns the new count).
local function count_failure(user)
	local si = KSR.pv.get("$si")
	KSR.htable.sht_inc(SOURCES, si)
	KSR.htable.sht_setex(SOURCES, si, BLOCK_SECONDS)
	if user ~= nil then
		KSR.htable.sht_inc(USERS, user)
		KSR.htable.sht_setex(USERS, user, BLOCK_SECONDS)
	end
end

function ksr_route_auth()
	-- $au: the user name in the credentials (nil in a first REGISTER without any).
	local user = KSR.pv.get("$au")
	if banned(user) then
		-- No challenge: a blocked guesser learns nothing more, and costs us nothing more.
		KSR.sl.sl_send_reply(403, "Forbidden - too many failed attempts")
		KSR.x.exit()
	end
	local rc = KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1)
	if rc == -8 then
		KSR.sl.sl_send_reply(403, "Forbidden - authentication user mismatch")
		KSR.x.exit()
	end
	if rc < 0 then
		-- -2 wrong password, -3 unknown user: a guess. Missing credentials or a stale nonce
		-- are the normal first step of digest, not failures.
		if rc == -2 or rc == -3 then
			count_failure(user)
			if banned(user) then
				KSR.sl.sl_send_reply(403, "Forbidden - too many failed attempts")
				KSR.x.exit()
			end
		end
		KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
		KSR.x.exit()
	end
	-- Success clears the user's count (not the address's: one good password from a source
	-- must not reset the guesses made there for other users).
	KSR.htable.sht_rm(USERS, user)
	KSR.auth.consume_credentials()
end
