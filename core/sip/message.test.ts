import test from 'ava';
import { parseMessage } from './parser.ts';
import type { SipParseError } from './errors.ts';
import type { SipMessage } from './types.ts';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2',
  'v: SIP/2.0/UDP third.example.com;branch=z9hG4bK3',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
  'Record-Route: <sip:rr.example.com;lr>',
  'X-Folded: first',
  '\tsecond',
  'Content-Type: application/sdp',
  'l: 4',
  '',
  'v=0\n',
].join('\r\n');

function msg(text = INVITE): SipMessage {
  return parseMessage(Buffer.from(text, 'latin1'));
}

function err(text: string, stream = false): SipParseError {
  try {
    parseMessage(Buffer.from(text, 'latin1'), { stream });
  } catch (e) {
    return e as SipParseError;
  }
  throw new Error('parsed');
}

function replaceLine(name: string, line: string | null): string {
  return INVITE.split('\r\n')
    .flatMap((l) => (l.startsWith(name + ':') ? (line === null ? [] : [line]) : [l]))
    .join('\r\n');
}

test('eager fields', (t) => {
  const m = msg();
  t.true(m.isRequest);
  t.is(m.method, 'INVITE');
  t.is(m.ruri, 'sip:bob@biloxi.example.com');
  t.is(m.version, 'SIP/2.0');
  t.is(m.callId, 'a84b4c76e66710@pc33.atlanta.example.com');
  t.deepEqual(m.cseq, { seq: 314159, method: 'INVITE' });
  t.is(m.fromTag, '1928301774');
  t.is(m.toTag, null);
  t.is(m.maxForwards, 70);
  t.is(m.topVia!.branch, 'z9hG4bK776asdhds');
  t.is(m.body.toString(), 'v=0\n');
});

test('header access: compact names, case, folding, lists', (t) => {
  const m = msg();
  t.is(m.header('call-id'), m.header('I'));
  t.is(m.header('CONTENT-LENGTH'), '4');
  t.is(m.header('x-folded'), 'first second');
  t.is(m.header('nope'), null);
  t.false(m.hasHeader('nope'));
  t.deepEqual(m.headerValues('via').length, 3);
  t.deepEqual(m.headerValues('Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  t.is(m.vias().length, 3);
  t.deepEqual(
    m.routes().map((r) => r.uri.host),
    ['p1.example.com', 'p2.example.com'],
  );
  t.is(m.recordRoutes()[0]!.uri.host, 'rr.example.com');
  t.is(m.contacts()[0]!.uri.user, 'alice');
  t.false(m.contactStar());
  const fields = m.headerFields();
  t.is(fields[0]!.lname, 'via');
  t.is(fields[1]!.name, 'v');
  t.is(fields[1]!.lname, 'via');
});

test('Contact: * and responses', (t) => {
  const reg = msg(replaceLine('Contact', 'Contact: *'));
  t.true(reg.contactStar());
  t.deepEqual(reg.contacts(), []);
  const r = msg(
    'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nTo: <sip:b@x>;tag=9\r\nFrom: <sip:a@x>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  );
  t.false(r.isRequest);
  t.is(r.status, 180);
  t.is(r.reason, 'Ringing');
  t.is(r.method, '');
  t.is(r.toTag, '9');
  t.throws(() => r.ruriParsed());
});

test('CSeq, Max-Forwards, Call-ID validation', (t) => {
  t.is(msg(replaceLine('CSeq', 'CSeq: 0009 INVITE')).cseq!.seq, 9);
  t.is(msg(replaceLine('CSeq', 'CSeq: 2147483647 INVITE')).cseq!.seq, 2147483647);
  t.is(err(replaceLine('CSeq', 'CSeq: 2147483648 INVITE')).status, 400);
  t.is(err(replaceLine('CSeq', 'CSeq: x INVITE')).status, 400);
  t.is(err(replaceLine('CSeq', 'CSeq: 1INVITE')).status, 400);
  t.is(err(replaceLine('CSeq', 'CSeq: 1 BYE')).status, 400);
  t.is(msg(replaceLine('Max-Forwards', 'Max-Forwards: 255')).maxForwards, 255);
  t.is(err(replaceLine('Max-Forwards', 'Max-Forwards: 256')).status, 400);
  t.is(err(replaceLine('Max-Forwards', 'Max-Forwards: -1')).status, 400);
  t.is(msg(replaceLine('Max-Forwards', null)).maxForwards, null);
  t.is(err(replaceLine('i', 'i: two words')).status, 400);
  t.is(err(replaceLine('i', null)).reason, 'Missing Call-ID header');
  t.is(err(INVITE.replace('i: a84', 'Call-ID: dup\r\ni: a84')).reason, 'Duplicate Call-ID header');
});

test('request-line and version errors', (t) => {
  t.is(err(INVITE.replace('SIP/2.0\r\n', 'SIP/3.0\r\n')).status, 505);
  t.is(err(INVITE.replace('INVITE sip', 'INVITE  sip')).status, 400);
  t.is(
    err(INVITE.replace('INVITE sip:bob@biloxi.example.com', 'INVITE <sip:bob@biloxi.example.com>'))
      .status,
    400,
  );
  t.is(err(INVITE.replace(' SIP/2.0\r\n', '\r\n')).status, 400);
  // An unknown method with a matching CSeq is well-formed (answered 501 by later layers).
  t.is(
    msg(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314159 FOO').replace('INVITE sip', 'FOO sip'))
      .method,
    'FOO',
  );
  const e = err(INVITE.replace('INVITE sip', 'NEWMETHOD sip'));
  t.is(e.status, 501);
  t.is(
    err(INVITE.replace('Max-Forwards: 70', 'Max-Forwards 70')).reason,
    'Header line without colon',
  );
  t.is(err(INVITE.replace('Max-Forwards: 70\r\n', 'Max-Forwards: 70\n')).reason, 'Bare LF');
});

test('Content-Length framing', (t) => {
  t.is(err(replaceLine('l', 'l: 5')).reason, 'Content-Length larger than the message');
  t.is(err(replaceLine('l', 'l: -1')).reason, 'Bad Content-Length');
  t.is(err(replaceLine('l', 'l: four')).reason, 'Bad Content-Length');
  t.is(
    err(INVITE.replace('l: 4', 'l: 4\r\nContent-Length: 3')).reason,
    'Conflicting Content-Length',
  );
  // UDP: extra octets ignored; no Content-Length → rest of datagram.
  t.is(msg(replaceLine('l', 'l: 2')).body.toString(), 'v=');
  t.is(msg(replaceLine('l', null)).body.toString(), 'v=0\n');
  t.is(err(replaceLine('l', null), true).reason, 'Missing Content-Length');
});

test('broken responses are dropped (status 0)', (t) => {
  const base =
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a\r\nTo: <sip:b@x>\r\nFrom: <sip:a@x>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
  t.is(msg(base).status, 200);
  t.is(err(base.replace('200 OK', '700 Nope')).status, 0);
  t.is(err(base.replace('200 OK', '4294967301 Huge')).status, 0);
  t.is(err(base.replace('SIP/2.0 200', 'SIP/3.0 200')).status, 0);
  t.is(err(base.replace('Call-ID: c\r\n', '')).status, 0);
  t.is(msg(base.replace('200 OK', '100 ')).reason, '');
});

test('leading CRLFs are skipped', (t) => {
  t.is(msg('\r\n\r\n' + INVITE).method, 'INVITE');
});

test('serialize: untouched bytes come back identical (and CRLFs before the start-line dropped)', (t) => {
  const m = msg();
  t.is(m.serialize().toString('latin1'), INVITE);
  t.is(
    msg('\r\n' + INVITE)
      .serialize()
      .toString('latin1'),
    INVITE,
  );
});

test('mutations rebuild only what changed, Content-Length follows the body', (t) => {
  const m = msg();
  m.setMaxForwards(69);
  let s = m.serialize().toString('latin1');
  t.true(s.includes('\r\nMax-Forwards: 69\r\n'));
  t.true(s.includes('X-Folded: first\r\n\tsecond\r\n'), 'untouched folded line kept byte for byte');
  t.true(s.includes('\r\nl: 4\r\n'), 'compact Content-Length kept');
  t.is(m.maxForwards, 69);

  m.setBody('hello world', 'text/plain');
  s = m.serialize().toString('latin1');
  t.true(s.includes('\r\nl: 11\r\n'));
  t.true(s.endsWith('\r\n\r\nhello world'));
  t.is(m.header('content-type'), 'text/plain');
  m.setBody(Buffer.alloc(0), '');
  t.false(m.hasHeader('content-type'));
  t.true(m.serialize().toString('latin1').endsWith('l: 0\r\n\r\n'));
});

test('header add/remove/replace API', (t) => {
  const m = msg();
  m.appendHeader('X-A', '1');
  m.prependHeader('X-B', '2');
  m.insertHeaderAfter('Route', 'X-C', '3');
  let names = m.headerFields().map((h) => h.name);
  t.is(names[0], 'X-B');
  t.is(names.at(-1), 'X-A');
  t.is(names[names.indexOf('Route') + 1], 'X-C');
  m.insertHeaderAfter('Nope', 'X-D', '4');
  t.is(m.headerFields().at(-1)!.name, 'X-D');

  t.is(m.removeHeader('x-a'), 1);
  t.is(m.removeHeader('x-a'), 0);
  t.is(m.removeHeader('V'), 2, 'the compact name removes full-name lines too');
  t.deepEqual(m.vias(), []);

  m.appendHeader('X-Multi', 'a');
  m.appendHeader('x-multi', 'b');
  m.setHeader('X-Multi', 'c');
  t.deepEqual(m.headerValues('x-multi'), ['c']);

  m.setHeader('Call-ID', 'new-id');
  t.is(m.callId, 'new-id');
  t.is(m.header('i'), 'new-id');
  m.setHeader('CSeq', '7 INVITE');
  t.deepEqual(m.cseq, { seq: 7, method: 'INVITE' });
  m.setHeader('To', '<sip:bob@x>;tag=zz');
  t.is(m.toTag, 'zz');

  const idx = m.headerFields().findIndex((h) => h.lname === 'record-route');
  m.removeHeaderAt(idx);
  t.deepEqual(m.recordRoutes(), []);
  t.throws(() => m.removeHeaderAt(999));
  t.throws(() => m.appendHeader('X-Bad', 'a\r\nInjected: 1'), {
    code: 'POLYSIP_ERR_SIP_VALUE',
  } as never);
  t.throws(() => m.appendHeader('Bad Name', 'a'), { code: 'POLYSIP_ERR_SIP_VALUE' } as never);

  m.pushVia('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKz');
  const again = parseMessage(m.serialize());
  t.deepEqual(
    again.headerFields().map((h) => [h.name, h.value]),
    m.headerFields().map((h) => [h.name, h.value]),
  );
});

test('Via push/pop', (t) => {
  const m = msg();
  m.pushVia('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnew');
  t.is(m.topVia!.branch, 'z9hG4bKnew');
  t.is(m.vias().length, 4);
  m.popVia();
  t.is(m.topVia!.branch, 'z9hG4bK776asdhds');
  m.popVia(); // first value of a two-value line
  t.is(m.topVia!.branch, 'z9hG4bK2');
  t.is(m.headerFields()[0]!.value, 'SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2');
  m.popVia();
  m.popVia();
  t.is(m.topVia, null);
  m.popVia();
  t.deepEqual(m.vias(), []);
});

test('setRuri / setStatus', (t) => {
  const m = msg();
  m.setRuri('sip:carol@chicago.example.com;transport=tcp');
  t.is(m.ruriParsed().user, 'carol');
  t.true(
    m
      .serialize()
      .toString('latin1')
      .startsWith('INVITE sip:carol@chicago.example.com;transport=tcp SIP/2.0\r\n'),
  );
  t.throws(() => m.setRuri('not a uri'));
  t.throws(() => m.setStatus(200, 'OK'));
  const r = msg(
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a\r\nTo: <sip:b@x>\r\nFrom: <sip:a@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  );
  r.setStatus(486, 'Busy Here');
  t.true(r.serialize().toString('latin1').startsWith('SIP/2.0 486 Busy Here\r\n'));
  t.throws(() => r.setStatus(99, 'x'));
});

test('clone is independent', (t) => {
  const a = msg();
  const b = a.clone();
  b.setMaxForwards(1);
  b.appendHeader('X-Clone', 'yes');
  b.setBody('other');
  b.popVia();
  t.is(a.maxForwards, 70);
  t.false(a.hasHeader('X-Clone'));
  t.is(a.body.toString(), 'v=0\n');
  t.is(a.vias().length, 3);
  t.is(a.serialize().toString('latin1'), INVITE);
  t.is(b.maxForwards, 1);
  t.is(b.vias().length, 2);
  a.setHeader('Call-ID', 'changed');
  t.is(b.callId, 'a84b4c76e66710@pc33.atlanta.example.com');
});

test('returned arrays are copies', (t) => {
  const m = msg();
  m.vias().pop();
  (m.headerFields() as unknown[]).pop();
  t.is(m.vias().length, 3);
  t.is(m.headerFields().length, 13);
});
