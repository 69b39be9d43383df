// htable and pike KSR functions from JavaScript (port of htable-pike.cases.lua, same cases and
// reply reasons), for test/parity/htable-pike.test.ts.

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
  KSR.sl.sl_send_reply(r[0], r[1]);
}
