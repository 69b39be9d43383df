// Generated from the KSR export registry. Do not edit.

declare const KSR: {
  /** Writes the text to the log at crit level (no PV expansion). */
  crit(msg: string): false;
  /** Writes the text to the log at dbg level (no PV expansion). */
  dbg(msg: string): false;
  /** Writes the text to the log at err level (no PV expansion). */
  err(msg: string): false;
  /** Acts as if the top Via had rport: replies go back to the source ip:port. */
  force_rport(): boolean;
  /** Forwards the request statelessly to $du, else the R-URI; 1 when sent, -1 otherwise. */
  forward(): number;
  /** Forwards the request statelessly to the given SIP URI; 1 when sent, -1 otherwise. */
  forward_uri(uri: string): number;
  /** The current log level as Kamailio's debug number (3 debug, 2 info, 0 warn, -1 err). */
  get_debug(): number;
  /** Writes the text to the log at info level (no PV expansion). */
  info(msg: string): false;
  /** True when the method (CSeq method of a reply) is ACK. */
  is_ACK(): boolean;
  /** True when the method (CSeq method of a reply) is BYE. */
  is_BYE(): boolean;
  /** True when the method (CSeq method of a reply) is CANCEL. */
  is_CANCEL(): boolean;
  /** True when the method (CSeq method of a reply) is DELETE. */
  is_DELETE(): boolean;
  /** True when the method (CSeq method of a reply) is GET. */
  is_GET(): boolean;
  /** True when the method (CSeq method of a reply) is INFO. */
  is_INFO(): boolean;
  /** True when the method (CSeq method of a reply) is INVITE. */
  is_INVITE(): boolean;
  /** True when received over IPv4. */
  is_IPv4(): boolean;
  /** True when received over IPv6. */
  is_IPv6(): boolean;
  /** True when the method (CSeq method of a reply) is KDMQ. */
  is_KDMQ(): boolean;
  /** True when the method (CSeq method of a reply) is MESSAGE. */
  is_MESSAGE(): boolean;
  /** True when the method (CSeq method of a reply) is NOTIFY. */
  is_NOTIFY(): boolean;
  /** True when the method (CSeq method of a reply) is OPTIONS. */
  is_OPTIONS(): boolean;
  /** True when the method (CSeq method of a reply) is POST. */
  is_POST(): boolean;
  /** True when the method (CSeq method of a reply) is PRACK. */
  is_PRACK(): boolean;
  /** True when the method (CSeq method of a reply) is PUBLISH. */
  is_PUBLISH(): boolean;
  /** True when the method (CSeq method of a reply) is PUT. */
  is_PUT(): boolean;
  /** True when the method (CSeq method of a reply) is REFER. */
  is_REFER(): boolean;
  /** True when the method (CSeq method of a reply) is REGISTER. */
  is_REGISTER(): boolean;
  /** True when the message was received over SCTP. */
  is_SCTP(): boolean;
  /** True when the method (CSeq method of a reply) is SUBSCRIBE. */
  is_SUBSCRIBE(): boolean;
  /** True when the message was received over TCP. */
  is_TCP(): boolean;
  /** True when received over a TCP-based transport (TCP, TLS, WS, WSS). */
  is_TCPX(): boolean;
  /** True when the message was received over TLS. */
  is_TLS(): boolean;
  /** True when the message was received over UDP. */
  is_UDP(): boolean;
  /** True when the method (CSeq method of a reply) is UPDATE. */
  is_UPDATE(): boolean;
  /** True when the message was received over WS. */
  is_WS(): boolean;
  /** True when the message was received over WSS. */
  is_WSS(): boolean;
  /** True when received over WS or WSS. */
  is_WSX(): boolean;
  /** True when the local receiving port equals the value. */
  is_dst_port(port: number): boolean;
  /** True when the method equals the name (case-insensitive); "A|B" matches any listed. */
  is_method(method: string): boolean;
  /** True when the method is in the set given as letters (I=INVITE A=ACK B=BYE C=CANCEL R=REGISTER O=OPTIONS S=SUBSCRIBE N=NOTIFY P=PUBLISH M=MESSAGE F=REFER E=PRACK U=UPDATE K=KDMQ G=GET T=POST V=PUT D=DELETE). */
  is_method_in(letters: string): boolean;
  /** True when the URI host:port is one of our listening addresses or aliases. */
  is_myself(uri: string): boolean;
  /** True when $du points to this server. */
  is_myself_duri(): boolean;
  /** True when the From URI is one of our domains or addresses. */
  is_myself_furi(): boolean;
  /** True when the next hop ($du if set, else R-URI) points to this server. */
  is_myself_nhuri(): boolean;
  /** True when the R-URI points to this server. */
  is_myself_ruri(): boolean;
  /** True when the source IP is one of our local addresses (loop detection). */
  is_myself_srcip(): boolean;
  /** True when the source address (ip:port:proto) is one of our sockets. */
  is_myself_suri(): boolean;
  /** True when the To URI is one of our domains or addresses. */
  is_myself_turi(): boolean;
  /** True when the receiving protocol matches a letter: u=UDP t=TCP e=TLS s=SCTP v=WS w=WSS. */
  is_proto(protos: string): boolean;
  /** True when the source port equals the value. */
  is_src_port(port: number): boolean;
  /** True when branch 0 flag is set. */
  isbflagset(flag: number): boolean;
  /** True when $du is set. */
  isdsturiset(): boolean;
  /** True when message flag is set. */
  isflagset(flag: number): boolean;
  /** Logs at the named level (dbg, info, notice, warn, err, crit); unknown levels log as err. */
  log(level: string, msg: string): false;
  /** Writes the text to the log at notice level (no PV expansion). */
  notice(msg: string): false;
  /** Resets branch 0 flag (0..31). */
  resetbflag(flag: number): boolean;
  /** Clears the destination URI ($du). */
  resetdsturi(): boolean;
  /** Resets message flag (0..31). */
  resetflag(flag: number): boolean;
  /** Calls the script's own function `name` in the same route (error if it does not exist); returns what it returns. */
  route(name: string): string | number | null;
  /** Marks the message to be dropped when the route returns; the script keeps running. */
  set_drop(): false;
  /** Sets branch 0 flag (0..31). */
  setbflag(flag: number): boolean;
  /** Sets the destination URI ($du): where the request is sent, the R-URI unchanged. */
  setdsturi(uri: string): boolean;
  /** Sets message flag (0..31). */
  setflag(flag: number): boolean;
  /** Replaces the host part of the R-URI. */
  sethost(host: string): boolean;
  /** Replaces the whole R-URI. */
  seturi(uri: string): boolean;
  /** Replaces the user part of the R-URI. */
  setuser(user: string): boolean;
  /** True when the next hop host is an IPv4 literal. */
  to_IPv4(): boolean;
  /** True when the next hop host is an IPv6 literal. */
  to_IPv6(): boolean;
  /** True when the next hop ($du, else R-URI) uses SCTP. */
  to_SCTP(): boolean;
  /** True when the next hop ($du, else R-URI) uses TCP. */
  to_TCP(): boolean;
  /** True when the next hop ($du, else R-URI) uses TLS. */
  to_TLS(): boolean;
  /** True when the next hop ($du, else R-URI) uses UDP. */
  to_UDP(): boolean;
  /** True when the next hop ($du, else R-URI) uses WS. */
  to_WS(): boolean;
  /** True when the next hop ($du, else R-URI) uses WSS. */
  to_WSS(): boolean;
  /** Writes the text to the log at warn level (no PV expansion). */
  warn(msg: string): false;
  readonly auth: {
    /** Sets the digest algorithm of the next challenge (MD5, SHA-256, …); -1 unknown. */
    auth_algorithm(alg: string): number;
    /** Sends 401 (REGISTER) or 407 challenge; flags 1 qop=auth, 2 qop=auth-int, 4 no 500 on internal error, 16 stale=true. */
    auth_challenge(realm: string, flags: number): number;
    /** Removes the Authorization/Proxy-Authorization header that authenticated the request. */
    consume_credentials(): number;
    /** True (1) when the request carries digest credentials for the realm. */
    has_credentials(srealm: string): number;
    /** Sends a 407 challenge (flags as auth_challenge). */
    proxy_challenge(realm: string, flags: number): number;
    /** Checks credentials against the given password (vflags 1: it is an HA1); vchecks 1: the auth user must be the From/To user (-8). */
    pv_auth_check(srealm: string, spasswd: string, vflags: number, vchecks: number): number;
    /** Checks Proxy-Authorization against the given password (flags 1: HA1). */
    pv_proxy_authenticate(realm: string, passwd: string, flags: number): number;
    /** Checks Authorization against the given password (flags 1: HA1). */
    pv_www_authenticate(realm: string, passwd: string, flags: number): number;
    /** As pv_www_authenticate, with the method used in the digest given. */
    pv_www_authenticate_method(realm: string, passwd: string, flags: number, method: string): number;
    /** Sends a 401 challenge (flags as auth_challenge). */
    www_challenge(realm: string, flags: number): number;
  };
  readonly auth_db: {
    /** Digest check against the subscriber table (REGISTER: Authorization, else Proxy-Authorization). 1 ok; -1 error, -2 bad password, -3 unknown user, -4 stale nonce, -5 no credentials, -6 nonce reused, -8 auth user is not the From/To user (flag 1). */
    auth_check(srealm: string, stable: string, iflags: number): number;
    /** True (1) when the user@host of the URI is in the subscriber table; -1 not, -2 error. */
    is_subscriber(suri: string, stable: string, iflags: number): number;
    /** Checks the Authorization header against the subscriber table (codes as auth_check). */
    www_authenticate(realm: string, table: string): number;
    /** As www_authenticate, with the method used in the digest given. */
    www_authenticate_method(realm: string, table: string, method: string): number;
  };
  readonly auth_guard: {
    /** Counts a failure for any key of the tenant's own counters; returns the new count. */
    add_failure(key: string): number;
    /** Current failure count of a key ("src:IP" or "user:USER@REALM") in the tenant's own counters. */
    failures(key: string): number;
    /** True (1) when the source address or the credentials user has reached max_failures within block_time; else -1. */
    is_blocked(): number;
    /** Counts an authentication failure for the source address and the credentials user; returns the highest count. */
    record_failure(): number;
    /** Clears the failure count of the credentials user (after a success); 1. */
    reset_user(): number;
  };
  readonly corex: {
    /** Moves the current R-URI (with $du and branch flags) into a new branch for parallel forking. */
    append_branch(): number;
    /** Adds a branch to the given URI. */
    append_branch_uri(uri: string): number;
    /** Adds a branch to the given URI with a q value ("0.5"). */
    append_branch_uri_q(uri: string, q: string): number;
    /** 1 when the R-URI has a user part, -1 otherwise (and for replies). */
    has_ruri_user(): number;
    /** 1 when a non-empty User-Agent header is present. */
    has_user_agent(): number;
    /** 1 when extended message flag fval is set, -1 otherwise. */
    isxflagset(fval: number): number;
    /** Resets extended message flag fval (0..63). */
    resetxflag(fval: number): number;
    /** Sends raw data to the address of a SIP URI (its transport parameter picks the protocol). */
    send_data(uri: string, data: string): number;
    /** Sets extended message flag fval (0..63). */
    setxflag(fval: number): number;
  };
  readonly group: {
    /** True (1) when user@host of the SIP URI is in the group; -1 not (or bad URI), -2 store error. */
    is_user_in(uri: string, grp: string): number;
  };
  readonly hdr: {
    /** Appends header text ("Name: value\r\n", one or more lines) after the last header. */
    append(hdrline: string): number;
    /** Appends header text after the first header named hname (after the last header when absent). */
    append_after(hdrline: string, hname: string): number;
    /** Body of the first header with that name, or null. */
    get(hname: string): string | number | null;
    /** Body of the header with that name at index idx (negative from the end), or null. */
    get_idx(hname: string, idx: number): string | number | null;
    /** Body of the first header with that name, or an empty string. */
    gete(hname: string): string | number | null;
    /** As get_idx, empty string when missing. */
    gete_idx(hname: string, idx: number): string | number | null;
    /** Body of the first header with that name, or "<null>". */
    getw(hname: string): string | number | null;
    /** As get_idx, "<null>" when missing. */
    getw_idx(hname: string, idx: number): string | number | null;
    /** Inserts header text before the first header. */
    insert(hdrline: string): number;
    /** Inserts header text before the first header named hname (at the top when absent). */
    insert_before(hdrline: string, hname: string): number;
    /** 1 when a header with that name (or its compact form) is present, -1 otherwise. */
    is_present(hname: string): number;
    /** Removes every header with that name (compact forms too); 1 even when none was present. */
    remove(hname: string): number;
    /** Removes the headers named hrm, then appends the header text hadd. */
    rmappend(hrm: string, hadd: string): number;
    /** Removes the headers named hrm, then inserts the header text hadd at the top. */
    rminsert(hrm: string, hadd: string): number;
  };
  readonly htable: {
    /** Number of items whose key matches (op eq, ne, re, sw, ew, in); -1 on a bad op. */
    sht_cn(htname: string, op: string, pattern: string): number;
    /** Subtracts 1 from the item and RETURNS THE NEW VALUE. */
    sht_dec(htname: string, itname: string): number;
    /** Value of the item (int or str), null when missing. */
    sht_get(htname: string, itname: string): string | number | null;
    /** Value of the item, "" when missing. */
    sht_gete(htname: string, itname: string): string | number | null;
    /** Value of the item, "<null>" when missing. */
    sht_getw(htname: string, itname: string): string | number | null;
    /** Same as sht_match_name. */
    sht_has_name(sname: string, sop: string, sval: string): number;
    /** Adds 1 to the item and RETURNS THE NEW VALUE (a missing item starts from initval, else 0). */
    sht_inc(htname: string, itname: string): number;
    /** 1 when the item is missing, -1 when it exists. */
    sht_is_null(htname: string, itname: string): number;
    /** Locks the key's slot (re-entrant for this route; another route waits until it is unlocked). */
    sht_lock(htname: string, skey: string): number;
    /** 1 when some key matches (op eq, ne, re, sw, ew, in), -1 otherwise. */
    sht_match_name(sname: string, sop: string, sval: string): number;
    /** 1 when some value matches (op eq, ne, re, sw, ew, in), -1 otherwise. */
    sht_match_str_value(sname: string, sop: string, sval: string): number;
    /** Removes every item of the table. */
    sht_reset(hname: string): number;
    /** Removes the item (1 also when it was missing). */
    sht_rm(hname: string, iname: string): number;
    /** Removes the items whose key matches (op re, sw, ew, in, eq, ne). */
    sht_rm_name(sname: string, sop: string, sval: string): number;
    /** Removes the items whose key matches the regex; -1 on a bad regex. */
    sht_rm_name_re(htname: string, rexp: string): number;
    /** Removes the items whose value matches (op re, sw, ew, in, eq, ne). */
    sht_rm_value(sname: string, sop: string, sval: string): number;
    /** Removes the items whose value matches the regex; -1 on a bad regex. */
    sht_rm_value_re(htname: string, rexp: string): number;
    /** Makes the item expire in itval seconds (0 = never); -1 when it is missing. */
    sht_setex(htname: string, itname: string, itval: number): number;
    /** Sets an int item. */
    sht_seti(htname: string, itname: string, itval: number): number;
    /** Sets a string item. */
    sht_sets(htname: string, itname: string, itval: string): number;
    /** Sets an int item expiring in exval seconds. */
    sht_setxi(htname: string, itname: string, itval: number, exval: number): number;
    /** Sets a string item expiring in exval seconds. */
    sht_setxs(htname: string, itname: string, itval: string, exval: number): number;
    /** Unlocks the key's slot; -1 when this route does not hold it. */
    sht_unlock(htname: string, skey: string): number;
  };
  readonly maxfwd: {
    /** 1 when Max-Forwards is below limit, -1 when not, -2 when the header is missing. */
    is_maxfwd_lt(limit: number): number;
    /** Decrements Max-Forwards (adds it with limit when missing: 2); -1 when it is 0 (reply 483), -2 on error. */
    process_maxfwd(limit: number): number;
  };
  readonly permissions: {
    /** True (1) when ip:port is in the address group (a row with port 0 matches any port). */
    allow_address(addr_group: number, ips: string, port: number): number;
    /** The address group of ip:port, or -1. */
    allow_address_group(_addr: string, _port: number): number;
    /** True (1) when the source IP and port are in the address group; else -1. */
    allow_source_address(addr_group: number): number;
    /** The address group of the source IP and port, or -1. */
    allow_source_address_group(): number;
    /** True (1) when source IP, protocol and From URI match a trusted row; else -1. */
    allow_trusted(): number;
  };
  readonly pike: {
    /** As pike_check_req for the given IP (IPv4 or IPv6); -3 when it is not an IP address. */
    pike_check_ip(strip: string): number;
    /** Counts the request against its source IP: 1 ok, -2 blocked from this request on, -1 still blocked. */
    pike_check_req(): number;
  };
  readonly pv: {
    /** Value of a pseudo-variable: a number for int-typed PVs, a string, or null when unset. */
    get(pvname: string): string | number | null;
    /** Like get, but an empty string instead of null. */
    gete(pvname: string): string | number | null;
    /** Value as an integer: 0 when null or not numeric. */
    geti(pvname: string): number;
    /** Value, or the given integer when null. */
    getvn(pvname: string, vn: number): string | number | null;
    /** Value, or the given string when null. */
    getvs(pvname: string, vs: string): string | number | null;
    /** Like get, but "<null>" instead of null (safe to print). */
    getw(pvname: string): string | number | null;
    /** True when the PV is $null (unset or absent). */
    is_null(pvname: string): boolean;
    /** Assigns an integer to a writable PV ($var, $avp, $xavp, $shv, $du, …); throws for an unknown PV name. */
    seti(pvname: string, ival: number): boolean;
    /** Assigns a string to a writable PV ($ru, $rU, $fn, $var, $avp, …); throws for an unknown PV name. */
    sets(pvname: string, sval: string): boolean;
    /** Assigns $null (removes an AVP/xavp value, resets $du; a $var becomes 0). */
    unset(pvname: string): boolean;
  };
  readonly registrar: {
    /** Rewrites the R-URI with the best contact of its AoR, other contacts as branches: 1 found, -1 not found, -2 method not allowed, -3 error. */
    lookup(table: string): number;
    /** Lookup for the R-URI and for the URI of every branch; 1 when any was found. */
    lookup_branches(_dtable: string): number;
    /** Adds every contact of the AoR (of uri, or of the R-URI when empty) as branches; the R-URI is untouched. */
    lookup_to_dset(table: string, uri: string): number;
    /** As lookup, for the AoR of the given URI. */
    lookup_uri(table: string, uri: string): number;
    /** Loads the contacts of the AoR into a profile read with ulc_rget/ulc_cget; 1 when any, else -1. */
    reg_fetch_contacts(dtable: string, uri: string, profile: string): number;
    /** Frees a profile loaded by reg_fetch_contacts. */
    reg_free_contacts(profile: string): number;
    /** Sends the reply prepared by save(…, 0x10); -1 when none was prepared. */
    reg_send_reply(): number;
    /** True (1) when the AoR of the R-URI has live contacts, else -1. */
    registered(table: string): number;
    /** As registered, for the given URI. */
    registered_uri(_dtable: string, _uri: string): number;
    /** Saves the REGISTER contacts and replies; flags 1 mem only, 2 no reply, 4 single contact, 8 no expires range, 0x10 prepare reply. 1 inserted, 2 updated, 3 deleted, 4 fetched; -1 error, -2 too many contacts. */
    save(table: string, flags: number): number;
    /** As save, for the AoR given as a URI instead of the To URI. */
    save_uri(table: string, flags: number, uri: string): number;
    /** Contact attribute of a fetched profile at index: addr, path, received, expires, callid, q, cseq, flags, user_agent, socket, modified, methods, instance, reg_id, ruid. */
    ulc_cget(rid: string, attr: string, idx: number): string | number | null;
    /** Record attribute of a fetched profile: aor, domain, count. */
    ulc_rget(rid: string, attr: string): string | number | null;
    /** Removes every contact of the AoR of the URI; 1 done, -1 bad URI. */
    unregister(_dtable: string, _uri: string): number;
    /** Removes the contact with that ruid from the AoR; 1 removed, -1 not found. */
    unregister_ruid(_dtable: string, _uri: string, _ruid: string): number;
  };
  readonly rr: {
    /** Adds a parameter (";name=value") to our Record-Route. */
    add_rr_param(sparam: string): number;
    /** True if the parameters of our Route header match the regex. */
    check_route_param(sre: string): number;
    /** True if the in-dialog request goes "upstream" or "downstream". */
    is_direction(dir: string): number;
    /** Routes by the Route set: 1 next hop set, -1 no route (or only ours), -2 bad flow token, -3 preloaded. */
    loose_route(): number;
    /** loose_route with mode bits (flow tokens are not used here). */
    loose_route_mode(vmode: number): number;
    /** True only for a preloaded Route set on an initial request. */
    loose_route_preloaded(): number;
    /** True if a Route header is left for the next hop. */
    next_hop_route(): number;
    /** Adds Record-Route (two, r2=on, when the outgoing transport or address family differs). */
    record_route(): number;
    /** record_route using the given advertised address. */
    record_route_advertised_address(addr: string): number;
    /** record_route with extra parameters. */
    record_route_params(sparams: string): number;
    /** Adds two Record-Routes (r2=on) with the given addresses. */
    record_route_preset(addr1: string, addr2: string): number;
    /** Adds Record-Route with the given address. */
    record_route_preset_one(addr1: string): number;
    /** Removes the Record-Route headers added by this proxy. */
    remove_record_route(): number;
  };
  readonly sanity: {
    /** Runs the message checks in mflags and URI checks in uflags; -1 on failure (already replied). */
    sanity_check(mflags: number, uflags: number): number;
    /** Runs the default checks (3047, URI checks 7); -1 on failure (already replied). */
    sanity_check_defaults(): number;
    /** Sends the reply of the last failed check when the module runs with noreply. */
    sanity_reply(): number;
  };
  readonly siputils: {
    /** Appends ";param" (e.g. "user=phone") to the R-URI parameters. */
    add_uri_param(param: string): number;
    /** 1 when both names designate the same header (compact forms included), -1/-2 otherwise. */
    cmp_hdr_name(shname1: string, shname2: string): number;
    /** 1 when the To header has a tag (in-dialog request), -1 otherwise. */
    has_totag(): number;
    /** 1 when the value is only [0-9A-Za-z]; -2 when empty, -3 otherwise. */
    is_alphanum(tval: string): number;
    /** is_alphanum also accepting the characters of eset. */
    is_alphanumex(tval: string, eset: string): number;
    /** Requests: 1 with a single Via. Replies: 1 when the top Record-Route is this server and not a loop. */
    is_first_hop(): number;
    /** is_first_hop; mode 1 skips the IP-host and loop checks for replies. */
    is_first_hop_mode(mode: number): number;
    /** -1: HTTP is not routed through scripts. */
    is_http(): number;
    /** 1 when the value is only digits, -2 otherwise. */
    is_numeric(tval: string): number;
    /** 1 for a reply, -1 for a request. */
    is_reply(): number;
    /** 1 for a request, -1 for a reply. */
    is_request(): number;
    /** 1: every message this server routes is SIP. */
    is_sip(): number;
    /** 1 when the value is a telephone number (+ and a non-zero digit, or only digits), -2 otherwise. */
    is_tel_number(tval: string): number;
    /** 1 when the value parses as a URI. */
    is_uri(suri: string): number;
    /** 1 when the user part of the SIP URI is an E.164 number (+ and 2 to 15 digits), -1 otherwise (as the cfg function; not a KEMI export in Kamailio). */
    is_uri_user_e164(uri: string): number;
    /** 1 when the R-URI has the parameter without a value (name case-sensitive). */
    uri_param(sparam: string): number;
    /** 1 when the R-URI has the parameter, with or without a value (name case-insensitive). */
    uri_param_any(sparam: string): number;
    /** Removes the parameter from the R-URI; 1 also when it was absent. */
    uri_param_rm(sparam: string): number;
    /** 1 when the R-URI has the parameter with exactly that value. */
    uri_param_value(sparam: string, svalue: string): number;
  };
  readonly sl: {
    /** The To-tag a stateless reply to this request carries (null for replies). */
    get_reply_totag(): string | number | null;
    /** Replies statefully when a transaction exists, else statelessly. */
    send_reply(code: number, reason: string): number;
    /** Like sl_reply_error, statefully when a transaction exists. */
    send_reply_error(): number;
    /** Sends a stateless reply for the last internal error (500 when none is known). */
    sl_reply_error(): number;
    /** Sends a stateless reply; 1 on success, -1 on failure. */
    sl_send_reply(code: number, reason: string): number;
  };
  readonly textops: {
    /** Appends header text ("Name: value\r\n") after the last header (polysip addition: KEMI has hdr.append). */
    append_hf(txt: string): number;
    /** 1 when equal ignoring case, -1/-2 otherwise. */
    cmp_istr(s1: string, s2: string): number;
    /** 1 when equal (case-sensitive), -1/-2 otherwise. */
    cmp_str(s1: string, s2: string): number;
    /** 1 when vstr ends with vsuffix. */
    ends_with(vstr: string, vsuffix: string): number;
    /** 1 when Content-Length announces a body. */
    has_body(): number;
    /** 1 when there is a body of that Content-Type. */
    has_body_type(ctype: string): number;
    /** 1 when subject is an item of the list. */
    in_list(subject: string, list: string, vsep: string): number;
    /** 1 when an item of the list is a prefix of subject. */
    in_list_prefix(subject: string, list: string, vsep: string): number;
    /** 1 when a header with that name (or compact form) exists. */
    is_present_hf(hname: string): number;
    /** 1 when a header name matches the regex. */
    is_present_hf_re(ematch: string): number;
    /** 1 when the Privacy header lists that value (id, user, header…). */
    is_privacy(privacy: string): number;
    /** Removes every header with that name; 1 (also when none was there). */
    remove_hf(hname: string): number;
    /** Removes the header of that name at index idx (negative from the end). */
    remove_hf_idx(hname: string, idx: number): number;
    /** Removes the headers whose name matches the regex; -1 when none. */
    remove_hf_re(ematch: string): number;
    /** Replaces the first regex match in headers and body. */
    replace(sre: string, sval: string): number;
    /** Replaces every regex match in headers and body. */
    replace_all(sre: string, sval: string): number;
    /** Replaces the first regex match in the body. */
    replace_body(sre: string, sval: string): number;
    /** Replaces every regex match in the body (line by line). */
    replace_body_all(sre: string, sval: string): number;
    /** Replaces every regex match in the body taken as one string. */
    replace_body_atonce(sre: string, sval: string): number;
    /** Regex (POSIX, case-insensitive) anywhere in the message: 1 / -1. */
    search(sre: string): number;
    /** Regex in the body: 1 / -1. */
    search_body(sre: string): number;
    /** Regex in the bodies of the named headers (flags: a all, f first, l last). */
    search_hf(hname: string, sre: string, flags: string): number;
    /** Regex over the given text: 1 / -1. */
    search_str(stext: string, sre: string): number;
    /** Replaces the body and its Content-Type. */
    set_body(nb: string, nc: string): number;
    /** 1 when s1 starts with s2. */
    starts_with(s1: string, s2: string): number;
    /** Position (from 1) of needle in txt, -1 when absent. */
    str_find(txt: string, needle: string): number;
    /** As str_find, ignoring case. */
    str_ifind(txt: string, needle: string): number;
    /** sed-like '/re/repl/flags' over headers and body (flags i, g, s). */
    subst(subst: string): number;
    /** sed-like '/re/repl/flags' over the body. */
    subst_body(subst: string): number;
    /** sed-like '/re/repl/flags' over the bodies of the named headers (flags: a, f, l). */
    subst_hf(hname: string, subst: string, flags: string): number;
    /** sed-like '/re/repl/flags' over the R-URI. */
    subst_uri(subst: string): number;
    /** sed-like '/re/repl/flags' over the R-URI user. */
    subst_user(subst: string): number;
  };
  readonly tm: {
    /** t_load_contacts with a mode (0 only). */
    ki_t_load_contacts_mode(mode: number): number;
    /** True if any branch received a reply. */
    t_any_replied(): number;
    /** True if any branch timed out. */
    t_any_timeout(): number;
    /** True if the current (failed) branch received a reply. */
    t_branch_replied(): number;
    /** True if the current (failed) branch timed out. */
    t_branch_timeout(): number;
    /** True if the relevant reply code matches the regular expression. */
    t_check_status(sexp: string): number;
    /** Request: 0 retransmission handled (stop), 1 related transaction (CANCEL/ACK), -1 none; reply: 1 if it belongs to one. */
    t_check_trans(): number;
    /** Drops received replies from selection: a all, l last set, n none. */
    t_drop_replies(mode: string): number;
    /** Drops every received reply from selection. */
    t_drop_replies_all(): number;
    /** True if a transaction is bound to this message. */
    t_exists(): number;
    /** Index of the current branch. */
    t_get_branch_index(): number;
    /** The most relevant reply code of the transaction, -1 if none. */
    t_get_status_code(): number;
    /** True if any branch got a final reply with this code. */
    t_grep_status(code: number): number;
    /** True if the transaction was cancelled. */
    t_is_canceled(): number;
    /** True for a retransmitted reply on a suspended reply (never here). */
    t_is_retr_async_reply(): number;
    /** True if "failure_route", "branch_route", "onreply_route" or "branch_failure_route" is armed. */
    t_is_set(target: string): number;
    /** Orders the destination set by q into the tm_contacts xavp (serial forking). */
    t_load_contacts(): number;
    /** True if the INVITE transaction of this CANCEL exists. */
    t_lookup_cancel(): number;
    /** True if a transaction exists for this request. */
    t_lookup_request(): number;
    /** Creates the server transaction; 1 created, 0 retransmission (stop), -1 error. */
    t_newtran(): number;
    /** Loads the next q group of contacts as R-URI and branches; -1 when none. */
    t_next_contacts(): number;
    /** Function to run for each outgoing branch; "" resets. */
    t_on_branch(rname: string): number;
    /** Function to run for each failed branch (armed only). */
    t_on_branch_failure(rname: string): number;
    /** Function to run when the transaction fails (one-shot); "" resets. */
    t_on_failure(rname: string): number;
    /** Function to run for each reply of the transaction; "" resets. */
    t_on_reply(rname: string): number;
    /** Relays statefully to $du or the R-URI plus appended branches; 1 sent, -1 error. */
    t_relay(): number;
    /** Relays statefully (flags: 0x01 no 100 Trying). */
    t_relay_to_flags(rflags: number): number;
    /** Relays statefully forcing the transport. */
    t_relay_to_proto(sproto: string): number;
    /** Relays statefully to the given transport, host and port. */
    t_relay_to_proto_addr(sproto: string, host: string, port: number): number;
    /** Relays statefully to "proto:host:port". */
    t_relay_to_proxy(sproxy: string): number;
    /** Relays statefully to "proto:host:port" with flags. */
    t_relay_to_proxy_flags(sproxy: string, rflags: number): number;
    /** Releases the transaction (it ends on its own timers once answered). */
    t_release(): number;
    /** Replies within the existing transaction. */
    t_reply(code: number, reason: string): number;
    /** Replies statefully with the last internal error (500 when none). */
    t_reply_error(): number;
    /** Resets the fr timers to their defaults. */
    t_reset_fr(): number;
    /** Re-sends the last reply of the transaction. */
    t_retransmit_reply(): number;
    /** Saves the current message changes into the transaction for later branches. */
    t_save_lumps(): number;
    /** Creates the transaction if needed and replies statefully. */
    t_send_reply(code: number, reason: string): number;
    /** Per transaction: automatic 100 Trying for INVITE on/off. */
    t_set_auto_inv_100(state: number): number;
    /** Per transaction: treat 6xx like other replies (no cancel). */
    t_set_disable_6xx(state: number): number;
    /** Sets fr_inv and fr timers (ms, 0 = default) for this transaction. */
    t_set_fr(fr_inv: number, fr: number): number;
    /** Sets the fr_inv timer (ms) for this transaction. */
    t_set_fr_inv(fr_inv: number): number;
  };
  readonly tmx: {
    /** Cancels branches: "all", "others" or "this". */
    t_cancel_branches(mode: string): number;
    /** Resumes a suspended transaction by running the named function on its request. */
    t_continue(tindex: number, tlabel: number, cbname: string): number;
    /** Copies the message flags into the transaction. */
    t_flush_flags(): number;
    /** Copies the extended flags into the transaction. */
    t_flush_xflags(): number;
    /** True in a branch route. */
    t_is_branch_route(): number;
    /** True in a failure route. */
    t_is_failure_route(): number;
    /** True in a reply route. */
    t_is_reply_route(): number;
    /** True in a request route. */
    t_is_request_route(): number;
    /** True if another copy of this request is being routed right now. */
    t_precheck_trans(): number;
    /** Suspends the transaction (created if needed); ids in $T(id_index)/$T(id_label). */
    t_suspend(): number;
  };
  readonly x: {
    /** Marks the message dropped and ends the whole route now (even through pcall/try). */
    drop(): never;
    /** Ends the whole route now (even through pcall/try). */
    exit(): never;
  };
};
