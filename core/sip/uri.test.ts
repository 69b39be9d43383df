import test from 'ava';
import { escape, formatUri, parseUri, unescape, withUriParam, USER_SAFE } from './uri.ts';
import { SipParseError } from './errors.ts';

test('sip URI: user, password, host, port, params, headers', (t) => {
  const u = parseUri(
    'sip:alice:secret@example.com:5070;transport=tcp;lr?subject=hi%20there&priority=urgent',
  );
  t.is(u.scheme, 'sip');
  t.is(u.user, 'alice');
  t.is(u.password, 'secret');
  t.is(u.host, 'example.com');
  t.is(u.port, 5070);
  t.deepEqual(u.params, [
    { name: 'transport', value: 'tcp' },
    { name: 'lr', value: null },
  ]);
  t.deepEqual(u.headers, [
    { name: 'subject', value: 'hi there' },
    { name: 'priority', value: 'urgent' },
  ]);
});

test('sips and scheme case', (t) => {
  const u = parseUri('SIPS:bob@Example.COM');
  t.is(u.scheme, 'sips');
  t.is(u.host, 'Example.COM');
  t.is(u.user, 'bob');
  t.is(parseUri('sip:example.com').user, null);
});

test('IPv6 references', (t) => {
  t.deepEqual(
    [parseUri('sip:[2001:db8::1]:5060').host, parseUri('sip:[2001:db8::1]:5060').port],
    ['[2001:db8::1]', 5060],
  );
  const amb = parseUri('sip:u@[2001:db8::10:5070];lr');
  t.is(amb.host, '[2001:db8::10:5070]');
  t.is(amb.port, null);
  t.deepEqual(amb.params, [{ name: 'lr', value: null }]);
  const e = t.throws(() => parseUri('sip:2001:db8::10')) as SipParseError;
  t.is(e.status, 400);
  t.regex(e.reason, /IPv6/);
});

test('tel and unknown schemes', (t) => {
  const tel = parseUri('tel:+1-201-555-0123;phone-context=example.com');
  t.is(tel.scheme, 'tel');
  t.is(tel.user, '+1-201-555-0123');
  t.is(tel.host, '');
  t.deepEqual(tel.params, [{ name: 'phone-context', value: 'example.com' }]);
  const x = parseUri('urn:service:sos');
  t.is(x.scheme, 'urn');
  t.is(x.opaque, 'service:sos');
  t.is(x.user, null);
  t.deepEqual(x.params, []);
});

test('escapes: unescape once, keep NUL, leave lone %', (t) => {
  t.is(unescape('v%61lue%25%34%31'), 'value%41');
  t.is(unescape('a%00b'), 'a\u0000b');
  t.is(unescape('100%'), '100%');
  t.is(unescape('%zz%4'), '%zz%4');
  t.is(parseUri('sip:null-%00-null@example.com').user, 'null-\u0000-null');
  t.is(escape('alice smith@x', USER_SAFE), 'alice%20smith%40x');
  t.is(escape('a\u0000b'), 'a%00b');
  t.is(escape('é'), '%E9'); // a latin1 char is one octet
  t.is(escape('☎'), '%E2%98%8E');
  t.is(unescape(escape('a;b?c d%', USER_SAFE)), 'a;b?c d%');
});

test('malformed URIs throw SipParseError 400', (t) => {
  for (const bad of [
    '',
    'nocolon',
    '1sip:x',
    'sip:',
    'sip:@host',
    'sip:host:99999',
    'sip:host:5x',
    'sip:a b@host',
    'sip:host;;lr',
    'sip:<x>',
    'sip:[::1',
  ]) {
    const e = t.throws(() => parseUri(bad), undefined, bad) as SipParseError;
    t.is(e.code, 'POLYSIP_ERR_SIP_PARSE', bad);
    t.is(e.status, 400, bad);
  }
});

test('formatUri escapes components and round-trips', (t) => {
  const s = formatUri({
    scheme: 'sip',
    user: 'al ice',
    host: 'example.com',
    port: 5080,
    params: [
      { name: 'transport', value: 'tcp' },
      { name: 'lr', value: null },
    ],
    headers: [{ name: 'Route', value: '<sip:x>' }],
  });
  t.is(s, 'sip:al%20ice@example.com:5080;transport=tcp;lr?Route=%3Csip:x%3E');
  const u = parseUri(s);
  t.is(u.user, 'al ice');
  t.is(u.headers[0]!.value, '<sip:x>');
  t.is(formatUri({ scheme: 'urn', opaque: 'service:sos' }), 'urn:service:sos');
  t.is(withUriParam(parseUri('sip:a@b;lr'), 'transport', 'tls'), 'sip:a@b;lr;transport=tls');
  t.is(withUriParam(parseUri('sip:a@b;LR'), 'lr', undefined), 'sip:a@b');
});
