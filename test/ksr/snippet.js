// Runs the JavaScript snippet carried in the request body: a KSR function test per request (port
// of snippet.lua). The snippet is a function body, so it may `return [code, reason]` for the
// reply, or act itself (forward, drop...).

/** Formats a value as Lua's tostring does, so the reasons match the Lua snippets'. */
function b(v) {
  return v === null || v === undefined ? 'nil' : String(v);
}

/** Lua's type() names for the values KSR returns. */
function ltype(v) {
  if (v === null || v === undefined) return 'nil';
  return typeof v;
}

function ksr_request_route() {
  var code = KSR.pv.get('$rb');
  var chunk;
  try {
    chunk = new Function(code);
  } catch (e) {
    KSR.sl.sl_send_reply(400, 'bad snippet: ' + e.message);
    return;
  }
  var r = chunk();
  if (r) KSR.sl.sl_send_reply(r[0], r[1]);
}

function helper_route() {
  KSR.pv.sets('$var(helper)', 'ran');
}

// Runs before every relayed request leaves; requests marked X-Drop-On-Send stay home.
function ksr_onsend_route() {
  if (KSR.hdr.is_present('X-Drop-On-Send') > 0) {
    KSR.pv.sets(
      '$shv(snd)',
      KSR.pv.get('$snd(proto)') + ':' + KSR.pv.get('$snd(ip)') + ':' + KSR.pv.get('$snd(port)'),
    );
    KSR.set_drop();
  }
}
