# Generated from the KSR export registry. Do not edit.
from typing import NoReturn, Union

def crit(msg: str) -> int:
    """Writes the text to the log at crit level (no PV expansion)."""
    ...

def dbg(msg: str) -> int:
    """Writes the text to the log at dbg level (no PV expansion)."""
    ...

def err(msg: str) -> int:
    """Writes the text to the log at err level (no PV expansion)."""
    ...

def force_rport() -> bool:
    """Acts as if the top Via had rport: replies go back to the source ip:port."""
    ...

def forward() -> int:
    """Forwards the request statelessly to $du, else the R-URI; 1 when sent, -1 otherwise."""
    ...

def forward_uri(uri: str) -> int:
    """Forwards the request statelessly to the given SIP URI; 1 when sent, -1 otherwise."""
    ...

def get_debug() -> int:
    """The current log level as Kamailio's debug number (3 debug, 2 info, 0 warn, -1 err)."""
    ...

def info(msg: str) -> int:
    """Writes the text to the log at info level (no PV expansion)."""
    ...

def is_ACK() -> bool:
    """True when the method (CSeq method of a reply) is ACK."""
    ...

def is_BYE() -> bool:
    """True when the method (CSeq method of a reply) is BYE."""
    ...

def is_CANCEL() -> bool:
    """True when the method (CSeq method of a reply) is CANCEL."""
    ...

def is_DELETE() -> bool:
    """True when the method (CSeq method of a reply) is DELETE."""
    ...

def is_GET() -> bool:
    """True when the method (CSeq method of a reply) is GET."""
    ...

def is_INFO() -> bool:
    """True when the method (CSeq method of a reply) is INFO."""
    ...

def is_INVITE() -> bool:
    """True when the method (CSeq method of a reply) is INVITE."""
    ...

def is_IPv4() -> bool:
    """True when received over IPv4."""
    ...

def is_IPv6() -> bool:
    """True when received over IPv6."""
    ...

def is_KDMQ() -> bool:
    """True when the method (CSeq method of a reply) is KDMQ."""
    ...

def is_MESSAGE() -> bool:
    """True when the method (CSeq method of a reply) is MESSAGE."""
    ...

def is_NOTIFY() -> bool:
    """True when the method (CSeq method of a reply) is NOTIFY."""
    ...

def is_OPTIONS() -> bool:
    """True when the method (CSeq method of a reply) is OPTIONS."""
    ...

def is_POST() -> bool:
    """True when the method (CSeq method of a reply) is POST."""
    ...

def is_PRACK() -> bool:
    """True when the method (CSeq method of a reply) is PRACK."""
    ...

def is_PUBLISH() -> bool:
    """True when the method (CSeq method of a reply) is PUBLISH."""
    ...

def is_PUT() -> bool:
    """True when the method (CSeq method of a reply) is PUT."""
    ...

def is_REFER() -> bool:
    """True when the method (CSeq method of a reply) is REFER."""
    ...

def is_REGISTER() -> bool:
    """True when the method (CSeq method of a reply) is REGISTER."""
    ...

def is_SCTP() -> bool:
    """True when the message was received over SCTP."""
    ...

def is_SUBSCRIBE() -> bool:
    """True when the method (CSeq method of a reply) is SUBSCRIBE."""
    ...

def is_TCP() -> bool:
    """True when the message was received over TCP."""
    ...

def is_TCPX() -> bool:
    """True when received over a TCP-based transport (TCP, TLS, WS, WSS)."""
    ...

def is_TLS() -> bool:
    """True when the message was received over TLS."""
    ...

def is_UDP() -> bool:
    """True when the message was received over UDP."""
    ...

def is_UPDATE() -> bool:
    """True when the method (CSeq method of a reply) is UPDATE."""
    ...

def is_WS() -> bool:
    """True when the message was received over WS."""
    ...

def is_WSS() -> bool:
    """True when the message was received over WSS."""
    ...

def is_WSX() -> bool:
    """True when received over WS or WSS."""
    ...

def is_dst_port(port: int) -> bool:
    """True when the local receiving port equals the value."""
    ...

def is_method(method: str) -> bool:
    """True when the method equals the name (case-insensitive); "A|B" matches any listed."""
    ...

def is_method_in(letters: str) -> bool:
    """True when the method is in the set given as letters (I=INVITE A=ACK B=BYE C=CANCEL R=REGISTER O=OPTIONS S=SUBSCRIBE N=NOTIFY P=PUBLISH M=MESSAGE F=REFER E=PRACK U=UPDATE K=KDMQ G=GET T=POST V=PUT D=DELETE)."""
    ...

def is_myself(uri: str) -> bool:
    """True when the URI host:port is one of our listening addresses or aliases."""
    ...

def is_myself_duri() -> bool:
    """True when $du points to this server."""
    ...

def is_myself_furi() -> bool:
    """True when the From URI is one of our domains or addresses."""
    ...

def is_myself_nhuri() -> bool:
    """True when the next hop ($du if set, else R-URI) points to this server."""
    ...

def is_myself_ruri() -> bool:
    """True when the R-URI points to this server."""
    ...

def is_myself_srcip() -> bool:
    """True when the source IP is one of our local addresses (loop detection)."""
    ...

def is_myself_suri() -> bool:
    """True when the source address (ip:port:proto) is one of our sockets."""
    ...

def is_myself_turi() -> bool:
    """True when the To URI is one of our domains or addresses."""
    ...

def is_proto(protos: str) -> bool:
    """True when the receiving protocol matches a letter: u=UDP t=TCP e=TLS s=SCTP v=WS w=WSS."""
    ...

def is_src_port(port: int) -> bool:
    """True when the source port equals the value."""
    ...

def isbflagset(flag: int) -> bool:
    """True when branch 0 flag is set."""
    ...

def isdsturiset() -> bool:
    """True when $du is set."""
    ...

def isflagset(flag: int) -> bool:
    """True when message flag is set."""
    ...

def log(level: str, msg: str) -> int:
    """Logs at the named level (dbg, info, notice, warn, err, crit); unknown levels log as err."""
    ...

def notice(msg: str) -> int:
    """Writes the text to the log at notice level (no PV expansion)."""
    ...

def resetbflag(flag: int) -> bool:
    """Resets branch 0 flag (0..31)."""
    ...

def resetdsturi() -> bool:
    """Clears the destination URI ($du)."""
    ...

def resetflag(flag: int) -> bool:
    """Resets message flag (0..31)."""
    ...

def route(name: str) -> Union[str, int, None]:
    """Calls the script's own function `name` in the same route (error if it does not exist); returns what it returns."""
    ...

def set_drop() -> int:
    """Marks the message to be dropped when the route returns; the script keeps running."""
    ...

def setbflag(flag: int) -> bool:
    """Sets branch 0 flag (0..31)."""
    ...

def setdsturi(uri: str) -> bool:
    """Sets the destination URI ($du): where the request is sent, the R-URI unchanged."""
    ...

def setflag(flag: int) -> bool:
    """Sets message flag (0..31)."""
    ...

def sethost(host: str) -> bool:
    """Replaces the host part of the R-URI."""
    ...

def seturi(uri: str) -> bool:
    """Replaces the whole R-URI."""
    ...

def setuser(user: str) -> bool:
    """Replaces the user part of the R-URI."""
    ...

def to_IPv4() -> bool:
    """True when the next hop host is an IPv4 literal."""
    ...

def to_IPv6() -> bool:
    """True when the next hop host is an IPv6 literal."""
    ...

def to_SCTP() -> bool:
    """True when the next hop ($du, else R-URI) uses SCTP."""
    ...

def to_TCP() -> bool:
    """True when the next hop ($du, else R-URI) uses TCP."""
    ...

def to_TLS() -> bool:
    """True when the next hop ($du, else R-URI) uses TLS."""
    ...

def to_UDP() -> bool:
    """True when the next hop ($du, else R-URI) uses UDP."""
    ...

def to_WS() -> bool:
    """True when the next hop ($du, else R-URI) uses WS."""
    ...

def to_WSS() -> bool:
    """True when the next hop ($du, else R-URI) uses WSS."""
    ...

def warn(msg: str) -> int:
    """Writes the text to the log at warn level (no PV expansion)."""
    ...


class auth:
    @staticmethod
    def auth_algorithm(alg: str) -> int:
        """Sets the digest algorithm of the next challenge (MD5, SHA-256, …); -1 unknown."""
        ...

    @staticmethod
    def auth_challenge(realm: str, flags: int) -> int:
        """Sends 401 (REGISTER) or 407 challenge; flags 1 qop=auth, 2 qop=auth-int, 4 no 500 on internal error, 16 stale=true."""
        ...

    @staticmethod
    def consume_credentials() -> int:
        """Removes the Authorization/Proxy-Authorization header that authenticated the request."""
        ...

    @staticmethod
    def has_credentials(srealm: str) -> int:
        """True (1) when the request carries digest credentials for the realm."""
        ...

    @staticmethod
    def proxy_challenge(realm: str, flags: int) -> int:
        """Sends a 407 challenge (flags as auth_challenge)."""
        ...

    @staticmethod
    def pv_auth_check(srealm: str, spasswd: str, vflags: int, vchecks: int) -> int:
        """Checks credentials against the given password (vflags 1: it is an HA1); vchecks 1: the auth user must be the From/To user (-8)."""
        ...

    @staticmethod
    def pv_proxy_authenticate(realm: str, passwd: str, flags: int) -> int:
        """Checks Proxy-Authorization against the given password (flags 1: HA1)."""
        ...

    @staticmethod
    def pv_www_authenticate(realm: str, passwd: str, flags: int) -> int:
        """Checks Authorization against the given password (flags 1: HA1)."""
        ...

    @staticmethod
    def pv_www_authenticate_method(realm: str, passwd: str, flags: int, method: str) -> int:
        """As pv_www_authenticate, with the method used in the digest given."""
        ...

    @staticmethod
    def www_challenge(realm: str, flags: int) -> int:
        """Sends a 401 challenge (flags as auth_challenge)."""
        ...


class auth_db:
    @staticmethod
    def auth_check(srealm: str, stable: str, iflags: int) -> int:
        """Digest check against the subscriber table (REGISTER: Authorization, else Proxy-Authorization). 1 ok; -1 error, -2 bad password, -3 unknown user, -4 stale nonce, -5 no credentials, -6 nonce reused, -8 auth user is not the From/To user (flag 1)."""
        ...

    @staticmethod
    def is_subscriber(suri: str, stable: str, iflags: int) -> int:
        """True (1) when the user@host of the URI is in the subscriber table; -1 not, -2 error."""
        ...

    @staticmethod
    def www_authenticate(realm: str, table: str) -> int:
        """Checks the Authorization header against the subscriber table (codes as auth_check)."""
        ...

    @staticmethod
    def www_authenticate_method(realm: str, table: str, method: str) -> int:
        """As www_authenticate, with the method used in the digest given."""
        ...


class auth_guard:
    @staticmethod
    def add_failure(key: str) -> int:
        """Counts a failure for any key of the tenant's own counters; returns the new count."""
        ...

    @staticmethod
    def failures(key: str) -> int:
        """Current failure count of a key ("src:IP" or "user:USER@REALM") in the tenant's own counters."""
        ...

    @staticmethod
    def is_blocked() -> int:
        """True (1) when the source address or the credentials user has reached max_failures within block_time; else -1."""
        ...

    @staticmethod
    def record_failure() -> int:
        """Counts an authentication failure for the source address and the credentials user; returns the highest count."""
        ...

    @staticmethod
    def reset_user() -> int:
        """Clears the failure count of the credentials user (after a success); 1."""
        ...


class corex:
    @staticmethod
    def append_branch() -> int:
        """Moves the current R-URI (with $du and branch flags) into a new branch for parallel forking."""
        ...

    @staticmethod
    def append_branch_uri(uri: str) -> int:
        """Adds a branch to the given URI."""
        ...

    @staticmethod
    def append_branch_uri_q(uri: str, q: str) -> int:
        """Adds a branch to the given URI with a q value ("0.5")."""
        ...

    @staticmethod
    def has_ruri_user() -> int:
        """1 when the R-URI has a user part, -1 otherwise (and for replies)."""
        ...

    @staticmethod
    def has_user_agent() -> int:
        """1 when a non-empty User-Agent header is present."""
        ...

    @staticmethod
    def isxflagset(fval: int) -> int:
        """1 when extended message flag fval is set, -1 otherwise."""
        ...

    @staticmethod
    def resetxflag(fval: int) -> int:
        """Resets extended message flag fval (0..63)."""
        ...

    @staticmethod
    def send_data(uri: str, data: str) -> int:
        """Sends raw data to the address of a SIP URI (its transport parameter picks the protocol)."""
        ...

    @staticmethod
    def setxflag(fval: int) -> int:
        """Sets extended message flag fval (0..63)."""
        ...


class group:
    @staticmethod
    def is_user_in(uri: str, grp: str) -> int:
        """True (1) when user@host of the SIP URI is in the group; -1 not (or bad URI), -2 store error."""
        ...


class hdr:
    @staticmethod
    def append(hdrline: str) -> int:
        """Appends header text ("Name: value\\r\\n", one or more lines) after the last header."""
        ...

    @staticmethod
    def append_after(hdrline: str, hname: str) -> int:
        """Appends header text after the first header named hname (after the last header when absent)."""
        ...

    @staticmethod
    def get(hname: str) -> Union[str, int, None]:
        """Body of the first header with that name, or null."""
        ...

    @staticmethod
    def get_idx(hname: str, idx: int) -> Union[str, int, None]:
        """Body of the header with that name at index idx (negative from the end), or null."""
        ...

    @staticmethod
    def gete(hname: str) -> Union[str, int, None]:
        """Body of the first header with that name, or an empty string."""
        ...

    @staticmethod
    def gete_idx(hname: str, idx: int) -> Union[str, int, None]:
        """As get_idx, empty string when missing."""
        ...

    @staticmethod
    def getw(hname: str) -> Union[str, int, None]:
        """Body of the first header with that name, or "<null>"."""
        ...

    @staticmethod
    def getw_idx(hname: str, idx: int) -> Union[str, int, None]:
        """As get_idx, "<null>" when missing."""
        ...

    @staticmethod
    def insert(hdrline: str) -> int:
        """Inserts header text before the first header."""
        ...

    @staticmethod
    def insert_before(hdrline: str, hname: str) -> int:
        """Inserts header text before the first header named hname (at the top when absent)."""
        ...

    @staticmethod
    def is_present(hname: str) -> int:
        """1 when a header with that name (or its compact form) is present, -1 otherwise."""
        ...

    @staticmethod
    def remove(hname: str) -> int:
        """Removes every header with that name (compact forms too); 1 even when none was present."""
        ...

    @staticmethod
    def rmappend(hrm: str, hadd: str) -> int:
        """Removes the headers named hrm, then appends the header text hadd."""
        ...

    @staticmethod
    def rminsert(hrm: str, hadd: str) -> int:
        """Removes the headers named hrm, then inserts the header text hadd at the top."""
        ...


class htable:
    @staticmethod
    def sht_cn(htname: str, op: str, pattern: str) -> int:
        """Number of items whose key matches (op eq, ne, re, sw, ew, in); -1 on a bad op."""
        ...

    @staticmethod
    def sht_dec(htname: str, itname: str) -> int:
        """Subtracts 1 from the item and RETURNS THE NEW VALUE."""
        ...

    @staticmethod
    def sht_get(htname: str, itname: str) -> Union[str, int, None]:
        """Value of the item (int or str), null when missing."""
        ...

    @staticmethod
    def sht_gete(htname: str, itname: str) -> Union[str, int, None]:
        """Value of the item, "" when missing."""
        ...

    @staticmethod
    def sht_getw(htname: str, itname: str) -> Union[str, int, None]:
        """Value of the item, "<null>" when missing."""
        ...

    @staticmethod
    def sht_has_name(sname: str, sop: str, sval: str) -> int:
        """Same as sht_match_name."""
        ...

    @staticmethod
    def sht_inc(htname: str, itname: str) -> int:
        """Adds 1 to the item and RETURNS THE NEW VALUE (a missing item starts from initval, else 0)."""
        ...

    @staticmethod
    def sht_is_null(htname: str, itname: str) -> int:
        """1 when the item is missing, -1 when it exists."""
        ...

    @staticmethod
    def sht_lock(htname: str, skey: str) -> int:
        """Locks the key's slot (re-entrant for this route; another route waits until it is unlocked)."""
        ...

    @staticmethod
    def sht_match_name(sname: str, sop: str, sval: str) -> int:
        """1 when some key matches (op eq, ne, re, sw, ew, in), -1 otherwise."""
        ...

    @staticmethod
    def sht_match_str_value(sname: str, sop: str, sval: str) -> int:
        """1 when some value matches (op eq, ne, re, sw, ew, in), -1 otherwise."""
        ...

    @staticmethod
    def sht_reset(hname: str) -> int:
        """Removes every item of the table."""
        ...

    @staticmethod
    def sht_rm(hname: str, iname: str) -> int:
        """Removes the item (1 also when it was missing)."""
        ...

    @staticmethod
    def sht_rm_name(sname: str, sop: str, sval: str) -> int:
        """Removes the items whose key matches (op re, sw, ew, in, eq, ne)."""
        ...

    @staticmethod
    def sht_rm_name_re(htname: str, rexp: str) -> int:
        """Removes the items whose key matches the regex; -1 on a bad regex."""
        ...

    @staticmethod
    def sht_rm_value(sname: str, sop: str, sval: str) -> int:
        """Removes the items whose value matches (op re, sw, ew, in, eq, ne)."""
        ...

    @staticmethod
    def sht_rm_value_re(htname: str, rexp: str) -> int:
        """Removes the items whose value matches the regex; -1 on a bad regex."""
        ...

    @staticmethod
    def sht_setex(htname: str, itname: str, itval: int) -> int:
        """Makes the item expire in itval seconds (0 = never); -1 when it is missing."""
        ...

    @staticmethod
    def sht_seti(htname: str, itname: str, itval: int) -> int:
        """Sets an int item."""
        ...

    @staticmethod
    def sht_sets(htname: str, itname: str, itval: str) -> int:
        """Sets a string item."""
        ...

    @staticmethod
    def sht_setxi(htname: str, itname: str, itval: int, exval: int) -> int:
        """Sets an int item expiring in exval seconds."""
        ...

    @staticmethod
    def sht_setxs(htname: str, itname: str, itval: str, exval: int) -> int:
        """Sets a string item expiring in exval seconds."""
        ...

    @staticmethod
    def sht_unlock(htname: str, skey: str) -> int:
        """Unlocks the key's slot; -1 when this route does not hold it."""
        ...


class maxfwd:
    @staticmethod
    def is_maxfwd_lt(limit: int) -> int:
        """1 when Max-Forwards is below limit, -1 when not, -2 when the header is missing."""
        ...

    @staticmethod
    def process_maxfwd(limit: int) -> int:
        """Decrements Max-Forwards (adds it with limit when missing: 2); -1 when it is 0 (reply 483), -2 on error."""
        ...


class permissions:
    @staticmethod
    def allow_address(addr_group: int, ips: str, port: int) -> int:
        """True (1) when ip:port is in the address group (a row with port 0 matches any port)."""
        ...

    @staticmethod
    def allow_address_group(_addr: str, _port: int) -> int:
        """The address group of ip:port, or -1."""
        ...

    @staticmethod
    def allow_source_address(addr_group: int) -> int:
        """True (1) when the source IP and port are in the address group; else -1."""
        ...

    @staticmethod
    def allow_source_address_group() -> int:
        """The address group of the source IP and port, or -1."""
        ...

    @staticmethod
    def allow_trusted() -> int:
        """True (1) when source IP, protocol and From URI match a trusted row; else -1."""
        ...


class pike:
    @staticmethod
    def pike_check_ip(strip: str) -> int:
        """As pike_check_req for the given IP (IPv4 or IPv6); -3 when it is not an IP address."""
        ...

    @staticmethod
    def pike_check_req() -> int:
        """Counts the request against its source IP: 1 ok, -2 blocked from this request on, -1 still blocked."""
        ...


class pv:
    @staticmethod
    def get(pvname: str) -> Union[str, int, None]:
        """Value of a pseudo-variable: a number for int-typed PVs, a string, or null when unset."""
        ...

    @staticmethod
    def gete(pvname: str) -> Union[str, int, None]:
        """Like get, but an empty string instead of null."""
        ...

    @staticmethod
    def geti(pvname: str) -> int:
        """Value as an integer: 0 when null or not numeric."""
        ...

    @staticmethod
    def getvn(pvname: str, vn: int) -> Union[str, int, None]:
        """Value, or the given integer when null."""
        ...

    @staticmethod
    def getvs(pvname: str, vs: str) -> Union[str, int, None]:
        """Value, or the given string when null."""
        ...

    @staticmethod
    def getw(pvname: str) -> Union[str, int, None]:
        """Like get, but "<null>" instead of null (safe to print)."""
        ...

    @staticmethod
    def is_null(pvname: str) -> bool:
        """True when the PV is $null (unset or absent)."""
        ...

    @staticmethod
    def seti(pvname: str, ival: int) -> bool:
        """Assigns an integer to a writable PV ($var, $avp, $xavp, $shv, $du, …); throws for an unknown PV name."""
        ...

    @staticmethod
    def sets(pvname: str, sval: str) -> bool:
        """Assigns a string to a writable PV ($ru, $rU, $fn, $var, $avp, …); throws for an unknown PV name."""
        ...

    @staticmethod
    def unset(pvname: str) -> bool:
        """Assigns $null (removes an AVP/xavp value, resets $du; a $var becomes 0)."""
        ...


class registrar:
    @staticmethod
    def lookup(table: str) -> int:
        """Rewrites the R-URI with the best contact of its AoR, other contacts as branches: 1 found, -1 not found, -2 method not allowed, -3 error."""
        ...

    @staticmethod
    def lookup_branches(_dtable: str) -> int:
        """Lookup for the R-URI and for the URI of every branch; 1 when any was found."""
        ...

    @staticmethod
    def lookup_to_dset(table: str, uri: str) -> int:
        """Adds every contact of the AoR (of uri, or of the R-URI when empty) as branches; the R-URI is untouched."""
        ...

    @staticmethod
    def lookup_uri(table: str, uri: str) -> int:
        """As lookup, for the AoR of the given URI."""
        ...

    @staticmethod
    def reg_fetch_contacts(dtable: str, uri: str, profile: str) -> int:
        """Loads the contacts of the AoR into a profile read with ulc_rget/ulc_cget; 1 when any, else -1."""
        ...

    @staticmethod
    def reg_free_contacts(profile: str) -> int:
        """Frees a profile loaded by reg_fetch_contacts."""
        ...

    @staticmethod
    def reg_send_reply() -> int:
        """Sends the reply prepared by save(…, 0x10); -1 when none was prepared."""
        ...

    @staticmethod
    def registered(table: str) -> int:
        """True (1) when the AoR of the R-URI has live contacts, else -1."""
        ...

    @staticmethod
    def registered_uri(_dtable: str, _uri: str) -> int:
        """As registered, for the given URI."""
        ...

    @staticmethod
    def save(table: str, flags: int) -> int:
        """Saves the REGISTER contacts and replies; flags 1 mem only, 2 no reply, 4 single contact, 8 no expires range, 0x10 prepare reply. 1 inserted, 2 updated, 3 deleted, 4 fetched; -1 error, -2 too many contacts."""
        ...

    @staticmethod
    def save_uri(table: str, flags: int, uri: str) -> int:
        """As save, for the AoR given as a URI instead of the To URI."""
        ...

    @staticmethod
    def ulc_cget(rid: str, attr: str, idx: int) -> Union[str, int, None]:
        """Contact attribute of a fetched profile at index: addr, path, received, expires, callid, q, cseq, flags, user_agent, socket, modified, methods, instance, reg_id, ruid."""
        ...

    @staticmethod
    def ulc_rget(rid: str, attr: str) -> Union[str, int, None]:
        """Record attribute of a fetched profile: aor, domain, count."""
        ...

    @staticmethod
    def unregister(_dtable: str, _uri: str) -> int:
        """Removes every contact of the AoR of the URI; 1 done, -1 bad URI."""
        ...

    @staticmethod
    def unregister_ruid(_dtable: str, _uri: str, _ruid: str) -> int:
        """Removes the contact with that ruid from the AoR; 1 removed, -1 not found."""
        ...


class rr:
    @staticmethod
    def add_rr_param(sparam: str) -> int:
        """Adds a parameter (";name=value") to our Record-Route."""
        ...

    @staticmethod
    def check_route_param(sre: str) -> int:
        """True if the parameters of our Route header match the regex."""
        ...

    @staticmethod
    def is_direction(dir: str) -> int:
        """True if the in-dialog request goes "upstream" or "downstream"."""
        ...

    @staticmethod
    def loose_route() -> int:
        """Routes by the Route set: 1 next hop set, -1 no route (or only ours), -2 bad flow token, -3 preloaded."""
        ...

    @staticmethod
    def loose_route_mode(vmode: int) -> int:
        """loose_route with mode bits (flow tokens are not used here)."""
        ...

    @staticmethod
    def loose_route_preloaded() -> int:
        """True only for a preloaded Route set on an initial request."""
        ...

    @staticmethod
    def next_hop_route() -> int:
        """True if a Route header is left for the next hop."""
        ...

    @staticmethod
    def record_route() -> int:
        """Adds Record-Route (two, r2=on, when the outgoing transport or address family differs)."""
        ...

    @staticmethod
    def record_route_advertised_address(addr: str) -> int:
        """record_route using the given advertised address."""
        ...

    @staticmethod
    def record_route_params(sparams: str) -> int:
        """record_route with extra parameters."""
        ...

    @staticmethod
    def record_route_preset(addr1: str, addr2: str) -> int:
        """Adds two Record-Routes (r2=on) with the given addresses."""
        ...

    @staticmethod
    def record_route_preset_one(addr1: str) -> int:
        """Adds Record-Route with the given address."""
        ...

    @staticmethod
    def remove_record_route() -> int:
        """Removes the Record-Route headers added by this proxy."""
        ...


class sanity:
    @staticmethod
    def sanity_check(mflags: int, uflags: int) -> int:
        """Runs the message checks in mflags and URI checks in uflags; -1 on failure (already replied)."""
        ...

    @staticmethod
    def sanity_check_defaults() -> int:
        """Runs the default checks (3047, URI checks 7); -1 on failure (already replied)."""
        ...

    @staticmethod
    def sanity_reply() -> int:
        """Sends the reply of the last failed check when the module runs with noreply."""
        ...


class siputils:
    @staticmethod
    def add_uri_param(param: str) -> int:
        """Appends ";param" (e.g. "user=phone") to the R-URI parameters."""
        ...

    @staticmethod
    def cmp_hdr_name(shname1: str, shname2: str) -> int:
        """1 when both names designate the same header (compact forms included), -1/-2 otherwise."""
        ...

    @staticmethod
    def has_totag() -> int:
        """1 when the To header has a tag (in-dialog request), -1 otherwise."""
        ...

    @staticmethod
    def is_alphanum(tval: str) -> int:
        """1 when the value is only [0-9A-Za-z]; -2 when empty, -3 otherwise."""
        ...

    @staticmethod
    def is_alphanumex(tval: str, eset: str) -> int:
        """is_alphanum also accepting the characters of eset."""
        ...

    @staticmethod
    def is_first_hop() -> int:
        """Requests: 1 with a single Via. Replies: 1 when the top Record-Route is this server and not a loop."""
        ...

    @staticmethod
    def is_first_hop_mode(mode: int) -> int:
        """is_first_hop; mode 1 skips the IP-host and loop checks for replies."""
        ...

    @staticmethod
    def is_http() -> int:
        """-1: HTTP is not routed through scripts."""
        ...

    @staticmethod
    def is_numeric(tval: str) -> int:
        """1 when the value is only digits, -2 otherwise."""
        ...

    @staticmethod
    def is_reply() -> int:
        """1 for a reply, -1 for a request."""
        ...

    @staticmethod
    def is_request() -> int:
        """1 for a request, -1 for a reply."""
        ...

    @staticmethod
    def is_sip() -> int:
        """1: every message this server routes is SIP."""
        ...

    @staticmethod
    def is_tel_number(tval: str) -> int:
        """1 when the value is a telephone number (+ and a non-zero digit, or only digits), -2 otherwise."""
        ...

    @staticmethod
    def is_uri(suri: str) -> int:
        """1 when the value parses as a URI."""
        ...

    @staticmethod
    def is_uri_user_e164(uri: str) -> int:
        """1 when the user part of the SIP URI is an E.164 number (+ and 2 to 15 digits), -1 otherwise (as the cfg function; not a KEMI export in Kamailio)."""
        ...

    @staticmethod
    def uri_param(sparam: str) -> int:
        """1 when the R-URI has the parameter without a value (name case-sensitive)."""
        ...

    @staticmethod
    def uri_param_any(sparam: str) -> int:
        """1 when the R-URI has the parameter, with or without a value (name case-insensitive)."""
        ...

    @staticmethod
    def uri_param_rm(sparam: str) -> int:
        """Removes the parameter from the R-URI; 1 also when it was absent."""
        ...

    @staticmethod
    def uri_param_value(sparam: str, svalue: str) -> int:
        """1 when the R-URI has the parameter with exactly that value."""
        ...


class sl:
    @staticmethod
    def get_reply_totag() -> Union[str, int, None]:
        """The To-tag a stateless reply to this request carries (null for replies)."""
        ...

    @staticmethod
    def send_reply(code: int, reason: str) -> int:
        """Replies statefully when a transaction exists, else statelessly."""
        ...

    @staticmethod
    def send_reply_error() -> int:
        """Like sl_reply_error, statefully when a transaction exists."""
        ...

    @staticmethod
    def sl_reply_error() -> int:
        """Sends a stateless reply for the last internal error (500 when none is known)."""
        ...

    @staticmethod
    def sl_send_reply(code: int, reason: str) -> int:
        """Sends a stateless reply; 1 on success, -1 on failure."""
        ...


class textops:
    @staticmethod
    def append_hf(txt: str) -> int:
        """Appends header text ("Name: value\\r\\n") after the last header (polysip addition: KEMI has hdr.append)."""
        ...

    @staticmethod
    def cmp_istr(s1: str, s2: str) -> int:
        """1 when equal ignoring case, -1/-2 otherwise."""
        ...

    @staticmethod
    def cmp_str(s1: str, s2: str) -> int:
        """1 when equal (case-sensitive), -1/-2 otherwise."""
        ...

    @staticmethod
    def ends_with(vstr: str, vsuffix: str) -> int:
        """1 when vstr ends with vsuffix."""
        ...

    @staticmethod
    def has_body() -> int:
        """1 when Content-Length announces a body."""
        ...

    @staticmethod
    def has_body_type(ctype: str) -> int:
        """1 when there is a body of that Content-Type."""
        ...

    @staticmethod
    def in_list(subject: str, list: str, vsep: str) -> int:
        """1 when subject is an item of the list."""
        ...

    @staticmethod
    def in_list_prefix(subject: str, list: str, vsep: str) -> int:
        """1 when an item of the list is a prefix of subject."""
        ...

    @staticmethod
    def is_present_hf(hname: str) -> int:
        """1 when a header with that name (or compact form) exists."""
        ...

    @staticmethod
    def is_present_hf_re(ematch: str) -> int:
        """1 when a header name matches the regex."""
        ...

    @staticmethod
    def is_privacy(privacy: str) -> int:
        """1 when the Privacy header lists that value (id, user, header…)."""
        ...

    @staticmethod
    def remove_hf(hname: str) -> int:
        """Removes every header with that name; 1 (also when none was there)."""
        ...

    @staticmethod
    def remove_hf_idx(hname: str, idx: int) -> int:
        """Removes the header of that name at index idx (negative from the end)."""
        ...

    @staticmethod
    def remove_hf_re(ematch: str) -> int:
        """Removes the headers whose name matches the regex; -1 when none."""
        ...

    @staticmethod
    def replace(sre: str, sval: str) -> int:
        """Replaces the first regex match in headers and body."""
        ...

    @staticmethod
    def replace_all(sre: str, sval: str) -> int:
        """Replaces every regex match in headers and body."""
        ...

    @staticmethod
    def replace_body(sre: str, sval: str) -> int:
        """Replaces the first regex match in the body."""
        ...

    @staticmethod
    def replace_body_all(sre: str, sval: str) -> int:
        """Replaces every regex match in the body (line by line)."""
        ...

    @staticmethod
    def replace_body_atonce(sre: str, sval: str) -> int:
        """Replaces every regex match in the body taken as one string."""
        ...

    @staticmethod
    def search(sre: str) -> int:
        """Regex (POSIX, case-insensitive) anywhere in the message: 1 / -1."""
        ...

    @staticmethod
    def search_body(sre: str) -> int:
        """Regex in the body: 1 / -1."""
        ...

    @staticmethod
    def search_hf(hname: str, sre: str, flags: str) -> int:
        """Regex in the bodies of the named headers (flags: a all, f first, l last)."""
        ...

    @staticmethod
    def search_str(stext: str, sre: str) -> int:
        """Regex over the given text: 1 / -1."""
        ...

    @staticmethod
    def set_body(nb: str, nc: str) -> int:
        """Replaces the body and its Content-Type."""
        ...

    @staticmethod
    def starts_with(s1: str, s2: str) -> int:
        """1 when s1 starts with s2."""
        ...

    @staticmethod
    def str_find(txt: str, needle: str) -> int:
        """Position (from 1) of needle in txt, -1 when absent."""
        ...

    @staticmethod
    def str_ifind(txt: str, needle: str) -> int:
        """As str_find, ignoring case."""
        ...

    @staticmethod
    def subst(subst: str) -> int:
        """sed-like '/re/repl/flags' over headers and body (flags i, g, s)."""
        ...

    @staticmethod
    def subst_body(subst: str) -> int:
        """sed-like '/re/repl/flags' over the body."""
        ...

    @staticmethod
    def subst_hf(hname: str, subst: str, flags: str) -> int:
        """sed-like '/re/repl/flags' over the bodies of the named headers (flags: a, f, l)."""
        ...

    @staticmethod
    def subst_uri(subst: str) -> int:
        """sed-like '/re/repl/flags' over the R-URI."""
        ...

    @staticmethod
    def subst_user(subst: str) -> int:
        """sed-like '/re/repl/flags' over the R-URI user."""
        ...


class tm:
    @staticmethod
    def ki_t_load_contacts_mode(mode: int) -> int:
        """t_load_contacts with a mode (0 only)."""
        ...

    @staticmethod
    def t_any_replied() -> int:
        """True if any branch received a reply."""
        ...

    @staticmethod
    def t_any_timeout() -> int:
        """True if any branch timed out."""
        ...

    @staticmethod
    def t_branch_replied() -> int:
        """True if the current (failed) branch received a reply."""
        ...

    @staticmethod
    def t_branch_timeout() -> int:
        """True if the current (failed) branch timed out."""
        ...

    @staticmethod
    def t_check_status(sexp: str) -> int:
        """True if the relevant reply code matches the regular expression."""
        ...

    @staticmethod
    def t_check_trans() -> int:
        """Request: 0 retransmission handled (stop), 1 related transaction (CANCEL/ACK), -1 none; reply: 1 if it belongs to one."""
        ...

    @staticmethod
    def t_drop_replies(mode: str) -> int:
        """Drops received replies from selection: a all, l last set, n none."""
        ...

    @staticmethod
    def t_drop_replies_all() -> int:
        """Drops every received reply from selection."""
        ...

    @staticmethod
    def t_exists() -> int:
        """True if a transaction is bound to this message."""
        ...

    @staticmethod
    def t_get_branch_index() -> int:
        """Index of the current branch."""
        ...

    @staticmethod
    def t_get_status_code() -> int:
        """The most relevant reply code of the transaction, -1 if none."""
        ...

    @staticmethod
    def t_grep_status(code: int) -> int:
        """True if any branch got a final reply with this code."""
        ...

    @staticmethod
    def t_is_canceled() -> int:
        """True if the transaction was cancelled."""
        ...

    @staticmethod
    def t_is_retr_async_reply() -> int:
        """True for a retransmitted reply on a suspended reply (never here)."""
        ...

    @staticmethod
    def t_is_set(target: str) -> int:
        """True if "failure_route", "branch_route", "onreply_route" or "branch_failure_route" is armed."""
        ...

    @staticmethod
    def t_load_contacts() -> int:
        """Orders the destination set by q into the tm_contacts xavp (serial forking)."""
        ...

    @staticmethod
    def t_lookup_cancel() -> int:
        """True if the INVITE transaction of this CANCEL exists."""
        ...

    @staticmethod
    def t_lookup_request() -> int:
        """True if a transaction exists for this request."""
        ...

    @staticmethod
    def t_newtran() -> int:
        """Creates the server transaction; 1 created, 0 retransmission (stop), -1 error."""
        ...

    @staticmethod
    def t_next_contacts() -> int:
        """Loads the next q group of contacts as R-URI and branches; -1 when none."""
        ...

    @staticmethod
    def t_on_branch(rname: str) -> int:
        """Function to run for each outgoing branch; "" resets."""
        ...

    @staticmethod
    def t_on_branch_failure(rname: str) -> int:
        """Function to run for each failed branch (armed only)."""
        ...

    @staticmethod
    def t_on_failure(rname: str) -> int:
        """Function to run when the transaction fails (one-shot); "" resets."""
        ...

    @staticmethod
    def t_on_reply(rname: str) -> int:
        """Function to run for each reply of the transaction; "" resets."""
        ...

    @staticmethod
    def t_relay() -> int:
        """Relays statefully to $du or the R-URI plus appended branches; 1 sent, -1 error."""
        ...

    @staticmethod
    def t_relay_to_flags(rflags: int) -> int:
        """Relays statefully (flags: 0x01 no 100 Trying)."""
        ...

    @staticmethod
    def t_relay_to_proto(sproto: str) -> int:
        """Relays statefully forcing the transport."""
        ...

    @staticmethod
    def t_relay_to_proto_addr(sproto: str, host: str, port: int) -> int:
        """Relays statefully to the given transport, host and port."""
        ...

    @staticmethod
    def t_relay_to_proxy(sproxy: str) -> int:
        """Relays statefully to "proto:host:port"."""
        ...

    @staticmethod
    def t_relay_to_proxy_flags(sproxy: str, rflags: int) -> int:
        """Relays statefully to "proto:host:port" with flags."""
        ...

    @staticmethod
    def t_release() -> int:
        """Releases the transaction (it ends on its own timers once answered)."""
        ...

    @staticmethod
    def t_reply(code: int, reason: str) -> int:
        """Replies within the existing transaction."""
        ...

    @staticmethod
    def t_reply_error() -> int:
        """Replies statefully with the last internal error (500 when none)."""
        ...

    @staticmethod
    def t_reset_fr() -> int:
        """Resets the fr timers to their defaults."""
        ...

    @staticmethod
    def t_retransmit_reply() -> int:
        """Re-sends the last reply of the transaction."""
        ...

    @staticmethod
    def t_save_lumps() -> int:
        """Saves the current message changes into the transaction for later branches."""
        ...

    @staticmethod
    def t_send_reply(code: int, reason: str) -> int:
        """Creates the transaction if needed and replies statefully."""
        ...

    @staticmethod
    def t_set_auto_inv_100(state: int) -> int:
        """Per transaction: automatic 100 Trying for INVITE on/off."""
        ...

    @staticmethod
    def t_set_disable_6xx(state: int) -> int:
        """Per transaction: treat 6xx like other replies (no cancel)."""
        ...

    @staticmethod
    def t_set_fr(fr_inv: int, fr: int) -> int:
        """Sets fr_inv and fr timers (ms, 0 = default) for this transaction."""
        ...

    @staticmethod
    def t_set_fr_inv(fr_inv: int) -> int:
        """Sets the fr_inv timer (ms) for this transaction."""
        ...


class tmx:
    @staticmethod
    def t_cancel_branches(mode: str) -> int:
        """Cancels branches: "all", "others" or "this"."""
        ...

    @staticmethod
    def t_continue(tindex: int, tlabel: int, cbname: str) -> int:
        """Resumes a suspended transaction by running the named function on its request."""
        ...

    @staticmethod
    def t_flush_flags() -> int:
        """Copies the message flags into the transaction."""
        ...

    @staticmethod
    def t_flush_xflags() -> int:
        """Copies the extended flags into the transaction."""
        ...

    @staticmethod
    def t_is_branch_route() -> int:
        """True in a branch route."""
        ...

    @staticmethod
    def t_is_failure_route() -> int:
        """True in a failure route."""
        ...

    @staticmethod
    def t_is_reply_route() -> int:
        """True in a reply route."""
        ...

    @staticmethod
    def t_is_request_route() -> int:
        """True in a request route."""
        ...

    @staticmethod
    def t_precheck_trans() -> int:
        """True if another copy of this request is being routed right now."""
        ...

    @staticmethod
    def t_suspend() -> int:
        """Suspends the transaction (created if needed); ids in $T(id_index)/$T(id_label)."""
        ...


class x:
    @staticmethod
    def drop() -> NoReturn:
        """Marks the message dropped and ends the whole route now (even through pcall/try)."""
        ...

    @staticmethod
    def exit() -> NoReturn:
        """Ends the whole route now (even through pcall/try)."""
        ...
