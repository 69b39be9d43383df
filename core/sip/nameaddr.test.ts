import test from 'ava';
import { formatNameAddr, parseNameAddr, parseNameAddrList } from './nameaddr.ts';
import { SipParseError } from './errors.ts';

test('name-addr with quoted display name and escapes', (t) => {
  const a = parseNameAddr(
    '"Bob \\"the\\" Builder" <sip:bob@example.com;transport=tcp>;tag=abc;expires=60',
  );
  t.is(a.displayName, 'Bob "the" Builder');
  t.true(a.bracketed);
  t.is(a.uri.user, 'bob');
  t.deepEqual(a.uri.params, [{ name: 'transport', value: 'tcp' }]);
  t.deepEqual(a.params, [
    { name: 'tag', value: 'abc' },
    { name: 'expires', value: '60' },
  ]);
});

test('token display name, none before <, and bare <uri>', (t) => {
  t.is(parseNameAddr('Alice Smith <sip:a@x>').displayName, 'Alice Smith');
  t.is(parseNameAddr('caller<sip:a@x>').displayName, 'caller');
  t.is(parseNameAddr('<sip:a@x>').displayName, null);
});

test('addr-spec: every ;param is a header param (cparam01)', (t) => {
  const a = parseNameAddr('sip:+1972@gw1.example.net;unknownparam;tag=1');
  t.false(a.bracketed);
  t.deepEqual(a.uri.params, []);
  t.deepEqual(
    a.params.map((p) => p.name),
    ['unknownparam', 'tag'],
  );
});

test('LWS around ; and = in params; quoted param values kept as written', (t) => {
  const a = parseNameAddr('<sip:a@x> ; q = 0.5 ;  +sip.instance="<urn:uuid:1>"');
  t.deepEqual(a.params, [
    { name: 'q', value: '0.5' },
    { name: '+sip.instance', value: '"<urn:uuid:1>"' },
  ]);
});

test('lists split outside quotes and <>', (t) => {
  const l = parseNameAddrList('"Doe, John" <sip:j@x;a=1,2>, <sip:k@y>;q=0.1 , sip:z@w');
  t.deepEqual(
    l.map((a) => a.uri.user),
    ['j', 'k', 'z'],
  );
  t.is(l[0]!.displayName, 'Doe, John');
});

test('malformed name-addrs throw 400', (t) => {
  for (const bad of [
    '"unterminated <sip:a@x>',
    '<sip:a@x',
    'Bell, Alexander <sip:a@x>',
    '<sip:a@x>;;',
    '"q" sip:a@x',
    '',
  ]) {
    const e = t.throws(() => parseNameAddr(bad), undefined, bad) as SipParseError;
    t.is(e.status, 400, bad);
  }
  t.throws(() => parseNameAddrList('<sip:a@x>,,<sip:b@y>'));
});

test('formatNameAddr quotes when needed', (t) => {
  t.is(
    formatNameAddr({ displayName: 'Alice', uri: 'sip:a@x', params: [{ name: 'tag', value: '1' }] }),
    'Alice <sip:a@x>;tag=1',
  );
  const s = formatNameAddr({ displayName: 'Doe, "J"', uri: 'sip:a@x' });
  t.is(s, '"Doe, \\"J\\"" <sip:a@x>');
  t.is(parseNameAddr(s).displayName, 'Doe, "J"');
});
