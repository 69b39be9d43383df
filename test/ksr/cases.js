// Wire-level KSR tests (JavaScript port of cases.lua, same case names and reply reasons): each
// request names a case in X-Case; the case answers with a reply whose reason phrase carries what
// the script observed, or forwards the request to the peer given in X-Peer.

/** Formats a value as Lua's tostring does, so the reasons are byte-identical. */
function b(v) {
  return v === null || v === undefined ? 'nil' : String(v);
}

/** Lua's type() names for the values KSR returns. */
function ltype(v) {
  if (v === null || v === undefined) return 'nil';
  return typeof v;
}

var cases = {};

cases.methods = function () {
  return [
    200,
    [
      'INVITE=' + b(KSR.is_INVITE()),
      'ACK=' + b(KSR.is_ACK()),
      'BYE=' + b(KSR.is_BYE()),
      'in_IB=' + b(KSR.is_method_in('IB')),
      'in_RO=' + b(KSR.is_method_in('RO')),
      'is_method=' + b(KSR.is_method('invite|bye')),
      'UDP=' + b(KSR.is_UDP()),
      'TCP=' + b(KSR.is_TCP()),
      'IPv4=' + b(KSR.is_IPv4()),
    ].join(' '),
  ];
};

cases.flags = function () {
  var r = [];
  r.push(b(KSR.isflagset(3)));
  KSR.setflag(3);
  r.push(b(KSR.isflagset(3)));
  KSR.resetflag(3);
  r.push(b(KSR.isflagset(3)));
  KSR.setbflag(6);
  r.push(b(KSR.isbflagset(6)));
  r.push(b(KSR.setflag(99)));
  KSR.corex.setxflag(40);
  r.push(b(KSR.corex.isxflagset(40)));
  return [200, r.join(' ')];
};

cases.myself = function () {
  return [
    200,
    [
      'ruri=' + b(KSR.is_myself_ruri()),
      'furi=' + b(KSR.is_myself_furi()),
      'turi=' + b(KSR.is_myself_turi()),
      'srcip=' + b(KSR.is_myself_srcip()),
      'alias=' + b(KSR.is_myself('sip:alice@example.org')),
      'other=' + b(KSR.is_myself('sip:alice@192.0.2.1')),
    ].join(' '),
  ];
};

cases.pv = function () {
  var sp = KSR.pv.get('$sp');
  return [
    200,
    [
      KSR.pv.get('$rm'),
      KSR.pv.get('$rU'),
      KSR.pv.get('$rd'),
      KSR.pv.get('$fU'),
      KSR.pv.get('$tU'),
      KSR.pv.get('$ci'),
      KSR.pv.get('$si'),
      ltype(sp),
      b(KSR.pv.get('$du')),
      KSR.pv.gete('$du') === '' ? 'empty' : '?',
      KSR.pv.getw('$du'),
      KSR.pv.get('$ua'),
      ltype(KSR.pv.get('$cs')),
      b(KSR.pv.is_null('$avp(x)')),
    ].join('|'),
  ];
};

cases.vars = function () {
  KSR.pv.seti('$var(n)', 41);
  KSR.pv.sets('$avp(s)', 'one');
  KSR.pv.sets('$avp(s)', 'two');
  KSR.pv.sets('$shv(hits)', 'x');
  var n = KSR.pv.get('$var(n)') + 1;
  KSR.pv.unset('$var(n)');
  return [
    200,
    [
      b(n),
      KSR.pv.get('$avp(s)'),
      b(KSR.pv.is_null('$var(n)')),
      b(KSR.pv.get('$var(n)')),
      KSR.pv.get('$shv(hits)'),
    ].join(' '),
  ];
};

cases.headers = function () {
  var r = [
    b(KSR.hdr.is_present('X-Case')),
    b(KSR.hdr.is_present('X-Absent')),
    KSR.hdr.get('Subject'),
    b(KSR.hdr.get('X-Absent')),
    KSR.hdr.get_idx('X-Multi', 1),
    KSR.hdr.get_idx('X-Multi', -1),
    b(KSR.textops.is_present_hf('Subject')),
    b(KSR.textops.search('^Subject: hello')),
    b(KSR.siputils.has_totag()),
    b(KSR.siputils.is_request()),
    b(KSR.siputils.is_reply()),
    b(KSR.corex.has_ruri_user()),
    b(KSR.corex.has_user_agent()),
    b(KSR.textops.has_body()),
  ];
  return [200, r.join(' ')];
};

cases.rewrite = function () {
  KSR.hdr.append('X-Added: yes\r\n');
  KSR.hdr.remove('Subject');
  KSR.setuser('bob');
  KSR.sethost('127.0.0.1');
  KSR.setdsturi(KSR.hdr.get('X-Peer'));
  KSR.textops.append_hf('X-Appended: 1\r\n');
  if (KSR.forward() < 0) return [500, 'forward failed'];
};

cases.forward_uri = function () {
  KSR.forward_uri(KSR.hdr.get('X-Peer'));
};

cases.seturi = function () {
  KSR.seturi('sip:carol@127.0.0.1');
  KSR.pv.sets('$du', KSR.hdr.get('X-Peer'));
  KSR.forward();
};

cases.maxfwd = function () {
  var r = KSR.maxfwd.process_maxfwd(10);
  if (r < 0) return [483, 'Too Many Hops'];
  return [200, 'maxfwd=' + r + ' lt=' + b(KSR.maxfwd.is_maxfwd_lt(5))];
};

cases.exit_in_pcall = function () {
  try {
    KSR.x.exit();
  } catch (e) {
    // swallowed on purpose: exit must still end the route
  }
  // Never reached: exit unwinds through the script's own try/catch.
  KSR.sl.sl_send_reply(299, 'after exit');
};

cases.drop = function () {
  KSR.x.drop();
};

cases.error = function () {
  var t = null;
  return [200, t.field];
};

cases.loop = function () {
  var i = 0;
  while (true) i = i + 1;
};

cases.pcall_loop = function () {
  while (true) {
    try {
      var x = 0;
      for (var k = 0; k < 1000; k++) x = x + 1;
    } catch (e) {
      // pcall's counterpart: catches what the script can throw
    }
  }
};

cases.async_locals = function () {
  var before = KSR.pv.get('$ci');
  KSR.info('about to forward\n');
  var ok = KSR.forward_uri(KSR.hdr.get('X-Peer'));
  return [200, 'ci=' + before + ' ok=' + ok];
};

cases.route = function () {
  KSR.route('named_route');
  return [200, 'after=' + KSR.pv.get('$var(from_named)')];
};

function named_route() {
  KSR.pv.sets('$var(from_named)', 'yes');
}

cases.reply_error = function () {
  KSR.sl.sl_reply_error();
};

cases.log = function () {
  KSR.info('info line\n');
  KSR.err('err line\n');
  KSR.log('warn', 'warn line\n');
  return [200, 'debug=' + KSR.get_debug()];
};

cases.totag = function () {
  return [200, 'tag=' + KSR.sl.get_reply_totag()];
};

// htable and pike (test/parity/htable-pike.test.ts): X-Table names the table a case works on,
// X-IP the address.

cases.sht_rw = function () {
  var T = KSR.hdr.get('X-Table');
  var h = KSR.htable;
  var r = [
    h.sht_sets(T, 'a', 'x'),
    h.sht_seti(T, 'n', 5),
    h.sht_get(T, 'a'),
    h.sht_get(T, 'n'),
    ltype(h.sht_get(T, 'n')),
    h.sht_get(T, 'missing'),
    '[' + h.sht_gete(T, 'missing') + ']',
    h.sht_getw(T, 'missing'),
    h.sht_inc(T, 'n'),
    h.sht_dec(T, 'n'),
    h.sht_dec(T, 'n'),
    h.sht_inc(T, 'fresh'),
    h.sht_is_null(T, 'a'),
    h.sht_is_null(T, 'missing'),
    h.sht_setxs(T, 'ex', 'v', 60),
    h.sht_setxi(T, 'exi', 7, 60),
    h.sht_setex(T, 'a', 60),
    h.sht_inc(T, 'a'),
  ];
  KSR.pv.sets('$sht(' + T + '=>pv)', 'y');
  r.push(KSR.pv.get('$sht(' + T + '=>pv)'));
  r.push(KSR.pv.get('$sht(' + T + '=>n)') + 1);
  return [200, r.map(b).join(' ')];
};

cases.sht_match = function () {
  var T = KSR.hdr.get('X-Table');
  var h = KSR.htable;
  h.sht_sets(T, 'user:alice', 'blocked');
  h.sht_sets(T, 'user:bob', 'ok');
  h.sht_seti(T, 'src:10.0.0.1', 3);
  var r = [
    h.sht_match_name(T, 'eq', 'user:alice'),
    h.sht_match_name(T, 'eq', 'user:carol'),
    h.sht_has_name(T, 'sw', 'user:'),
    h.sht_has_name(T, 'ew', ':zed'),
    h.sht_match_name(T, 're', '^src:10\\.'),
    h.sht_match_name(T, 'in', 'bo'),
    h.sht_match_str_value(T, 'eq', 'blocked'),
    h.sht_match_str_value(T, 'ne', 'blocked'),
    h.sht_cn(T, 'sw', 'user:'),
    h.sht_cn(T, 're', '^src'),
    h.sht_cn(T, 'eq', 'nobody'),
    h.sht_match_name(T, 'bogus-op', 'x'),
  ];
  return [200, r.map(b).join(' ')];
};

cases.sht_remove = function () {
  var T = KSR.hdr.get('X-Table');
  var h = KSR.htable;
  ['e1', 'e2', 'keep', 'v1', 'v2', 'n1', 'n2', 'gone'].forEach(function (k) {
    h.sht_sets(T, k, 'val-' + k);
  });
  h.sht_sets(T, 'v1', 'drop-me');
  h.sht_sets(T, 'v2', 'drop-me-too');
  var r = [
    h.sht_rm(T, 'gone'),
    b(h.sht_get(T, 'gone')),
    h.sht_rm(T, 'gone'),
    h.sht_rm_name_re(T, '^e[0-9]$'),
    b(h.sht_get(T, 'e1')),
    b(h.sht_get(T, 'e2')),
    h.sht_rm_value_re(T, '^drop-'),
    b(h.sht_get(T, 'v1')),
    b(h.sht_get(T, 'v2')),
    h.sht_rm_name(T, 'eq', 'n1'),
    h.sht_rm_value(T, 'sw', 'val-n'),
    b(h.sht_get(T, 'n2')),
    h.sht_rm_name_re(T, '(unclosed'),
    h.sht_get(T, 'keep'),
    h.sht_cn(T, 're', '.'),
    h.sht_reset(T),
    h.sht_cn(T, 're', '.'),
  ];
  return [200, r.map(b).join(' ')];
};

cases.sht_lock = function () {
  var T = KSR.hdr.get('X-Table');
  var h = KSR.htable;
  var r = [
    h.sht_lock(T, 'k'),
    h.sht_lock(T, 'k'),
    h.sht_unlock(T, 'k'),
    h.sht_unlock(T, 'k'),
    h.sht_unlock(T, 'k'),
  ];
  return [200, r.map(b).join(' ')];
};

// A later request sees what an earlier one stored (the table lives in the server).
cases.sht_persist = function () {
  var T = KSR.hdr.get('X-Table');
  var before = KSR.htable.sht_get(T, 'hits');
  var now = KSR.htable.sht_inc(T, 'hits');
  return [200, b(before) + ' ' + b(now)];
};

cases.pike = function () {
  var ip = KSR.hdr.get('X-IP');
  var p = KSR.pike;
  // Runs of equal results, so the reply stays short: "1x29 -2x1 -1x2".
  var runs = [];
  var last = null;
  var n = 0;
  for (var i = 0; i < 32; i++) {
    var rc = p.pike_check_ip(ip);
    if (rc === last) {
      n++;
    } else {
      if (last !== null) runs.push(b(last) + 'x' + b(n));
      last = rc;
      n = 1;
    }
  }
  runs.push(b(last) + 'x' + b(n));
  return [
    200,
    runs.join(' ') + ' req=' + b(p.pike_check_req()) + ' bad=' + b(p.pike_check_ip('not-an-ip')),
  ];
};

function ksr_request_route() {
  var name = KSR.hdr.get('X-Case');
  var fn = name !== null && Object.prototype.hasOwnProperty.call(cases, name) ? cases[name] : null;
  if (fn === null) {
    KSR.sl.sl_send_reply(404, 'no case ' + b(name));
    return;
  }
  var r = fn();
  if (r) KSR.sl.sl_send_reply(r[0], r[1]);
}
