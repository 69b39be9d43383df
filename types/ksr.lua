---@meta
-- Generated from the KSR export registry. Do not edit.

---@class KSR
---@field auth KSR.auth
---@field auth_db KSR.auth_db
---@field auth_guard KSR.auth_guard
---@field corex KSR.corex
---@field group KSR.group
---@field hdr KSR.hdr
---@field htable KSR.htable
---@field maxfwd KSR.maxfwd
---@field permissions KSR.permissions
---@field pike KSR.pike
---@field pv KSR.pv
---@field registrar KSR.registrar
---@field rr KSR.rr
---@field sanity KSR.sanity
---@field siputils KSR.siputils
---@field sl KSR.sl
---@field textops KSR.textops
---@field tm KSR.tm
---@field tmx KSR.tmx
---@field x KSR.x
KSR = {}

--- Writes the text to the log at crit level (no PV expansion).
---@param msg string
---@return false
function KSR.crit(msg) end

--- Writes the text to the log at dbg level (no PV expansion).
---@param msg string
---@return false
function KSR.dbg(msg) end

--- Writes the text to the log at err level (no PV expansion).
---@param msg string
---@return false
function KSR.err(msg) end

--- Acts as if the top Via had rport: replies go back to the source ip:port.
---@return boolean
function KSR.force_rport() end

--- Forwards the request statelessly to $du, else the R-URI; 1 when sent, -1 otherwise.
---@return integer
function KSR.forward() end

--- Forwards the request statelessly to the given SIP URI; 1 when sent, -1 otherwise.
---@param uri string
---@return integer
function KSR.forward_uri(uri) end

--- The current log level as Kamailio's debug number (3 debug, 2 info, 0 warn, -1 err).
---@return integer
function KSR.get_debug() end

--- Writes the text to the log at info level (no PV expansion).
---@param msg string
---@return false
function KSR.info(msg) end

--- True when the method (CSeq method of a reply) is ACK.
---@return boolean
function KSR.is_ACK() end

--- True when the method (CSeq method of a reply) is BYE.
---@return boolean
function KSR.is_BYE() end

--- True when the method (CSeq method of a reply) is CANCEL.
---@return boolean
function KSR.is_CANCEL() end

--- True when the method (CSeq method of a reply) is DELETE.
---@return boolean
function KSR.is_DELETE() end

--- True when the method (CSeq method of a reply) is GET.
---@return boolean
function KSR.is_GET() end

--- True when the method (CSeq method of a reply) is INFO.
---@return boolean
function KSR.is_INFO() end

--- True when the method (CSeq method of a reply) is INVITE.
---@return boolean
function KSR.is_INVITE() end

--- True when received over IPv4.
---@return boolean
function KSR.is_IPv4() end

--- True when received over IPv6.
---@return boolean
function KSR.is_IPv6() end

--- True when the method (CSeq method of a reply) is KDMQ.
---@return boolean
function KSR.is_KDMQ() end

--- True when the method (CSeq method of a reply) is MESSAGE.
---@return boolean
function KSR.is_MESSAGE() end

--- True when the method (CSeq method of a reply) is NOTIFY.
---@return boolean
function KSR.is_NOTIFY() end

--- True when the method (CSeq method of a reply) is OPTIONS.
---@return boolean
function KSR.is_OPTIONS() end

--- True when the method (CSeq method of a reply) is POST.
---@return boolean
function KSR.is_POST() end

--- True when the method (CSeq method of a reply) is PRACK.
---@return boolean
function KSR.is_PRACK() end

--- True when the method (CSeq method of a reply) is PUBLISH.
---@return boolean
function KSR.is_PUBLISH() end

--- True when the method (CSeq method of a reply) is PUT.
---@return boolean
function KSR.is_PUT() end

--- True when the method (CSeq method of a reply) is REFER.
---@return boolean
function KSR.is_REFER() end

--- True when the method (CSeq method of a reply) is REGISTER.
---@return boolean
function KSR.is_REGISTER() end

--- True when the message was received over SCTP.
---@return boolean
function KSR.is_SCTP() end

--- True when the method (CSeq method of a reply) is SUBSCRIBE.
---@return boolean
function KSR.is_SUBSCRIBE() end

--- True when the message was received over TCP.
---@return boolean
function KSR.is_TCP() end

--- True when received over a TCP-based transport (TCP, TLS, WS, WSS).
---@return boolean
function KSR.is_TCPX() end

--- True when the message was received over TLS.
---@return boolean
function KSR.is_TLS() end

--- True when the message was received over UDP.
---@return boolean
function KSR.is_UDP() end

--- True when the method (CSeq method of a reply) is UPDATE.
---@return boolean
function KSR.is_UPDATE() end

--- True when the message was received over WS.
---@return boolean
function KSR.is_WS() end

--- True when the message was received over WSS.
---@return boolean
function KSR.is_WSS() end

--- True when received over WS or WSS.
---@return boolean
function KSR.is_WSX() end

--- True when the local receiving port equals the value.
---@param port integer
---@return boolean
function KSR.is_dst_port(port) end

--- True when the method equals the name (case-insensitive); "A|B" matches any listed.
---@param method string
---@return boolean
function KSR.is_method(method) end

--- True when the method is in the set given as letters (I=INVITE A=ACK B=BYE C=CANCEL R=REGISTER O=OPTIONS S=SUBSCRIBE N=NOTIFY P=PUBLISH M=MESSAGE F=REFER E=PRACK U=UPDATE K=KDMQ G=GET T=POST V=PUT D=DELETE).
---@param letters string
---@return boolean
function KSR.is_method_in(letters) end

--- True when the URI host:port is one of our listening addresses or aliases.
---@param uri string
---@return boolean
function KSR.is_myself(uri) end

--- True when $du points to this server.
---@return boolean
function KSR.is_myself_duri() end

--- True when the From URI is one of our domains or addresses.
---@return boolean
function KSR.is_myself_furi() end

--- True when the next hop ($du if set, else R-URI) points to this server.
---@return boolean
function KSR.is_myself_nhuri() end

--- True when the R-URI points to this server.
---@return boolean
function KSR.is_myself_ruri() end

--- True when the source IP is one of our local addresses (loop detection).
---@return boolean
function KSR.is_myself_srcip() end

--- True when the source address (ip:port:proto) is one of our sockets.
---@return boolean
function KSR.is_myself_suri() end

--- True when the To URI is one of our domains or addresses.
---@return boolean
function KSR.is_myself_turi() end

--- True when the receiving protocol matches a letter: u=UDP t=TCP e=TLS s=SCTP v=WS w=WSS.
---@param protos string
---@return boolean
function KSR.is_proto(protos) end

--- True when the source port equals the value.
---@param port integer
---@return boolean
function KSR.is_src_port(port) end

--- True when branch 0 flag is set.
---@param flag integer
---@return boolean
function KSR.isbflagset(flag) end

--- True when $du is set.
---@return boolean
function KSR.isdsturiset() end

--- True when message flag is set.
---@param flag integer
---@return boolean
function KSR.isflagset(flag) end

--- Logs at the named level (dbg, info, notice, warn, err, crit); unknown levels log as err.
---@param level string
---@param msg string
---@return false
function KSR.log(level, msg) end

--- Writes the text to the log at notice level (no PV expansion).
---@param msg string
---@return false
function KSR.notice(msg) end

--- Resets branch 0 flag (0..31).
---@param flag integer
---@return boolean
function KSR.resetbflag(flag) end

--- Clears the destination URI ($du).
---@return boolean
function KSR.resetdsturi() end

--- Resets message flag (0..31).
---@param flag integer
---@return boolean
function KSR.resetflag(flag) end

--- Calls the script's own function `name` in the same route (error if it does not exist); returns what it returns.
---@param name string
---@return string|integer|nil
function KSR.route(name) end

--- Marks the message to be dropped when the route returns; the script keeps running.
---@return false
function KSR.set_drop() end

--- Sets branch 0 flag (0..31).
---@param flag integer
---@return boolean
function KSR.setbflag(flag) end

--- Sets the destination URI ($du): where the request is sent, the R-URI unchanged.
---@param uri string
---@return boolean
function KSR.setdsturi(uri) end

--- Sets message flag (0..31).
---@param flag integer
---@return boolean
function KSR.setflag(flag) end

--- Replaces the host part of the R-URI.
---@param host string
---@return boolean
function KSR.sethost(host) end

--- Replaces the whole R-URI.
---@param uri string
---@return boolean
function KSR.seturi(uri) end

--- Replaces the user part of the R-URI.
---@param user string
---@return boolean
function KSR.setuser(user) end

--- True when the next hop host is an IPv4 literal.
---@return boolean
function KSR.to_IPv4() end

--- True when the next hop host is an IPv6 literal.
---@return boolean
function KSR.to_IPv6() end

--- True when the next hop ($du, else R-URI) uses SCTP.
---@return boolean
function KSR.to_SCTP() end

--- True when the next hop ($du, else R-URI) uses TCP.
---@return boolean
function KSR.to_TCP() end

--- True when the next hop ($du, else R-URI) uses TLS.
---@return boolean
function KSR.to_TLS() end

--- True when the next hop ($du, else R-URI) uses UDP.
---@return boolean
function KSR.to_UDP() end

--- True when the next hop ($du, else R-URI) uses WS.
---@return boolean
function KSR.to_WS() end

--- True when the next hop ($du, else R-URI) uses WSS.
---@return boolean
function KSR.to_WSS() end

--- Writes the text to the log at warn level (no PV expansion).
---@param msg string
---@return false
function KSR.warn(msg) end

---@class KSR.auth
KSR.auth = {}

--- Sets the digest algorithm of the next challenge (MD5, SHA-256, …); -1 unknown.
---@param alg string
---@return integer
function KSR.auth.auth_algorithm(alg) end

--- Sends 401 (REGISTER) or 407 challenge; flags 1 qop=auth, 2 qop=auth-int, 4 no 500 on internal error, 16 stale=true.
---@param realm string
---@param flags integer
---@return integer
function KSR.auth.auth_challenge(realm, flags) end

--- Removes the Authorization/Proxy-Authorization header that authenticated the request.
---@return integer
function KSR.auth.consume_credentials() end

--- True (1) when the request carries digest credentials for the realm.
---@param srealm string
---@return integer
function KSR.auth.has_credentials(srealm) end

--- Sends a 407 challenge (flags as auth_challenge).
---@param realm string
---@param flags integer
---@return integer
function KSR.auth.proxy_challenge(realm, flags) end

--- Checks credentials against the given password (vflags 1: it is an HA1); vchecks 1: the auth user must be the From/To user (-8).
---@param srealm string
---@param spasswd string
---@param vflags integer
---@param vchecks integer
---@return integer
function KSR.auth.pv_auth_check(srealm, spasswd, vflags, vchecks) end

--- Checks Proxy-Authorization against the given password (flags 1: HA1).
---@param realm string
---@param passwd string
---@param flags integer
---@return integer
function KSR.auth.pv_proxy_authenticate(realm, passwd, flags) end

--- Checks Authorization against the given password (flags 1: HA1).
---@param realm string
---@param passwd string
---@param flags integer
---@return integer
function KSR.auth.pv_www_authenticate(realm, passwd, flags) end

--- As pv_www_authenticate, with the method used in the digest given.
---@param realm string
---@param passwd string
---@param flags integer
---@param method string
---@return integer
function KSR.auth.pv_www_authenticate_method(realm, passwd, flags, method) end

--- Sends a 401 challenge (flags as auth_challenge).
---@param realm string
---@param flags integer
---@return integer
function KSR.auth.www_challenge(realm, flags) end

---@class KSR.auth_db
KSR.auth_db = {}

--- Digest check against the subscriber table (REGISTER: Authorization, else Proxy-Authorization). 1 ok; -1 error, -2 bad password, -3 unknown user, -4 stale nonce, -5 no credentials, -6 nonce reused, -8 auth user is not the From/To user (flag 1).
---@param srealm string
---@param stable string
---@param iflags integer
---@return integer
function KSR.auth_db.auth_check(srealm, stable, iflags) end

--- True (1) when the user@host of the URI is in the subscriber table; -1 not, -2 error.
---@param suri string
---@param stable string
---@param iflags integer
---@return integer
function KSR.auth_db.is_subscriber(suri, stable, iflags) end

--- Checks the Authorization header against the subscriber table (codes as auth_check).
---@param realm string
---@param table string
---@return integer
function KSR.auth_db.www_authenticate(realm, table) end

--- As www_authenticate, with the method used in the digest given.
---@param realm string
---@param table string
---@param method string
---@return integer
function KSR.auth_db.www_authenticate_method(realm, table, method) end

---@class KSR.auth_guard
KSR.auth_guard = {}

--- Counts a failure for any key of the tenant's own counters; returns the new count.
---@param key string
---@return integer
function KSR.auth_guard.add_failure(key) end

--- Current failure count of a key ("src:IP" or "user:USER@REALM") in the tenant's own counters.
---@param key string
---@return integer
function KSR.auth_guard.failures(key) end

--- True (1) when the source address or the credentials user has reached max_failures within block_time; else -1.
---@return integer
function KSR.auth_guard.is_blocked() end

--- Counts an authentication failure for the source address and the credentials user; returns the highest count.
---@return integer
function KSR.auth_guard.record_failure() end

--- Clears the failure count of the credentials user (after a success); 1.
---@return integer
function KSR.auth_guard.reset_user() end

---@class KSR.corex
KSR.corex = {}

--- Moves the current R-URI (with $du and branch flags) into a new branch for parallel forking.
---@return integer
function KSR.corex.append_branch() end

--- Adds a branch to the given URI.
---@param uri string
---@return integer
function KSR.corex.append_branch_uri(uri) end

--- Adds a branch to the given URI with a q value ("0.5").
---@param uri string
---@param q string
---@return integer
function KSR.corex.append_branch_uri_q(uri, q) end

--- 1 when the R-URI has a user part, -1 otherwise (and for replies).
---@return integer
function KSR.corex.has_ruri_user() end

--- 1 when a non-empty User-Agent header is present.
---@return integer
function KSR.corex.has_user_agent() end

--- 1 when extended message flag fval is set, -1 otherwise.
---@param fval integer
---@return integer
function KSR.corex.isxflagset(fval) end

--- Resets extended message flag fval (0..63).
---@param fval integer
---@return integer
function KSR.corex.resetxflag(fval) end

--- Sends raw data to the address of a SIP URI (its transport parameter picks the protocol).
---@param uri string
---@param data string
---@return integer
function KSR.corex.send_data(uri, data) end

--- Sets extended message flag fval (0..63).
---@param fval integer
---@return integer
function KSR.corex.setxflag(fval) end

---@class KSR.group
KSR.group = {}

--- True (1) when user@host of the SIP URI is in the group; -1 not (or bad URI), -2 store error.
---@param uri string
---@param grp string
---@return integer
function KSR.group.is_user_in(uri, grp) end

---@class KSR.hdr
KSR.hdr = {}

--- Appends header text ("Name: value\r\n", one or more lines) after the last header.
---@param hdrline string
---@return integer
function KSR.hdr.append(hdrline) end

--- Appends header text after the first header named hname (after the last header when absent).
---@param hdrline string
---@param hname string
---@return integer
function KSR.hdr.append_after(hdrline, hname) end

--- Body of the first header with that name, or null.
---@param hname string
---@return string|integer|nil
function KSR.hdr.get(hname) end

--- Body of the header with that name at index idx (negative from the end), or null.
---@param hname string
---@param idx integer
---@return string|integer|nil
function KSR.hdr.get_idx(hname, idx) end

--- Body of the first header with that name, or an empty string.
---@param hname string
---@return string|integer|nil
function KSR.hdr.gete(hname) end

--- As get_idx, empty string when missing.
---@param hname string
---@param idx integer
---@return string|integer|nil
function KSR.hdr.gete_idx(hname, idx) end

--- Body of the first header with that name, or "<null>".
---@param hname string
---@return string|integer|nil
function KSR.hdr.getw(hname) end

--- As get_idx, "<null>" when missing.
---@param hname string
---@param idx integer
---@return string|integer|nil
function KSR.hdr.getw_idx(hname, idx) end

--- Inserts header text before the first header.
---@param hdrline string
---@return integer
function KSR.hdr.insert(hdrline) end

--- Inserts header text before the first header named hname (at the top when absent).
---@param hdrline string
---@param hname string
---@return integer
function KSR.hdr.insert_before(hdrline, hname) end

--- 1 when a header with that name (or its compact form) is present, -1 otherwise.
---@param hname string
---@return integer
function KSR.hdr.is_present(hname) end

--- Removes every header with that name (compact forms too); 1 even when none was present.
---@param hname string
---@return integer
function KSR.hdr.remove(hname) end

--- Removes the headers named hrm, then appends the header text hadd.
---@param hrm string
---@param hadd string
---@return integer
function KSR.hdr.rmappend(hrm, hadd) end

--- Removes the headers named hrm, then inserts the header text hadd at the top.
---@param hrm string
---@param hadd string
---@return integer
function KSR.hdr.rminsert(hrm, hadd) end

---@class KSR.htable
KSR.htable = {}

--- Number of items whose key matches (op eq, ne, re, sw, ew, in); -1 on a bad op.
---@param htname string
---@param op string
---@param pattern string
---@return integer
function KSR.htable.sht_cn(htname, op, pattern) end

--- Subtracts 1 from the item and RETURNS THE NEW VALUE.
---@param htname string
---@param itname string
---@return integer
function KSR.htable.sht_dec(htname, itname) end

--- Value of the item (int or str), null when missing.
---@param htname string
---@param itname string
---@return string|integer|nil
function KSR.htable.sht_get(htname, itname) end

--- Value of the item, "" when missing.
---@param htname string
---@param itname string
---@return string|integer|nil
function KSR.htable.sht_gete(htname, itname) end

--- Value of the item, "<null>" when missing.
---@param htname string
---@param itname string
---@return string|integer|nil
function KSR.htable.sht_getw(htname, itname) end

--- Same as sht_match_name.
---@param sname string
---@param sop string
---@param sval string
---@return integer
function KSR.htable.sht_has_name(sname, sop, sval) end

--- Adds 1 to the item and RETURNS THE NEW VALUE (a missing item starts from initval, else 0).
---@param htname string
---@param itname string
---@return integer
function KSR.htable.sht_inc(htname, itname) end

--- 1 when the item is missing, -1 when it exists.
---@param htname string
---@param itname string
---@return integer
function KSR.htable.sht_is_null(htname, itname) end

--- Locks the key's slot (re-entrant for this route; another route waits until it is unlocked).
---@param htname string
---@param skey string
---@return integer
function KSR.htable.sht_lock(htname, skey) end

--- 1 when some key matches (op eq, ne, re, sw, ew, in), -1 otherwise.
---@param sname string
---@param sop string
---@param sval string
---@return integer
function KSR.htable.sht_match_name(sname, sop, sval) end

--- 1 when some value matches (op eq, ne, re, sw, ew, in), -1 otherwise.
---@param sname string
---@param sop string
---@param sval string
---@return integer
function KSR.htable.sht_match_str_value(sname, sop, sval) end

--- Removes every item of the table.
---@param hname string
---@return integer
function KSR.htable.sht_reset(hname) end

--- Removes the item (1 also when it was missing).
---@param hname string
---@param iname string
---@return integer
function KSR.htable.sht_rm(hname, iname) end

--- Removes the items whose key matches (op re, sw, ew, in, eq, ne).
---@param sname string
---@param sop string
---@param sval string
---@return integer
function KSR.htable.sht_rm_name(sname, sop, sval) end

--- Removes the items whose key matches the regex; -1 on a bad regex.
---@param htname string
---@param rexp string
---@return integer
function KSR.htable.sht_rm_name_re(htname, rexp) end

--- Removes the items whose value matches (op re, sw, ew, in, eq, ne).
---@param sname string
---@param sop string
---@param sval string
---@return integer
function KSR.htable.sht_rm_value(sname, sop, sval) end

--- Removes the items whose value matches the regex; -1 on a bad regex.
---@param htname string
---@param rexp string
---@return integer
function KSR.htable.sht_rm_value_re(htname, rexp) end

--- Makes the item expire in itval seconds (0 = never); -1 when it is missing.
---@param htname string
---@param itname string
---@param itval integer
---@return integer
function KSR.htable.sht_setex(htname, itname, itval) end

--- Sets an int item.
---@param htname string
---@param itname string
---@param itval integer
---@return integer
function KSR.htable.sht_seti(htname, itname, itval) end

--- Sets a string item.
---@param htname string
---@param itname string
---@param itval string
---@return integer
function KSR.htable.sht_sets(htname, itname, itval) end

--- Sets an int item expiring in exval seconds.
---@param htname string
---@param itname string
---@param itval integer
---@param exval integer
---@return integer
function KSR.htable.sht_setxi(htname, itname, itval, exval) end

--- Sets a string item expiring in exval seconds.
---@param htname string
---@param itname string
---@param itval string
---@param exval integer
---@return integer
function KSR.htable.sht_setxs(htname, itname, itval, exval) end

--- Unlocks the key's slot; -1 when this route does not hold it.
---@param htname string
---@param skey string
---@return integer
function KSR.htable.sht_unlock(htname, skey) end

---@class KSR.maxfwd
KSR.maxfwd = {}

--- 1 when Max-Forwards is below limit, -1 when not, -2 when the header is missing.
---@param limit integer
---@return integer
function KSR.maxfwd.is_maxfwd_lt(limit) end

--- Decrements Max-Forwards (adds it with limit when missing: 2); -1 when it is 0 (reply 483), -2 on error.
---@param limit integer
---@return integer
function KSR.maxfwd.process_maxfwd(limit) end

---@class KSR.permissions
KSR.permissions = {}

--- True (1) when ip:port is in the address group (a row with port 0 matches any port).
---@param addr_group integer
---@param ips string
---@param port integer
---@return integer
function KSR.permissions.allow_address(addr_group, ips, port) end

--- The address group of ip:port, or -1.
---@param _addr string
---@param _port integer
---@return integer
function KSR.permissions.allow_address_group(_addr, _port) end

--- True (1) when the source IP and port are in the address group; else -1.
---@param addr_group integer
---@return integer
function KSR.permissions.allow_source_address(addr_group) end

--- The address group of the source IP and port, or -1.
---@return integer
function KSR.permissions.allow_source_address_group() end

--- True (1) when source IP, protocol and From URI match a trusted row; else -1.
---@return integer
function KSR.permissions.allow_trusted() end

---@class KSR.pike
KSR.pike = {}

--- As pike_check_req for the given IP (IPv4 or IPv6); -3 when it is not an IP address.
---@param strip string
---@return integer
function KSR.pike.pike_check_ip(strip) end

--- Counts the request against its source IP: 1 ok, -2 blocked from this request on, -1 still blocked.
---@return integer
function KSR.pike.pike_check_req() end

---@class KSR.pv
KSR.pv = {}

--- Value of a pseudo-variable: a number for int-typed PVs, a string, or null when unset.
---@param pvname string
---@return string|integer|nil
function KSR.pv.get(pvname) end

--- Like get, but an empty string instead of null.
---@param pvname string
---@return string|integer|nil
function KSR.pv.gete(pvname) end

--- Value as an integer: 0 when null or not numeric.
---@param pvname string
---@return integer
function KSR.pv.geti(pvname) end

--- Value, or the given integer when null.
---@param pvname string
---@param vn integer
---@return string|integer|nil
function KSR.pv.getvn(pvname, vn) end

--- Value, or the given string when null.
---@param pvname string
---@param vs string
---@return string|integer|nil
function KSR.pv.getvs(pvname, vs) end

--- Like get, but "<null>" instead of null (safe to print).
---@param pvname string
---@return string|integer|nil
function KSR.pv.getw(pvname) end

--- True when the PV is $null (unset or absent).
---@param pvname string
---@return boolean
function KSR.pv.is_null(pvname) end

--- Assigns an integer to a writable PV ($var, $avp, $xavp, $shv, $du, …); throws for an unknown PV name.
---@param pvname string
---@param ival integer
---@return boolean
function KSR.pv.seti(pvname, ival) end

--- Assigns a string to a writable PV ($ru, $rU, $fn, $var, $avp, …); throws for an unknown PV name.
---@param pvname string
---@param sval string
---@return boolean
function KSR.pv.sets(pvname, sval) end

--- Assigns $null (removes an AVP/xavp value, resets $du; a $var becomes 0).
---@param pvname string
---@return boolean
function KSR.pv.unset(pvname) end

---@class KSR.registrar
KSR.registrar = {}

--- Rewrites the R-URI with the best contact of its AoR, other contacts as branches: 1 found, -1 not found, -2 method not allowed, -3 error.
---@param table string
---@return integer
function KSR.registrar.lookup(table) end

--- Lookup for the R-URI and for the URI of every branch; 1 when any was found.
---@param _dtable string
---@return integer
function KSR.registrar.lookup_branches(_dtable) end

--- Adds every contact of the AoR (of uri, or of the R-URI when empty) as branches; the R-URI is untouched.
---@param table string
---@param uri string
---@return integer
function KSR.registrar.lookup_to_dset(table, uri) end

--- As lookup, for the AoR of the given URI.
---@param table string
---@param uri string
---@return integer
function KSR.registrar.lookup_uri(table, uri) end

--- Loads the contacts of the AoR into a profile read with ulc_rget/ulc_cget; 1 when any, else -1.
---@param dtable string
---@param uri string
---@param profile string
---@return integer
function KSR.registrar.reg_fetch_contacts(dtable, uri, profile) end

--- Frees a profile loaded by reg_fetch_contacts.
---@param profile string
---@return integer
function KSR.registrar.reg_free_contacts(profile) end

--- Sends the reply prepared by save(…, 0x10); -1 when none was prepared.
---@return integer
function KSR.registrar.reg_send_reply() end

--- True (1) when the AoR of the R-URI has live contacts, else -1.
---@param table string
---@return integer
function KSR.registrar.registered(table) end

--- As registered, for the given URI.
---@param _dtable string
---@param _uri string
---@return integer
function KSR.registrar.registered_uri(_dtable, _uri) end

--- Saves the REGISTER contacts and replies; flags 1 mem only, 2 no reply, 4 single contact, 8 no expires range, 0x10 prepare reply. 1 inserted, 2 updated, 3 deleted, 4 fetched; -1 error, -2 too many contacts.
---@param table string
---@param flags integer
---@return integer
function KSR.registrar.save(table, flags) end

--- As save, for the AoR given as a URI instead of the To URI.
---@param table string
---@param flags integer
---@param uri string
---@return integer
function KSR.registrar.save_uri(table, flags, uri) end

--- Contact attribute of a fetched profile at index: addr, path, received, expires, callid, q, cseq, flags, user_agent, socket, modified, methods, instance, reg_id, ruid.
---@param rid string
---@param attr string
---@param idx integer
---@return string|integer|nil
function KSR.registrar.ulc_cget(rid, attr, idx) end

--- Record attribute of a fetched profile: aor, domain, count.
---@param rid string
---@param attr string
---@return string|integer|nil
function KSR.registrar.ulc_rget(rid, attr) end

--- Removes every contact of the AoR of the URI; 1 done, -1 bad URI.
---@param _dtable string
---@param _uri string
---@return integer
function KSR.registrar.unregister(_dtable, _uri) end

--- Removes the contact with that ruid from the AoR; 1 removed, -1 not found.
---@param _dtable string
---@param _uri string
---@param _ruid string
---@return integer
function KSR.registrar.unregister_ruid(_dtable, _uri, _ruid) end

---@class KSR.rr
KSR.rr = {}

--- Adds a parameter (";name=value") to our Record-Route.
---@param sparam string
---@return integer
function KSR.rr.add_rr_param(sparam) end

--- True if the parameters of our Route header match the regex.
---@param sre string
---@return integer
function KSR.rr.check_route_param(sre) end

--- True if the in-dialog request goes "upstream" or "downstream".
---@param dir string
---@return integer
function KSR.rr.is_direction(dir) end

--- Routes by the Route set: 1 next hop set, -1 no route (or only ours), -2 bad flow token, -3 preloaded.
---@return integer
function KSR.rr.loose_route() end

--- loose_route with mode bits (flow tokens are not used here).
---@param vmode integer
---@return integer
function KSR.rr.loose_route_mode(vmode) end

--- True only for a preloaded Route set on an initial request.
---@return integer
function KSR.rr.loose_route_preloaded() end

--- True if a Route header is left for the next hop.
---@return integer
function KSR.rr.next_hop_route() end

--- Adds Record-Route (two, r2=on, when the outgoing transport or address family differs).
---@return integer
function KSR.rr.record_route() end

--- record_route using the given advertised address.
---@param addr string
---@return integer
function KSR.rr.record_route_advertised_address(addr) end

--- record_route with extra parameters.
---@param sparams string
---@return integer
function KSR.rr.record_route_params(sparams) end

--- Adds two Record-Routes (r2=on) with the given addresses.
---@param addr1 string
---@param addr2 string
---@return integer
function KSR.rr.record_route_preset(addr1, addr2) end

--- Adds Record-Route with the given address.
---@param addr1 string
---@return integer
function KSR.rr.record_route_preset_one(addr1) end

--- Removes the Record-Route headers added by this proxy.
---@return integer
function KSR.rr.remove_record_route() end

---@class KSR.sanity
KSR.sanity = {}

--- Runs the message checks in mflags and URI checks in uflags; -1 on failure (already replied).
---@param mflags integer
---@param uflags integer
---@return integer
function KSR.sanity.sanity_check(mflags, uflags) end

--- Runs the default checks (3047, URI checks 7); -1 on failure (already replied).
---@return integer
function KSR.sanity.sanity_check_defaults() end

--- Sends the reply of the last failed check when the module runs with noreply.
---@return integer
function KSR.sanity.sanity_reply() end

---@class KSR.siputils
KSR.siputils = {}

--- Appends ";param" (e.g. "user=phone") to the R-URI parameters.
---@param param string
---@return integer
function KSR.siputils.add_uri_param(param) end

--- 1 when both names designate the same header (compact forms included), -1/-2 otherwise.
---@param shname1 string
---@param shname2 string
---@return integer
function KSR.siputils.cmp_hdr_name(shname1, shname2) end

--- 1 when the To header has a tag (in-dialog request), -1 otherwise.
---@return integer
function KSR.siputils.has_totag() end

--- 1 when the value is only [0-9A-Za-z]; -2 when empty, -3 otherwise.
---@param tval string
---@return integer
function KSR.siputils.is_alphanum(tval) end

--- is_alphanum also accepting the characters of eset.
---@param tval string
---@param eset string
---@return integer
function KSR.siputils.is_alphanumex(tval, eset) end

--- Requests: 1 with a single Via. Replies: 1 when the top Record-Route is this server and not a loop.
---@return integer
function KSR.siputils.is_first_hop() end

--- is_first_hop; mode 1 skips the IP-host and loop checks for replies.
---@param mode integer
---@return integer
function KSR.siputils.is_first_hop_mode(mode) end

--- -1: HTTP is not routed through scripts.
---@return integer
function KSR.siputils.is_http() end

--- 1 when the value is only digits, -2 otherwise.
---@param tval string
---@return integer
function KSR.siputils.is_numeric(tval) end

--- 1 for a reply, -1 for a request.
---@return integer
function KSR.siputils.is_reply() end

--- 1 for a request, -1 for a reply.
---@return integer
function KSR.siputils.is_request() end

--- 1: every message this server routes is SIP.
---@return integer
function KSR.siputils.is_sip() end

--- 1 when the value is a telephone number (+ and a non-zero digit, or only digits), -2 otherwise.
---@param tval string
---@return integer
function KSR.siputils.is_tel_number(tval) end

--- 1 when the value parses as a URI.
---@param suri string
---@return integer
function KSR.siputils.is_uri(suri) end

--- 1 when the user part of the SIP URI is an E.164 number (+ and 2 to 15 digits), -1 otherwise (as the cfg function; not a KEMI export in Kamailio).
---@param uri string
---@return integer
function KSR.siputils.is_uri_user_e164(uri) end

--- 1 when the R-URI has the parameter without a value (name case-sensitive).
---@param sparam string
---@return integer
function KSR.siputils.uri_param(sparam) end

--- 1 when the R-URI has the parameter, with or without a value (name case-insensitive).
---@param sparam string
---@return integer
function KSR.siputils.uri_param_any(sparam) end

--- Removes the parameter from the R-URI; 1 also when it was absent.
---@param sparam string
---@return integer
function KSR.siputils.uri_param_rm(sparam) end

--- 1 when the R-URI has the parameter with exactly that value.
---@param sparam string
---@param svalue string
---@return integer
function KSR.siputils.uri_param_value(sparam, svalue) end

---@class KSR.sl
KSR.sl = {}

--- The To-tag a stateless reply to this request carries (null for replies).
---@return string|integer|nil
function KSR.sl.get_reply_totag() end

--- Replies statefully when a transaction exists, else statelessly.
---@param code integer
---@param reason string
---@return integer
function KSR.sl.send_reply(code, reason) end

--- Like sl_reply_error, statefully when a transaction exists.
---@return integer
function KSR.sl.send_reply_error() end

--- Sends a stateless reply for the last internal error (500 when none is known).
---@return integer
function KSR.sl.sl_reply_error() end

--- Sends a stateless reply; 1 on success, -1 on failure.
---@param code integer
---@param reason string
---@return integer
function KSR.sl.sl_send_reply(code, reason) end

---@class KSR.textops
KSR.textops = {}

--- Appends header text ("Name: value\r\n") after the last header (polysip addition: KEMI has hdr.append).
---@param txt string
---@return integer
function KSR.textops.append_hf(txt) end

--- 1 when equal ignoring case, -1/-2 otherwise.
---@param s1 string
---@param s2 string
---@return integer
function KSR.textops.cmp_istr(s1, s2) end

--- 1 when equal (case-sensitive), -1/-2 otherwise.
---@param s1 string
---@param s2 string
---@return integer
function KSR.textops.cmp_str(s1, s2) end

--- 1 when vstr ends with vsuffix.
---@param vstr string
---@param vsuffix string
---@return integer
function KSR.textops.ends_with(vstr, vsuffix) end

--- 1 when Content-Length announces a body.
---@return integer
function KSR.textops.has_body() end

--- 1 when there is a body of that Content-Type.
---@param ctype string
---@return integer
function KSR.textops.has_body_type(ctype) end

--- 1 when subject is an item of the list.
---@param subject string
---@param list string
---@param vsep string
---@return integer
function KSR.textops.in_list(subject, list, vsep) end

--- 1 when an item of the list is a prefix of subject.
---@param subject string
---@param list string
---@param vsep string
---@return integer
function KSR.textops.in_list_prefix(subject, list, vsep) end

--- 1 when a header with that name (or compact form) exists.
---@param hname string
---@return integer
function KSR.textops.is_present_hf(hname) end

--- 1 when a header name matches the regex.
---@param ematch string
---@return integer
function KSR.textops.is_present_hf_re(ematch) end

--- 1 when the Privacy header lists that value (id, user, header…).
---@param privacy string
---@return integer
function KSR.textops.is_privacy(privacy) end

--- Removes every header with that name; 1 (also when none was there).
---@param hname string
---@return integer
function KSR.textops.remove_hf(hname) end

--- Removes the header of that name at index idx (negative from the end).
---@param hname string
---@param idx integer
---@return integer
function KSR.textops.remove_hf_idx(hname, idx) end

--- Removes the headers whose name matches the regex; -1 when none.
---@param ematch string
---@return integer
function KSR.textops.remove_hf_re(ematch) end

--- Replaces the first regex match in headers and body.
---@param sre string
---@param sval string
---@return integer
function KSR.textops.replace(sre, sval) end

--- Replaces every regex match in headers and body.
---@param sre string
---@param sval string
---@return integer
function KSR.textops.replace_all(sre, sval) end

--- Replaces the first regex match in the body.
---@param sre string
---@param sval string
---@return integer
function KSR.textops.replace_body(sre, sval) end

--- Replaces every regex match in the body (line by line).
---@param sre string
---@param sval string
---@return integer
function KSR.textops.replace_body_all(sre, sval) end

--- Replaces every regex match in the body taken as one string.
---@param sre string
---@param sval string
---@return integer
function KSR.textops.replace_body_atonce(sre, sval) end

--- Regex (POSIX, case-insensitive) anywhere in the message: 1 / -1.
---@param sre string
---@return integer
function KSR.textops.search(sre) end

--- Regex in the body: 1 / -1.
---@param sre string
---@return integer
function KSR.textops.search_body(sre) end

--- Regex in the bodies of the named headers (flags: a all, f first, l last).
---@param hname string
---@param sre string
---@param flags string
---@return integer
function KSR.textops.search_hf(hname, sre, flags) end

--- Regex over the given text: 1 / -1.
---@param stext string
---@param sre string
---@return integer
function KSR.textops.search_str(stext, sre) end

--- Replaces the body and its Content-Type.
---@param nb string
---@param nc string
---@return integer
function KSR.textops.set_body(nb, nc) end

--- 1 when s1 starts with s2.
---@param s1 string
---@param s2 string
---@return integer
function KSR.textops.starts_with(s1, s2) end

--- Position (from 1) of needle in txt, -1 when absent.
---@param txt string
---@param needle string
---@return integer
function KSR.textops.str_find(txt, needle) end

--- As str_find, ignoring case.
---@param txt string
---@param needle string
---@return integer
function KSR.textops.str_ifind(txt, needle) end

--- sed-like '/re/repl/flags' over headers and body (flags i, g, s).
---@param subst string
---@return integer
function KSR.textops.subst(subst) end

--- sed-like '/re/repl/flags' over the body.
---@param subst string
---@return integer
function KSR.textops.subst_body(subst) end

--- sed-like '/re/repl/flags' over the bodies of the named headers (flags: a, f, l).
---@param hname string
---@param subst string
---@param flags string
---@return integer
function KSR.textops.subst_hf(hname, subst, flags) end

--- sed-like '/re/repl/flags' over the R-URI.
---@param subst string
---@return integer
function KSR.textops.subst_uri(subst) end

--- sed-like '/re/repl/flags' over the R-URI user.
---@param subst string
---@return integer
function KSR.textops.subst_user(subst) end

---@class KSR.tm
KSR.tm = {}

--- t_load_contacts with a mode (0 only).
---@param mode integer
---@return integer
function KSR.tm.ki_t_load_contacts_mode(mode) end

--- True if any branch received a reply.
---@return integer
function KSR.tm.t_any_replied() end

--- True if any branch timed out.
---@return integer
function KSR.tm.t_any_timeout() end

--- True if the current (failed) branch received a reply.
---@return integer
function KSR.tm.t_branch_replied() end

--- True if the current (failed) branch timed out.
---@return integer
function KSR.tm.t_branch_timeout() end

--- True if the relevant reply code matches the regular expression.
---@param sexp string
---@return integer
function KSR.tm.t_check_status(sexp) end

--- Request: 0 retransmission handled (stop), 1 related transaction (CANCEL/ACK), -1 none; reply: 1 if it belongs to one.
---@return integer
function KSR.tm.t_check_trans() end

--- Drops received replies from selection: a all, l last set, n none.
---@param mode string
---@return integer
function KSR.tm.t_drop_replies(mode) end

--- Drops every received reply from selection.
---@return integer
function KSR.tm.t_drop_replies_all() end

--- True if a transaction is bound to this message.
---@return integer
function KSR.tm.t_exists() end

--- Index of the current branch.
---@return integer
function KSR.tm.t_get_branch_index() end

--- The most relevant reply code of the transaction, -1 if none.
---@return integer
function KSR.tm.t_get_status_code() end

--- True if any branch got a final reply with this code.
---@param code integer
---@return integer
function KSR.tm.t_grep_status(code) end

--- True if the transaction was cancelled.
---@return integer
function KSR.tm.t_is_canceled() end

--- True for a retransmitted reply on a suspended reply (never here).
---@return integer
function KSR.tm.t_is_retr_async_reply() end

--- True if "failure_route", "branch_route", "onreply_route" or "branch_failure_route" is armed.
---@param target string
---@return integer
function KSR.tm.t_is_set(target) end

--- Orders the destination set by q into the tm_contacts xavp (serial forking).
---@return integer
function KSR.tm.t_load_contacts() end

--- True if the INVITE transaction of this CANCEL exists.
---@return integer
function KSR.tm.t_lookup_cancel() end

--- True if a transaction exists for this request.
---@return integer
function KSR.tm.t_lookup_request() end

--- Creates the server transaction; 1 created, 0 retransmission (stop), -1 error.
---@return integer
function KSR.tm.t_newtran() end

--- Loads the next q group of contacts as R-URI and branches; -1 when none.
---@return integer
function KSR.tm.t_next_contacts() end

--- Function to run for each outgoing branch; "" resets.
---@param rname string
---@return integer
function KSR.tm.t_on_branch(rname) end

--- Function to run for each failed branch (armed only).
---@param rname string
---@return integer
function KSR.tm.t_on_branch_failure(rname) end

--- Function to run when the transaction fails (one-shot); "" resets.
---@param rname string
---@return integer
function KSR.tm.t_on_failure(rname) end

--- Function to run for each reply of the transaction; "" resets.
---@param rname string
---@return integer
function KSR.tm.t_on_reply(rname) end

--- Relays statefully to $du or the R-URI plus appended branches; 1 sent, -1 error.
---@return integer
function KSR.tm.t_relay() end

--- Relays statefully (flags: 0x01 no 100 Trying).
---@param rflags integer
---@return integer
function KSR.tm.t_relay_to_flags(rflags) end

--- Relays statefully forcing the transport.
---@param sproto string
---@return integer
function KSR.tm.t_relay_to_proto(sproto) end

--- Relays statefully to the given transport, host and port.
---@param sproto string
---@param host string
---@param port integer
---@return integer
function KSR.tm.t_relay_to_proto_addr(sproto, host, port) end

--- Relays statefully to "proto:host:port".
---@param sproxy string
---@return integer
function KSR.tm.t_relay_to_proxy(sproxy) end

--- Relays statefully to "proto:host:port" with flags.
---@param sproxy string
---@param rflags integer
---@return integer
function KSR.tm.t_relay_to_proxy_flags(sproxy, rflags) end

--- Releases the transaction (it ends on its own timers once answered).
---@return integer
function KSR.tm.t_release() end

--- Replies within the existing transaction.
---@param code integer
---@param reason string
---@return integer
function KSR.tm.t_reply(code, reason) end

--- Replies statefully with the last internal error (500 when none).
---@return integer
function KSR.tm.t_reply_error() end

--- Resets the fr timers to their defaults.
---@return integer
function KSR.tm.t_reset_fr() end

--- Re-sends the last reply of the transaction.
---@return integer
function KSR.tm.t_retransmit_reply() end

--- Saves the current message changes into the transaction for later branches.
---@return integer
function KSR.tm.t_save_lumps() end

--- Creates the transaction if needed and replies statefully.
---@param code integer
---@param reason string
---@return integer
function KSR.tm.t_send_reply(code, reason) end

--- Per transaction: automatic 100 Trying for INVITE on/off.
---@param state integer
---@return integer
function KSR.tm.t_set_auto_inv_100(state) end

--- Per transaction: treat 6xx like other replies (no cancel).
---@param state integer
---@return integer
function KSR.tm.t_set_disable_6xx(state) end

--- Sets fr_inv and fr timers (ms, 0 = default) for this transaction.
---@param fr_inv integer
---@param fr integer
---@return integer
function KSR.tm.t_set_fr(fr_inv, fr) end

--- Sets the fr_inv timer (ms) for this transaction.
---@param fr_inv integer
---@return integer
function KSR.tm.t_set_fr_inv(fr_inv) end

---@class KSR.tmx
KSR.tmx = {}

--- Cancels branches: "all", "others" or "this".
---@param mode string
---@return integer
function KSR.tmx.t_cancel_branches(mode) end

--- Resumes a suspended transaction by running the named function on its request.
---@param tindex integer
---@param tlabel integer
---@param cbname string
---@return integer
function KSR.tmx.t_continue(tindex, tlabel, cbname) end

--- Copies the message flags into the transaction.
---@return integer
function KSR.tmx.t_flush_flags() end

--- Copies the extended flags into the transaction.
---@return integer
function KSR.tmx.t_flush_xflags() end

--- True in a branch route.
---@return integer
function KSR.tmx.t_is_branch_route() end

--- True in a failure route.
---@return integer
function KSR.tmx.t_is_failure_route() end

--- True in a reply route.
---@return integer
function KSR.tmx.t_is_reply_route() end

--- True in a request route.
---@return integer
function KSR.tmx.t_is_request_route() end

--- True if another copy of this request is being routed right now.
---@return integer
function KSR.tmx.t_precheck_trans() end

--- Suspends the transaction (created if needed); ids in $T(id_index)/$T(id_label).
---@return integer
function KSR.tmx.t_suspend() end

---@class KSR.x
KSR.x = {}

--- Marks the message dropped and ends the whole route now (even through pcall/try).
function KSR.x.drop() end

--- Ends the whole route now (even through pcall/try).
function KSR.x.exit() end
