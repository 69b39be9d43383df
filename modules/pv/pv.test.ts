import test from 'ava';
import { callKsr, makeCtx, wire } from '../testkit.ts';
import { module as pv } from './index.ts';
import {
  expandPvText,
  getPv,
  PvNameError,
  registerPvClass,
  setPv,
  unregisterPvClass,
} from './pvapi.ts';

const INVITE = [
  'INVITE sip:bob@example.com:5070;transport=tcp SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds',
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKabc',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@example.com>',
  'From: "Alice A." <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 0314159 INVITE',
  'Contact: <sip:alice@192.0.2.10:5062>',
  'User-Agent: polysip-test/1.0',
  'X-Multi: one',
  'X-Multi: two',
  'X-Multi: three',
  'Proxy-Authorization: Digest username="alice@atlanta.example.com", realm="atlanta.example.com", nonce="abc", uri="sip:bob@example.com", response="0123"',
  'Content-Type: application/sdp',
  'Content-Length: 5',
  '',
  'v=0',
  '',
].join('\r\n');

function invite() {
  return makeCtx(INVITE);
}

const REPLY = [
  'SIP/2.0 180 Ringing',
  'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds',
  'To: Bob <sip:bob@example.com>;tag=a6c85cf',
  'From: "Alice A." <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

test('request line and R-URI PVs', (t) => {
  const ctx = invite();
  t.is(getPv(ctx, '$ru'), 'sip:bob@example.com:5070;transport=tcp');
  t.is(getPv(ctx, '$rU'), 'bob');
  t.is(getPv(ctx, '$rd'), 'example.com');
  t.is(getPv(ctx, '$rp'), '5070');
  t.is(getPv(ctx, '$rP'), 'tcp');
  t.is(getPv(ctx, '$rz'), 'sip');
  t.is(getPv(ctx, '$rm'), 'INVITE');
  t.is(getPv(ctx, '$rv'), 'SIP/2.0');
  t.is(getPv(ctx, '$rs'), null);
  t.is(getPv(ctx, '$rr'), null);
  t.is(getPv(ctx, '$du'), null);
});

test('$rp defaults to 5060, or 5061 for sips', (t) => {
  const ctx = makeCtx(
    INVITE.replace('sip:bob@example.com:5070;transport=tcp', 'sips:bob@example.com'),
  );
  t.is(getPv(ctx, '$rp'), '5061');
  const ctx2 = makeCtx(
    INVITE.replace('sip:bob@example.com:5070;transport=tcp', 'sip:bob@example.com'),
  );
  t.is(getPv(ctx2, '$rp'), '5060');
});

test('$rU keeps escapes as written', (t) => {
  const ctx = makeCtx(
    INVITE.replace(
      'sip:bob@example.com:5070;transport=tcp',
      'sip:sips%3Auser%40example.com@example.net',
    ),
  );
  t.is(getPv(ctx, '$rU'), 'sips%3Auser%40example.com');
  t.is(getPv(ctx, '$rd'), 'example.net');
});

test('From/To PVs', (t) => {
  const ctx = invite();
  t.is(getPv(ctx, '$fu'), 'sip:alice@atlanta.example.com');
  t.is(getPv(ctx, '$fU'), 'alice');
  t.is(getPv(ctx, '$fd'), 'atlanta.example.com');
  t.is(getPv(ctx, '$fn'), '"Alice A."');
  t.is(getPv(ctx, '$ft'), '1928301774');
  t.is(getPv(ctx, '$tu'), 'sip:bob@example.com');
  t.is(getPv(ctx, '$tU'), 'bob');
  t.is(getPv(ctx, '$td'), 'example.com');
  t.is(getPv(ctx, '$tn'), 'Bob');
  t.is(getPv(ctx, '$tt'), null);
});

test('header and dialog PVs', (t) => {
  const ctx = invite();
  t.is(getPv(ctx, '$ci'), 'a84b4c76e66710@pc33.atlanta.example.com');
  t.is(getPv(ctx, '$cs'), '0314159');
  t.is(getPv(ctx, '$ua'), 'polysip-test/1.0');
  t.is(getPv(ctx, '$ct'), '<sip:alice@192.0.2.10:5062>');
  t.is(getPv(ctx, '$cT'), 'application/sdp');
  t.is(getPv(ctx, '$cl'), 5);
  t.is(getPv(ctx, '$hdr(Via)'), 'SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds');
  t.is(getPv(ctx, '$hdr(v)'), 'SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds');
  t.is(getPv(ctx, '$hdr(x-multi)'), 'one');
  t.is(getPv(ctx, '$hdr(X-Multi)[1]'), 'two');
  t.is(getPv(ctx, '$hdr(X-Multi)[-1]'), 'three');
  t.is(getPv(ctx, '$(hdr(X-Multi)[-3])'), 'one');
  t.is(getPv(ctx, '$hdr(X-Multi)[3]'), null);
  t.is(getPv(ctx, '$hdr(X-Multi)[*]'), 'one,two,three');
  t.is(getPv(ctx, '$hdr(X-None)'), null);
  t.is(getPv(ctx, '$hdrc(X-Multi)'), 3);
  t.is(getPv(ctx, '$hdrc(X-None)'), 0);
  ctx.vars.set('i', 2);
  t.is(getPv(ctx, '$hdr(X-Multi)[$var(i)]'), 'three');
});

test('credentials, body and buffer PVs', (t) => {
  const ctx = invite();
  t.is(getPv(ctx, '$au'), 'alice@atlanta.example.com');
  t.is(getPv(ctx, '$aU'), 'alice');
  t.is(getPv(ctx, '$ad'), 'atlanta.example.com');
  t.is(getPv(ctx, '$ar'), 'atlanta.example.com');
  t.is(getPv(ctx, '$rb'), 'v=0\r\n');
  t.is(getPv(ctx, '$ml'), Buffer.byteLength(INVITE, 'latin1'));
  t.is(getPv(ctx, '$mb'), INVITE);
});

test('network PVs: ints for ports', (t) => {
  const ctx = makeCtx(INVITE, {
    rcv: {
      transport: 'tcp',
      srcIp: '2001:db8::5',
      srcPort: 40000,
      dstIp: '127.0.0.1',
      dstPort: 5060,
      connectionId: 7,
    },
  });
  t.is(getPv(ctx, '$si'), '2001:db8::5');
  t.is(getPv(ctx, '$sp'), 40000);
  t.is(getPv(ctx, '$su'), 'sip:[2001:db8::5]:40000');
  t.is(getPv(ctx, '$sut'), 'sip:[2001:db8::5]:40000;transport=tcp');
  t.is(getPv(ctx, '$Ri'), '127.0.0.1');
  t.is(getPv(ctx, '$Rp'), 5060);
  t.is(getPv(ctx, '$proto'), 'tcp');
  t.is(getPv(ctx, '$pr'), 'tcp');
  t.is(getPv(ctx, '$conid'), 7);
});

test('reply PVs: $rs is an int, $rm is the CSeq method, $ru is null', (t) => {
  const ctx = makeCtx(REPLY);
  t.is(getPv(ctx, '$rs'), 180);
  t.is(getPv(ctx, '$rr'), 'Ringing');
  t.is(getPv(ctx, '$rm'), 'INVITE');
  t.is(getPv(ctx, '$ru'), null);
  t.is(getPv(ctx, '$rU'), null);
  t.is(getPv(ctx, '$tt'), 'a6c85cf');
  t.true(setPv(ctx, '$rs', 183));
  t.true(setPv(ctx, '$rr', 'Session Progress'));
  t.true(wire(ctx).startsWith('SIP/2.0 183 Session Progress\r\n'));
  t.false(setPv(ctx, '$ru', 'sip:x@y'));
});

test('writing the R-URI and its parts rewrites the request line', (t) => {
  const ctx = invite();
  t.true(setPv(ctx, '$rU', 'carol'));
  t.is(getPv(ctx, '$ru'), 'sip:carol@example.com:5070;transport=tcp');
  t.true(setPv(ctx, '$rd', 'biloxi.example.com'));
  t.true(setPv(ctx, '$rp', 5080));
  t.is(getPv(ctx, '$ru'), 'sip:carol@biloxi.example.com:5080;transport=tcp');
  t.true(setPv(ctx, '$rp', null));
  t.is(getPv(ctx, '$rp'), '5060');
  t.true(setPv(ctx, '$rU', null));
  t.is(getPv(ctx, '$ru'), 'sip:biloxi.example.com;transport=tcp');
  t.true(setPv(ctx, '$ru', 'sip:dave@example.org'));
  t.true(
    wire(ctx).startsWith('INVITE sip:dave@example.org SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10'),
  );
  t.false(setPv(ctx, '$ru', null));
});

test('writing From/To parts keeps the tag and other parameters', (t) => {
  const ctx = invite();
  t.true(setPv(ctx, '$fU', 'alicia'));
  t.true(setPv(ctx, '$fn', 'Alicia'));
  t.true(setPv(ctx, '$td', 'biloxi.example.com'));
  t.true(setPv(ctx, '$tn', null));
  const w = wire(ctx);
  t.regex(w, /\r\nFrom: "Alicia" <sip:alicia@atlanta\.example\.com>;tag=1928301774\r\n/);
  t.regex(w, /\r\nTo: <sip:bob@biloxi\.example\.com>\r\n/);
  t.is(getPv(ctx, '$ft'), '1928301774');
  t.true(setPv(ctx, '$fu', 'sip:eve@example.net'));
  t.is(getPv(ctx, '$fu'), 'sip:eve@example.net');
  t.is(getPv(ctx, '$fn'), '"Alicia"');
  t.false(setPv(ctx, '$ft', 'x'), 'tags are read-only');
});

test('$du set, read and reset', (t) => {
  const ctx = invite();
  t.true(setPv(ctx, '$du', 'sip:10.0.0.1:5060;transport=udp'));
  t.is(ctx.dstUri, 'sip:10.0.0.1:5060;transport=udp');
  t.is(getPv(ctx, '$du'), 'sip:10.0.0.1:5060;transport=udp');
  t.true(setPv(ctx, '$du', null));
  t.is(getPv(ctx, '$du'), null);
});

test('$var: ints stay ints, unset var reads 0', (t) => {
  const ctx = invite();
  t.is(getPv(ctx, '$var(x)'), 0);
  t.true(setPv(ctx, '$var(x)', 5));
  t.is(getPv(ctx, '$var(x)'), 5);
  t.true(setPv(ctx, '$var(x)', 'five'));
  t.is(getPv(ctx, '$var(x)'), 'five');
  t.true(setPv(ctx, '$var(x)', null));
  t.is(getPv(ctx, '$var(x)'), 0);
});

test('$avp is a stack: newest first, [*], unset pops one', (t) => {
  const ctx = invite();
  t.is(getPv(ctx, '$avp(a)'), null);
  setPv(ctx, '$avp(a)', 1);
  setPv(ctx, '$avp(a)', 'two');
  setPv(ctx, '$avp(s:a)', 3);
  t.is(getPv(ctx, '$avp(a)'), 3);
  t.is(getPv(ctx, '$avp(a)[1]'), 'two');
  t.is(getPv(ctx, '$avp(a)[-1]'), 1);
  t.is(getPv(ctx, '$avp(a)[*]'), '3, two, 1');
  setPv(ctx, '$avp(a)', null);
  t.deepEqual(ctx.avps.get('a'), ['two', 1]);
  setPv(ctx, '$avp(a)[*]', 'only');
  t.deepEqual(ctx.avps.get('a'), ['only']);
  setPv(ctx, '$avp(a)[*]', null);
  t.false(ctx.avps.has('a'));
});

test('$xavp: no root index adds a record, [0] sets a field', (t) => {
  const ctx = invite();
  setPv(ctx, '$xavp(sf=>uri)', 'sip:10.0.0.1');
  setPv(ctx, '$xavp(sf[0]=>fr_timer)', 10);
  setPv(ctx, '$xavp(sf=>uri)', 'sip:10.0.0.2');
  t.is(getPv(ctx, '$xavp(sf=>uri)'), 'sip:10.0.0.2');
  t.is(getPv(ctx, '$xavp(sf[1]=>uri)'), 'sip:10.0.0.1');
  t.is(getPv(ctx, '$xavp(sf[1]=>fr_timer)'), 10);
  t.is(getPv(ctx, '$xavp(sf[0]=>fr_timer)'), null);
  t.is(ctx.xavps.get('sf')?.length, 2);
  setPv(ctx, '$xavp(sf)', null);
  t.is(ctx.xavps.get('sf')?.length, 1);
  setPv(ctx, '$xavp(sf[*])', null);
  t.false(ctx.xavps.has('sf'));
});

test('$shv lives in the core shared map', (t) => {
  const shared = new Map<string, string | number>();
  const a = makeCtx(INVITE, { sharedVars: shared });
  const b = makeCtx(INVITE, { sharedVars: shared });
  setPv(a, '$shv(counter)', 41);
  t.is(getPv(b, '$shv(counter)'), 41);
});

test('$br and flags', (t) => {
  const ctx = invite();
  t.is(getPv(ctx, '$br'), null);
  t.true(setPv(ctx, '$br', 'sip:bob@192.0.2.20'));
  t.is(getPv(ctx, '$br'), 'sip:bob@192.0.2.20');
  t.is(ctx.branches.length, 1);
  t.false(setPv(ctx, '$br', null));
  setPv(ctx, '$mf', 5);
  t.is(ctx.flags, 5);
  t.is(getPv(ctx, '$mf'), 5);
});

test('time PVs are numbers and stable within a message', (t) => {
  const ctx = invite();
  const ts = getPv(ctx, '$Ts');
  t.is(typeof ts, 'number');
  t.true(Math.abs((ts as number) - Date.now() / 1000) < 5);
  t.is(getPv(ctx, '$TV(s)'), ts);
  const us = getPv(ctx, '$TV(u)') as number;
  t.true(us >= 0 && us < 1_000_000);
  t.is(getPv(ctx, '$TV(u)'), us);
  t.regex(String(getPv(ctx, '$TV(Sn)')), /^\d+\.\d{6}$/);
  t.is(typeof getPv(ctx, '$TV(sn)'), 'number');
});

test('unknown PV: get logs an error and gives null, set throws', (t) => {
  const ctx = invite();
  t.is(getPv(ctx, '$nosuchpv'), null);
  t.true(ctx.core.logs.some((l) => l.level === 'err' && l.text.includes('$nosuchpv')));
  const e = t.throws(() => setPv(ctx, '$nosuchpv', 1));
  t.true(e instanceof PvNameError);
  t.regex(e!.message, /\$nosuchpv/);
  t.throws(() => setPv(ctx, 'ru', 'x'));
  t.is(getPv(ctx, '$hdr(X'), null);
  t.false(setPv(ctx, '$ci', 'x'), 'read-only PV');
});

test('registered PV classes, with inner PVs expanded per call', (t) => {
  const table = new Map<string, string | number>();
  registerPvClass('tsht', {
    get: (_ctx, p) => table.get(p ?? '') ?? null,
    set: (_ctx, p, v) => {
      if (v === null) table.delete(p ?? '');
      else table.set(p ?? '', v);
      return true;
    },
  });
  t.teardown(() => unregisterPvClass('tsht'));
  const ctx = invite();
  t.true(setPv(ctx, '$tsht(ban=>$si)', 1));
  t.deepEqual([...table.keys()], ['ban=>192.0.2.10']);
  t.is(getPv(ctx, '$tsht(ban=>$si)'), 1);
  t.is(getPv(ctx, '$tsht(ban=>192.0.2.10)'), 1);
  t.throws(() => registerPvClass('ru', { get: () => null }));
});

test('expandPvText replaces PVs and leaves other $ text', (t) => {
  const ctx = invite();
  t.is(expandPvText(ctx, '$rU@$rd from $si:$sp'), 'bob@example.com from 192.0.2.10:5062');
  t.is(expandPvText(ctx, 'cost $$5 and $notapv'), 'cost $5 and $notapv');
  t.is(expandPvText(ctx, 'tag=$tt'), 'tag=<null>');
});

test('KSR.pv exports: get/gete/getw/geti/getvn/getvs/seti/sets/unset/is_null', async (t) => {
  const ctx = invite();
  t.is(await callKsr(pv, 'get', ctx, '$tt'), null);
  t.is(await callKsr(pv, 'gete', ctx, '$tt'), '');
  t.is(await callKsr(pv, 'getw', ctx, '$tt'), '<null>');
  t.is(await callKsr(pv, 'get', ctx, '$sp'), 5062);
  t.is(await callKsr(pv, 'geti', ctx, '$rp'), 5070);
  t.is(await callKsr(pv, 'geti', ctx, '$tt'), 0);
  t.is(await callKsr(pv, 'getvn', ctx, '$tt', 7), 7);
  t.is(await callKsr(pv, 'getvs', ctx, '$tt', 'none'), 'none');
  t.is(await callKsr(pv, 'getvs', ctx, '$rU', 'none'), 'bob');
  t.is(await callKsr(pv, 'seti', ctx, '$var(n)', 3), true);
  t.is(await callKsr(pv, 'get', ctx, '$var(n)'), 3);
  t.is(await callKsr(pv, 'sets', ctx, '$avp(x)', 'v'), true);
  t.is(await callKsr(pv, 'is_null', ctx, '$avp(x)'), false);
  t.is(await callKsr(pv, 'unset', ctx, '$avp(x)'), true);
  t.is(await callKsr(pv, 'is_null', ctx, '$avp(x)'), true);
  t.is(await callKsr(pv, 'sets', ctx, '$ci', 'x'), false);
  await t.throwsAsync(async () => callKsr(pv, 'sets', ctx, '$bogus(x)', 'v'), {
    message: /\$bogus\(x\)/,
  });
});

test('UTF-8 header text reaches the script as text and goes back as octets', (t) => {
  const raw = Buffer.from(INVITE.replace('Bob <sip:bob', '"Zoë" <sip:bob'), 'utf8');
  const ctx = makeCtx(raw);
  t.is(getPv(ctx, '$tn'), '"Zoë"');
  setPv(ctx, '$tn', 'Renée');
  t.true(ctx.msg.serialize().includes(Buffer.from('To: "Renée" <sip:bob@example.com>', 'utf8')));
});

test('values the message refuses make set return false, not throw', (t) => {
  const ctx = invite();
  const before = wire(ctx);
  t.false(setPv(ctx, '$ru', 'not a uri'));
  t.false(setPv(ctx, '$fn', 'evil\r\nX-Injected: 1'));
  t.false(setPv(ctx, '$rd', ''));
  t.is(wire(ctx), before);
  t.true(ctx.core.logs.filter((l) => l.level === 'err').length >= 3);
});

test('the parsed accessor is cached: a hot get is cheap', (t) => {
  const ctx = invite();
  const names = [
    '$ru',
    '$rU',
    '$si',
    '$sp',
    '$rm',
    '$ci',
    '$fU',
    '$hdr(X-Multi)',
    '$var(x)',
    '$avp(a)',
  ];
  for (const n of names) getPv(ctx, n);
  const start = process.hrtime.bigint();
  const N = 20_000;
  for (let i = 0; i < N; i++) for (const n of names) getPv(ctx, n);
  const nsPerGet = Number(process.hrtime.bigint() - start) / (N * names.length);
  t.log(`${nsPerGet.toFixed(0)} ns per get`);
  t.true(nsPerGet < 20_000);
});
