/**
 * Every KSR function of the core set, called from Lua on a real SIP request over UDP: the
 * request body carries a Lua snippet, the test asserts the reply's status line or the bytes
 * the request has when it reaches a peer.
 */
import test from 'ava';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../../bin/app.ts';

let app: Polysip;
let port: number;
let ua: Socket;
let peer: Socket;
let peerPort: number;
let uaPort: number;
const uaInbox: Buffer[] = [];
const peerInbox: Buffer[] = [];
let seq = 0;

test.before(async () => {
  app = await startPolysip({
    listen: ['udp:127.0.0.1:0'],
    aliases: ['example.org'],
    script: fileURLToPath(new URL('./snippet.lua', import.meta.url)),
    allowDestinations: ['127.0.0.0/8'],
    log: pino({ level: 'silent' }),
  });
  port = app.listeners[0]!.port;
  ua = createSocket('udp4');
  peer = createSocket('udp4');
  await new Promise<void>((r) => ua.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
  uaPort = ua.address().port;
  peerPort = peer.address().port;
  ua.on('message', (m) => uaInbox.push(m));
  peer.on('message', (m) => peerInbox.push(m));
});

test.after.always(async () => {
  ua?.close();
  peer?.close();
  await app?.stop();
});

interface Exchange {
  callId: string;
  status: string;
  reply: string | undefined;
  forwarded: string | undefined;
}

/** `$PEER` in the snippet becomes the peer's URI. */
async function run(
  snippet: string,
  opts: { method?: string; headers?: string[]; ruri?: string } = {},
): Promise<Exchange> {
  const method = opts.method ?? 'MESSAGE';
  const callId = `snip-${++seq}@127.0.0.1`;
  const body = snippet.replaceAll('$PEER', `sip:127.0.0.1:${peerPort}`);
  const text = [
    `${method} ${opts.ruri ?? `sip:alice@127.0.0.1:${port}`} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${uaPort};branch=z9hG4bK-snip-${seq};rport`,
    'Max-Forwards: 70',
    `From: <sip:tester@example.org>;tag=f${seq}`,
    `To: <sip:alice@127.0.0.1:${port}>`,
    `Call-ID: ${callId}`,
    `CSeq: 7 ${method}`,
    ...(opts.headers ?? []),
    'Content-Type: text/x-lua',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  ua.send(Buffer.from(text), port, '127.0.0.1');
  const mine = (b: Buffer): boolean => b.toString('latin1').includes(callId);
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline && !uaInbox.some(mine) && !peerInbox.some(mine)) {
    await new Promise((r) => setTimeout(r, 3));
  }
  await new Promise((r) => setTimeout(r, 20));
  const reply = uaInbox.find(mine)?.toString('latin1');
  return {
    callId,
    reply,
    status: reply?.split('\r\n')[0] ?? '(none)',
    forwarded: peerInbox.find(mine)?.toString('latin1'),
  };
}

const ok = (reason: string): string => `SIP/2.0 200 ${reason}`;

test('resetbflag, resetxflag and flag range checks', async (t) => {
  const r = await run(
    'KSR.setbflag(2); KSR.resetbflag(2); KSR.corex.setxflag(63); local x = KSR.corex.isxflagset(63); KSR.corex.resetxflag(63)\n' +
      'return 200, tostring(KSR.isbflagset(2)) .. " " .. x .. " " .. KSR.corex.isxflagset(63) .. " " .. tostring(KSR.setbflag(32))',
  );
  t.is(r.status, ok('false 1 -1 false'));
});

test('resetdsturi clears $du; isdsturiset follows', async (t) => {
  const r = await run(
    'KSR.setdsturi("sip:127.0.0.1:9"); local a = KSR.isdsturiset(); KSR.resetdsturi()\n' +
      'return 200, tostring(a) .. " " .. tostring(KSR.isdsturiset()) .. " " .. tostring(KSR.pv.get("$du"))',
  );
  t.is(r.status, ok('true false nil'));
});

test('dbg, warn, crit and notice log without failing the route', async (t) => {
  const r = await run(
    'KSR.dbg("d\\n"); KSR.warn("w\\n"); KSR.crit("c\\n"); KSR.notice("n\\n"); return 200, "logged"',
  );
  t.is(r.status, ok('logged'));
});

test('is_method_in letters and the rest of the is_METHOD family', async (t) => {
  const r = await run(
    'return 200, table.concat({tostring(KSR.is_MESSAGE()), tostring(KSR.is_method_in("M")), tostring(KSR.is_INFO()), tostring(KSR.is_SUBSCRIBE()), tostring(KSR.is_NOTIFY()), tostring(KSR.is_PUBLISH()), tostring(KSR.is_REFER()), tostring(KSR.is_PRACK()), tostring(KSR.is_UPDATE())}, " ")',
  );
  t.is(r.status, ok('true true false false false false false false false'));
});

test('KSR.route runs another function; a missing one is an error answered 500', async (t) => {
  t.is(
    (await run('KSR.route("helper_route"); return 200, KSR.pv.get("$var(helper)")')).status,
    ok('ran'),
  );
  t.is(
    (await run('KSR.route("no_such_route"); return 200, "unreached"')).status,
    'SIP/2.0 500 Server Internal Error',
  );
});

test('set_drop marks the message and the script keeps running', async (t) => {
  t.is((await run('KSR.set_drop(); return 200, "still running"')).status, ok('still running'));
});

test('corex.append_branch and $br; send_data reaches the peer', async (t) => {
  const r = await run(
    'KSR.corex.append_branch_uri("sip:bob@127.0.0.1:7"); local br = KSR.pv.get("$br")\n' +
      'KSR.corex.send_data("$PEER", "OPTIONS sip:x@127.0.0.1 SIP/2.0\\r\\nCall-ID: " .. KSR.pv.get("$ci") .. "-data\\r\\n\\r\\n")\n' +
      'return 200, tostring(br)',
  );
  t.is(r.status, ok('sip:bob@127.0.0.1:7'));
  t.true(peerInbox.some((b) => b.toString('latin1').includes(`${r.callId}-data`)));
});

test('pv: $ml $mb $rb $Ts $TV $proto $Ri $Rp $rs/$rr absent on requests', async (t) => {
  const r = await run(
    'local ml = KSR.pv.get("$ml"); local mb = KSR.pv.get("$mb")\n' +
      'return 200, table.concat({type(ml), tostring(#mb == ml), type(KSR.pv.get("$Ts")), type(KSR.pv.get("$TV(s)")), KSR.pv.get("$proto"), KSR.pv.get("$Ri"), type(KSR.pv.get("$Rp")), tostring(KSR.pv.get("$rs"))}, " ")',
  );
  t.is(r.status, ok('number true number number udp 127.0.0.1 number nil'));
});

test('pv writes: $rU $rd $fU $tU $fn write through to the forwarded request', async (t) => {
  const r = await run(
    'KSR.pv.sets("$rU", "carol"); KSR.pv.sets("$rd", "127.0.0.1"); KSR.pv.sets("$fU", "frank"); KSR.pv.sets("$tU", "tina")\n' +
      'KSR.pv.sets("$fn", "Frank F"); KSR.pv.sets("$du", "$PEER"); KSR.forward()',
  );
  t.truthy(r.forwarded);
  const f = r.forwarded!;
  t.true(f.startsWith('MESSAGE sip:carol@127.0.0.1'), f.split('\r\n')[0]);
  t.regex(f, /\r\nFrom: "Frank F" <sip:frank@example\.org>;tag=/);
  t.regex(f, /\r\nTo: <sip:tina@127\.0\.0\.1:\d+>\r\n/);
});

test('hdr: insert, append_after, rmappend, rminsert, remove, get/gete/getw', async (t) => {
  const r = await run(
    'KSR.hdr.insert("X-First: 1\\r\\n"); KSR.hdr.append_after("X-After: 2\\r\\n", "Call-ID")\n' +
      'KSR.hdr.rmappend("X-Old", "X-New: 3\\r\\n"); KSR.hdr.rminsert("X-Old2", "X-Top: 4\\r\\n"); KSR.hdr.remove("X-Gone")\n' +
      'KSR.pv.sets("$var(g)", KSR.hdr.gete("X-Absent") .. "|" .. KSR.hdr.getw("X-Absent")); KSR.hdr.append("X-G: " .. KSR.pv.get("$var(g)") .. "\\r\\n")\n' +
      'KSR.forward_uri("$PEER")',
    { headers: ['X-Old: a', 'X-Old2: b', 'X-Gone: c'] },
  );
  const f = r.forwarded!;
  t.truthy(f);
  const names = f
    .split('\r\n\r\n')[0]!
    .split('\r\n')
    .slice(1)
    .map((l) => l.split(':')[0]);
  t.true(
    names.indexOf('X-Top') < names.indexOf('X-First') ||
      names[0] === 'X-Top' ||
      names[1] === 'X-Top',
    names.join(','),
  );
  t.is(names.indexOf('X-After'), names.indexOf('Call-ID') + 1);
  t.true(names.includes('X-New'));
  t.false(names.includes('X-Old'));
  t.false(names.includes('X-Old2'));
  t.false(names.includes('X-Gone'));
  t.regex(f, /\r\nX-G: \|<null>\r\n/);
});

test('textops: search_body, remove_hf, subst, replace, is_privacy', async (t) => {
  const r = await run(
    'local sb = KSR.textops.search_body("KSR%.forward_uri") ; local priv = KSR.textops.is_privacy("id")\n' +
      'KSR.textops.remove_hf("X-Remove"); KSR.textops.subst("/^Subject: old/Subject: new/"); KSR.textops.replace("tag=f", "tag=g")\n' +
      'KSR.hdr.append("X-R: " .. sb .. " " .. priv .. "\\r\\n"); KSR.forward_uri("$PEER")',
    { headers: ['X-Remove: x', 'Subject: old subject', 'Privacy: id'] },
  );
  const f = r.forwarded!;
  t.truthy(f);
  t.notRegex(f, /\r\nX-Remove:/);
  t.regex(f, /\r\nSubject: new subject\r\n/);
  t.regex(f, /;tag=g\d+/);
  t.regex(f, /\r\nX-R: 1 1\r\n/);
});

test('siputils: is_first_hop, uri_param, add_uri_param, is_uri_user_e164', async (t) => {
  const r = await run(
    'local fh = KSR.siputils.is_first_hop(); local up = KSR.siputils.uri_param("foo"); local np = KSR.siputils.uri_param("nope")\n' +
      'local pv = KSR.siputils.uri_param_value("k", "v")\n' +
      'KSR.siputils.add_uri_param("added=1"); local e = KSR.siputils.is_uri_user_e164("sip:+4930123456@example.org")\n' +
      'return 200, table.concat({fh, up, np, pv, e, KSR.pv.get("$ru")}, " ")',
    // uri_param(name) asks for a parameter without a value, as Kamailio's does
    { ruri: `sip:alice@127.0.0.1;foo;k=v` },
  );
  t.is(r.status, ok('1 1 -1 1 1 sip:alice@127.0.0.1;foo;k=v;added=1'));
});

test('sanity_check answers a bad CSeq method itself and returns -1', async (t) => {
  const r = await run(
    'if KSR.sanity.sanity_check(1511, 7) < 0 then KSR.x.exit() end; return 200, "sane"',
    {
      headers: ['Expires: -5'],
    },
  );
  t.is(r.status.slice(0, 11), 'SIP/2.0 400');
  const sane = await run(
    'if KSR.sanity.sanity_check(1511, 7) < 0 then KSR.x.exit() end; return 200, "sane"',
  );
  t.is(sane.status, ok('sane'));
});

test('sl.send_reply without a transaction replies statelessly', async (t) => {
  t.is(
    (await run('KSR.sl.send_reply(202, "Accepted here"); KSR.x.exit()')).status,
    'SIP/2.0 202 Accepted here',
  );
});

test('a wrong argument type is an error naming the function and the argument', async (t) => {
  const r = await run('KSR.sl.sl_send_reply("abc", "x")');
  t.is(r.status, 'SIP/2.0 500 Server Internal Error');
});

test('t_on_failure naming a missing function is refused when armed, a real one is armed', async (t) => {
  const r = await run(
    'local bad = KSR.tm.t_on_failure("no_such_function"); local isb = KSR.tm.t_is_set("failure_route")\n' +
      'local good = KSR.tm.t_on_failure("helper_route")\n' +
      'return 200, table.concat({bad, isb, good, KSR.tm.t_is_set("failure_route")}, " ")',
  );
  t.is(r.status, ok('-1 -1 1 1'));
});

test('ksr_onsend_route sees $snd(...) and a drop there keeps the request home', async (t) => {
  const r = await run(
    'local rc = KSR.forward_uri("$PEER"); return 200, rc .. " " .. KSR.pv.get("$shv(snd)")',
    {
      headers: ['X-Drop-On-Send: yes'],
    },
  );
  t.is(r.status, ok(`-1 udp:127.0.0.1:${peerPort}`));
  t.is(r.forwarded, undefined);
});
