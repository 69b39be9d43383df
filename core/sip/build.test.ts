import test from 'ava';
import { buildResponse, buildResponseFromPartial, generateBranch, generateTag } from './build.ts';
import { parseMessage } from './parser.ts';
import type { SipParseError } from './errors.ts';

const REQ = parseMessage(
  Buffer.from(
    'INVITE sip:b@x SIP/2.0\r\n' +
      'Via: SIP/2.0/UDP p1;branch=z9hG4bK1, SIP/2.0/UDP p2;branch=z9hG4bK2\r\n' +
      'v: SIP/2.0/UDP p3;branch=z9hG4bK3\r\n' +
      'From: A <sip:a@x>;tag=fa\r\nTo: B <sip:b@x>\r\ni: cid-1\r\nCSeq: 5 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
    'latin1',
  ),
);

test('response copies Via (all, in order), From, To, Call-ID, CSeq and adds a To tag', (t) => {
  const r = buildResponse(REQ, 486, 'Busy Here', { toTag: 'tt' });
  t.false(r.isRequest);
  t.is(r.status, 486);
  t.deepEqual(
    r.vias().map((v) => v.branch),
    ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3'],
  );
  t.is(r.fromTag, 'fa');
  t.is(r.toTag, 'tt');
  t.is(r.callId, 'cid-1');
  t.deepEqual(r.cseq, { seq: 5, method: 'INVITE' });
  t.is(r.header('content-length'), '0');
});

test('100 Trying gets no tag; an existing tag is kept', (t) => {
  t.is(buildResponse(REQ, 100, 'Trying').toTag, null);
  const withTag = REQ.clone();
  withTag.setHeader('To', 'B <sip:b@x>;tag=old');
  t.is(buildResponse(withTag, 200, 'OK').toTag, 'old');
  t.regex(buildResponse(REQ, 200, 'OK').toTag!, /^[0-9a-f]{16}$/);
});

test('extra headers and body', (t) => {
  const r = buildResponse(REQ, 200, 'OK', {
    headers: [['Contact', '<sip:b@127.0.0.1>']],
    body: 'v=0\r\n',
    contentType: 'application/sdp',
  });
  t.is(r.contacts()[0]!.uri.host, '127.0.0.1');
  t.is(r.body.toString(), 'v=0\r\n');
  t.is(r.header('Content-Type'), 'application/sdp');
  t.throws(() => buildResponse(REQ, 99, 'x'));
  t.throws(() => buildResponse(REQ, 200, 'O\r\nK'));
});

test('400 from a parse error copies what the parser saw', (t) => {
  let e: SipParseError | null = null;
  try {
    parseMessage(
      Buffer.from(
        'OPTIONS sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\nFrom: <sip:a@x>;tag=1\r\nTo: "unterminated <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
      ),
    );
  } catch (x) {
    e = x as SipParseError;
  }
  t.truthy(e);
  const wire = buildResponseFromPartial(e!.partial, 400, 'Bad Request', e!.reason).toString(
    'latin1',
  );
  t.true(wire.startsWith('SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\n'));
  t.true(wire.includes('\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n'));
  t.regex(wire, /\r\nTo: "unterminated <sip:b@x>;tag=[0-9a-f]+\r\n/);
  t.regex(wire, /\r\nWarning: 399 polysip "Bad To header: Unterminated quoted string"\r\n/);
  t.true(wire.endsWith('Content-Length: 0\r\n\r\n'));
});

test('tags and branches are random and well-formed', (t) => {
  const tags = new Set(Array.from({ length: 1000 }, generateTag));
  t.is(tags.size, 1000);
  const b = generateBranch();
  t.regex(b, /^z9hG4bK[0-9a-f]{24}$/);
});

// buildResponse makes the message from the request's parsed fields instead of parsing its own
// bytes: what it reports must be what parsing those bytes reports.
function sameAsParsed(
  t: import('ava').ExecutionContext,
  r: ReturnType<typeof buildResponse>,
): void {
  const p = parseMessage(r.serialize());
  t.is(r.status, p.status);
  t.is(r.reason, p.reason);
  t.deepEqual(r.vias(), p.vias());
  t.deepEqual(r.from(), p.from());
  t.deepEqual(r.to(), p.to());
  t.is(r.callId, p.callId);
  t.deepEqual(r.cseq, p.cseq);
  t.is(r.maxForwards, p.maxForwards);
  t.deepEqual(
    r.headerFields().map((h) => [h.name, h.value]),
    p.headerFields().map((h) => [h.name, h.value]),
  );
  t.deepEqual(r.body, p.body);
  t.deepEqual(r.serialize(), p.serialize());
}

test('a built response reads exactly as its parsed bytes would', (t) => {
  sameAsParsed(t, buildResponse(REQ, 100, 'Trying'));
  sameAsParsed(t, buildResponse(REQ, 486, 'Busy Here', { toTag: 'tt' }));
  sameAsParsed(
    t,
    buildResponse(REQ, 401, 'Unauthorized', {
      headers: [['WWW-Authenticate', 'Digest realm="x", nonce="n", qop="auth"']],
      body: 'hello',
      contentType: 'text/plain',
    }),
  );
  const tagged = REQ.clone();
  tagged.setHeader('To', 'B <sip:b@x>;tag=old');
  sameAsParsed(t, buildResponse(tagged, 200, 'OK'));
});

test('an extra header the parser reads eagerly still goes through the parser', (t) => {
  const err = t.throws(() =>
    buildResponse(REQ, 200, 'OK', { headers: [['Content-Length', '5']] }),
  ) as SipParseError;
  t.is(err.status, 0);
  sameAsParsed(t, buildResponse(REQ, 200, 'OK', { headers: [['Max-Forwards', '7']] }));
});
