import test from 'ava';
import fc from 'fast-check';
import { buildResponse } from '../../core/sip/build.ts';
import { parseMessage } from '../../core/sip/parser.ts';
import { parseUri } from '../../core/sip/uri.ts';
import { parseVia } from '../../core/sip/via.ts';
import { parseNameAddr } from '../../core/sip/nameaddr.ts';
import type { SipMessage } from '../../core/sip/types.ts';
import { CALLID_FLAG, createTopohModule, Topoh, TopohCodec, topohConfig } from './index.ts';

// The proxy is 10.1.1.1:5060; the caller side is 192.0.2.x, the callee side 198.51.100.x.
const ME = { isMyself: (h: string, p: number | null) => h === '10.1.1.1' && (p ?? 5060) === 5060 };

function parse(text: string): SipMessage {
  return parseMessage(Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1'));
}

/** What leaves the wire: serialized, then parsed back as the peer would. */
function wire(msg: SipMessage): SipMessage {
  return parseMessage(msg.serialize());
}

function topoh(extra: Parameters<typeof topohConfig>[0] = {}): Topoh {
  return new Topoh(topohConfig({ mask_key: 'k3y', mask_ip: '10.9.9.9', ...extra }));
}

const CALLER_VIA = 'SIP/2.0/UDP 192.0.2.10:5062;received=192.0.2.99;rport=5099;branch=z9hG4bKa1';
const INVITE = `INVITE sip:bob@198.51.100.7 SIP/2.0
Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKtmX
Via: ${CALLER_VIA}
Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKp0
Record-Route: <sip:10.1.1.1;lr;ftag=f1>
Record-Route: <sip:192.0.2.1;lr>
From: "Alice" <sip:alice@example.com>;tag=f1
To: <sip:bob@example.com>
Call-ID: c1@192.0.2.10
CSeq: 1 INVITE
Contact: "Alice" <sip:alice@192.0.2.10:5062;transport=udp>;expires=60;+sip.instance="<urn:uuid:1>"
Max-Forwards: 69
Content-Length: 0

`;

test('an initial request leaves with the caller side sealed, as valid SIP', (t) => {
  const th = topoh({ mask_callid: 1 });
  const msg = parse(INVITE);
  th.outgoing(msg, ME);
  const out = msg.serialize().toString('latin1');
  t.false(out.includes('192.0.2.'), out);
  const peer = wire(msg);
  const vias = peer.vias();
  t.is(vias.length, 3);
  t.is(vias[0]!.raw, 'SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKtmX');
  for (const v of vias.slice(1)) {
    t.is(v.host, '10.9.9.9');
    t.true(v.branch!.startsWith('z9hG4bKcydzigwkX'));
    t.is(parseVia(v.raw).branch, v.branch);
  }
  const rrs = peer.recordRoutes();
  t.is(rrs[0]!.raw, '<sip:10.1.1.1;lr;ftag=f1>', 'our own Record-Route is left alone');
  t.is(rrs[1]!.uri.host, '10.9.9.9');
  t.truthy(
    rrs[1]!.uri.params.find((p) => p.name === 'lr'),
    'lr kept for loose routers',
  );
  const c = peer.contacts()[0]!;
  t.is(c.uri.host, '10.9.9.9');
  t.is(c.displayName, 'Alice');
  t.deepEqual(
    c.params.map((p) => [p.name, p.value]),
    [
      ['expires', '60'],
      ['+sip.instance', '"<urn:uuid:1>"'],
    ],
  );
  t.true(peer.callId!.startsWith('!!:'));
  t.is(peer.from()!.uri.host, 'example.com');
});

test('Via with branch and params, Contact with params, Record-Route with lr round-trip', (t) => {
  const th = topoh();
  const vias = [
    CALLER_VIA,
    'SIP/2.0/TLS [2001:db8::5]:5061;branch=z9hG4bK-x.y;alias;maddr=[2001:db8::6]',
    'SIP/2.0/WS abc.invalid;branch=z9hG4bKw;rport',
  ];
  for (const raw of vias) {
    const sealed = parseVia(th.sealVia(raw));
    t.is(th.openVia(sealed), raw);
  }
  for (const uri of [
    'sip:alice@192.0.2.10:5062;transport=tcp;ob',
    'sips:[2001:db8::5]:5061;lr;r2=on',
    'sip:192.0.2.1;lr',
    'sip:%61lice@192.0.2.10?Subject=hi',
  ]) {
    const sealed = th.sealUri(parseUri(uri));
    t.is(parseUri(sealed).host, '10.9.9.9');
    t.is(th.openUriText(sealed), uri);
  }
  // Whole messages: out, then the reply back in, restores every byte of the caller's Vias.
  const msg = parse(INVITE);
  th.outgoing(msg, ME);
  const reply = wire(msg);
  const ok = parse(
    [
      'SIP/2.0 200 OK',
      ...reply.vias().map((v) => `Via: ${v.raw}`),
      ...reply.recordRoutes().map((r) => `Record-Route: ${r.raw}`),
      'From: "Alice" <sip:alice@example.com>;tag=f1',
      'To: <sip:bob@example.com>;tag=t9',
      `Call-ID: ${reply.callId}`,
      'CSeq: 1 INVITE',
      'Contact: <sip:bob@198.51.100.7:5080>',
      'Content-Length: 0',
      '',
      '',
    ].join('\n'),
  );
  t.true(th.incoming(ok));
  t.deepEqual(
    ok.vias().map((v) => v.raw),
    parse(INVITE)
      .vias()
      .map((v) => v.raw),
  );
  t.deepEqual(
    ok.recordRoutes().map((r) => r.uri.raw),
    ['sip:10.1.1.1;lr;ftag=f1', 'sip:192.0.2.1;lr'],
  );
});

test('the reply to the caller hides the callee: Contact and the Record-Routes above ours', (t) => {
  const th = topoh({ mask_callid: 1 });
  const ok = parse(`SIP/2.0 200 OK
Via: ${CALLER_VIA}
Record-Route: <sip:198.51.100.1;lr>
Record-Route: <sip:10.1.1.1;lr;ftag=f1>
Record-Route: <sip:192.0.2.1;lr>
From: <sip:alice@example.com>;tag=f1
To: <sip:bob@example.com>;tag=t9
Call-ID: c1@192.0.2.10
CSeq: 1 INVITE
Contact: <sip:bob@198.51.100.7:5080>
Content-Length: 0

`);
  th.outgoing(ok, ME);
  const peer = wire(ok);
  t.false(peer.serialize().toString('latin1').includes('198.51.100.'));
  const rr = peer.recordRoutes().map((r) => r.raw);
  t.is(rr[1], '<sip:10.1.1.1;lr;ftag=f1>');
  t.is(rr[2], '<sip:192.0.2.1;lr>', "the caller's own side stays readable to it");
  t.is(peer.callId, 'c1@192.0.2.10', 'the caller keeps its Call-ID');
  t.is(peer.vias()[0]!.raw, CALLER_VIA);
});

test('in-dialog requests: sealed R-URI and Route open; the Call-ID follows the direction', (t) => {
  const th = topoh({ mask_callid: 1 });
  // What the callee learnt from the INVITE.
  const inv = parse(INVITE);
  th.outgoing(inv, ME);
  const seen = wire(inv);
  const aliceContact = seen.contacts()[0]!.uri.raw;
  const sealedCid = seen.callId!;
  const bobVia = 'SIP/2.0/UDP 198.51.100.7:5080;branch=z9hG4bKb1;rport';
  const bye = parse(`BYE ${aliceContact} SIP/2.0
Via: ${bobVia}
Route: <sip:10.1.1.1;lr;ftag=f1>, ${seen.recordRoutes()[1]!.raw}
From: <sip:bob@example.com>;tag=t9
To: "Alice" <sip:alice@example.com>;tag=f1
Call-ID: ${sealedCid}
CSeq: 7 BYE
Max-Forwards: 70
Content-Length: 0

`);
  t.true(th.incoming(bye));
  t.is(bye.ruri, 'sip:alice@192.0.2.10:5062;transport=udp');
  t.deepEqual(
    bye.routes().map((r) => r.uri.raw),
    ['sip:10.1.1.1;lr;ftag=f1', 'sip:192.0.2.1;lr'],
  );
  t.is(bye.callId, 'c1@192.0.2.10');
  t.true(bye.topVia!.params.some((p) => p.name === CALLID_FLAG));
  const received = bye.clone();
  // The proxy relays it to the caller: its Via on top; the Call-ID stays the caller's.
  bye.removeHeader('route');
  bye.pushVia('SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKtmB');
  th.outgoing(bye, ME);
  const atAlice = wire(bye);
  t.is(atAlice.callId, 'c1@192.0.2.10');
  t.false(atAlice.serialize().toString('latin1').includes('198.51.100.'));
  // Alice answers; the 200 goes back to Bob with the Call-ID he knows and his Via intact.
  const ok = parse(`SIP/2.0 200 OK
${atAlice
  .vias()
  .map((v) => `Via: ${v.raw}`)
  .join('\n')}
From: <sip:bob@example.com>;tag=t9
To: "Alice" <sip:alice@example.com>;tag=f1
Call-ID: c1@192.0.2.10
CSeq: 7 BYE
Content-Length: 0

`);
  t.true(th.incoming(ok));
  ok.popVia();
  th.outgoing(ok, ME);
  const atBob = wire(ok);
  t.is(atBob.callId, sealedCid);
  t.deepEqual(
    atBob.vias().map((v) => v.raw),
    [bobVia],
  );
  // A reply the proxy makes itself to Bob's request (a 4xx) gets the same treatment.
  const local = buildResponse(received, 481, 'Call/Transaction Does Not Exist', {
    toTag: 'x',
  });
  th.outgoing(local, ME);
  const atBob2 = wire(local);
  t.is(atBob2.callId, sealedCid);
  t.deepEqual(
    atBob2.vias().map((v) => v.raw),
    [bobVia],
  );
});

test('a flag the sender wrote itself is removed: it cannot unseal the Call-ID', (t) => {
  const th = topoh({ mask_callid: 1 });
  const inv = parse(INVITE);
  inv.popVia();
  inv.popVia();
  inv.popVia();
  inv.pushVia(`${CALLER_VIA};${CALLID_FLAG}`);
  t.true(th.incoming(inv));
  t.is(inv.topVia!.raw, CALLER_VIA);
  inv.pushVia('SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKtmX');
  th.outgoing(inv, ME);
  t.true(wire(inv).callId!.startsWith('!!:'));
});

test('tampered values do not open; sanity_checks drops the message, otherwise it passes as is', (t) => {
  const th = topoh();
  const sealed = th.sealUri(parseUri('sip:alice@192.0.2.10'));
  const token = /line=sr-([^;]+)/.exec(sealed)![1]!;
  const flipped = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);
  const forged = sealed.replace(token, flipped);
  t.is(th.openUriText(forged), null);
  t.is(th.openUriText(sealed.replace(token, token.slice(0, -1))), null, 'truncated');
  t.is(th.openUriText(sealed.replace(token, token + 'A')), null, 'extended');
  const bye = (ruri: string): SipMessage =>
    parse(`BYE ${ruri} SIP/2.0
Via: SIP/2.0/UDP 198.51.100.7:5080;branch=z9hG4bKb1
From: <sip:bob@example.com>;tag=t9
To: <sip:alice@example.com>;tag=f1
Call-ID: x1
CSeq: 7 BYE
Content-Length: 0

`);
  const loose = bye(forged);
  t.true(th.incoming(loose));
  t.is(loose.ruri, forged);
  t.false(topoh({ sanity_checks: 1 }).incoming(bye(forged)));
  t.true(topoh({ sanity_checks: 1 }).incoming(bye(sealed)));
  // A sealed Via cannot be replayed as a URI (the kind is authenticated too).
  const viaToken = /branch=z9hG4bKcydzigwkX(.+)$/.exec(th.sealVia(CALLER_VIA))![1]!;
  t.is(th.openUriText(`sip:10.9.9.9;line=sr-${viaToken}`), null);
});

test('sanity_checks refuses malformed requests before anything is opened', (t) => {
  const th = topoh({ sanity_checks: 1 });
  // The parser already refuses what RFC 3261 cannot route (missing headers, CSeq method);
  // list headers are parsed on demand, so a broken Route still reaches the hooks.
  const badRoute = (): SipMessage =>
    parse(`BYE sip:a@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.7:5080;branch=z9hG4bKb1
Route: <sip:10.1.1.1;lr
From: <sip:bob@example.com>;tag=t9
To: <sip:alice@example.com>;tag=f1
Call-ID: x1
CSeq: 7 BYE
Content-Length: 0

`);
  t.false(th.incoming(badRoute()));
  t.true(topoh().incoming(badRoute()), 'without sanity_checks the route decides');
});

test('another key cannot open; the same key in a new instance (restart, other node) can', (t) => {
  const a = topoh();
  const raw = 'sip:alice@192.0.2.10:5062';
  const sealed = a.sealUri(parseUri(raw));
  t.is(topoh().openUriText(sealed), raw);
  t.is(topoh().sealUri(parseUri(raw)), sealed, 'deterministic: retransmissions mask alike');
  t.is(topoh({ mask_key: 'other' }).openUriText(sealed), null);
  const c1 = new TopohCodec('k3y');
  const c2 = new TopohCodec('k3y ');
  t.is(c2.open('callid', c1.seal('callid', 'c1@h')), null);
});

test('IPv6: mask_ip and hidden addresses', (t) => {
  const th = topoh({ mask_ip: '2001:db8::99', mask_callid: 1 });
  const msg = parse(`INVITE sip:bob@[2001:db8:2::7] SIP/2.0
Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKtmX
Via: SIP/2.0/UDP [2001:db8:1::10]:5062;branch=z9hG4bKa1;received=2001:db8:1::11
Record-Route: <sip:[2001:db8::1];lr>
Record-Route: <sip:[2001:db8:1::1];lr>
From: <sip:alice@example.com>;tag=f1
To: <sip:bob@example.com>
Call-ID: c1@[2001:db8:1::10]
CSeq: 1 INVITE
Contact: <sip:alice@[2001:db8:1::10]:5062>
Content-Length: 0

`);
  const me = { isMyself: (h: string, p: number | null) => h === '[2001:db8::1]' && !p };
  const original = msg.vias()[1]!.raw;
  th.outgoing(msg, me);
  const peer = wire(msg);
  t.false(peer.serialize().toString('latin1').includes('2001:db8:1::'));
  t.is(peer.vias()[1]!.host, '[2001:db8::99]');
  t.is(peer.contacts()[0]!.uri.host, '[2001:db8::99]');
  t.is(th.openVia(peer.vias()[1]!), original);
  t.is(th.openUriText(peer.contacts()[0]!.uri.raw), 'sip:alice@[2001:db8:1::10]:5062');
});

test('Contact: * and our own contacts are left alone; a second pass changes nothing', (t) => {
  const th = topoh();
  const reg = parse(`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKr
Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKa
From: <sip:alice@example.com>;tag=f1
To: <sip:alice@example.com>
Call-ID: r1
CSeq: 2 REGISTER
Contact: *
Expires: 0
Content-Length: 0

`);
  th.outgoing(reg, ME);
  t.is(reg.header('contact'), '*');
  const once = reg.serialize().toString('latin1');
  const again = parseMessage(reg.serialize());
  th.outgoing(again, ME);
  t.is(again.serialize().toString('latin1'), once);
  const mine = parse(INVITE.replace(/^Contact: .*$/m, 'Contact: <sip:pbx@10.1.1.1>'));
  th.outgoing(mine, ME);
  t.is(mine.header('contact'), '<sip:pbx@10.1.1.1>');
});

test('sealed text survives any header octets (property)', (t) => {
  const codec = new TopohCodec('prop');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
      const text = Buffer.from(s, 'utf8').toString('latin1');
      const sealed = codec.seal('via', text);
      return /^[A-Za-z0-9_-]+$/.test(sealed) && codec.open('via', sealed) === text;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('parameters are checked like Kamailio modparams', (t) => {
  t.throws(() => topohConfig({ mask_key: '' }), { message: /mask_key/ });
  t.throws(() => topohConfig({ mask_callid: 2 }), { message: /mask_callid/ });
  t.throws(() => topohConfig({ uparam_prefix: 'a;b' }), { message: /uparam_prefix/ });
  t.throws(() => topohConfig({ mask_ip: 'a b' }), { message: /mask_ip/ });
  t.is(topohConfig({ mask_callid: '1' }).maskCallid, true);
  const m = createTopohModule({ mask_key: 'x' });
  t.is(m.module.name, 'topoh');
  t.deepEqual(m.module.exports, []);
  t.truthy(m.hooks.incoming && m.hooks.outgoing);
  // The sealed name-addr parses with the project's parser too.
  t.notThrows(() => parseNameAddr(`<${m.topoh.sealUri(parseUri('sip:a@192.0.2.1;lr'))}>;x=1`));
});
