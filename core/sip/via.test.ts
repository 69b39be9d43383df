import test from 'ava';
import { formatVia, parseVia, parseViaList } from './via.ts';
import { SipParseError } from './errors.ts';

test('plain Via with branch, rport, received', (t) => {
  const v = parseVia('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport=5070;received=198.51.100.7');
  t.is(v.protocol, 'SIP/2.0');
  t.is(v.transport, 'UDP');
  t.is(v.host, '192.0.2.1');
  t.is(v.port, 5060);
  t.is(v.branch, 'z9hG4bK1');
  t.is(v.rport, '5070');
  t.is(v.received, '198.51.100.7');
});

test('rport without value, lower-case transport, LWS around / ; =', (t) => {
  const v = parseVia('SIP / 2.0 / tcp  host.example.com ; rport ; branch = z9hG4bKx');
  t.is(v.transport, 'TCP');
  t.is(v.rport, '');
  t.is(v.branch, 'z9hG4bKx');
  t.is(v.port, null);
  t.is(parseVia('SIP/2.0/UDP h').rport, null);
});

test('IPv6 sent-by and received with or without brackets (RFC 5118 4.5)', (t) => {
  const a = parseVia('SIP/2.0/UDP [2001:db8::9:1]:6050;received=2001:db8::9:255;branch=z9hG4bKas3');
  t.is(a.host, '[2001:db8::9:1]');
  t.is(a.port, 6050);
  t.is(a.received, '2001:db8::9:255');
  t.is(a.branch, 'z9hG4bKas3');
  const b = parseVia('SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3');
  t.is(b.received, '2001:db8::9:255');
});

test('lists and empty elements', (t) => {
  t.is(parseViaList('SIP/2.0/UDP a;branch=1, SIP/2.0/TCP b:5061;branch=2').length, 2);
  for (const bad of [
    'SIP/2.0/UDP 192.0.2.15;;,;,,',
    'SIP/2.0/UDP a,,SIP/2.0/UDP b',
    'SIP/2.0 host',
    'SIP/2.0/UDP',
    'SIP/2.0/UDP a:99999',
  ]) {
    const e = t.throws(() => parseViaList(bad), undefined, bad) as SipParseError;
    t.is(e.status, 400, bad);
  }
});

test('formatVia', (t) => {
  const s = formatVia({
    transport: 'udp',
    host: '127.0.0.1',
    port: 5060,
    params: [
      { name: 'branch', value: 'z9hG4bKa' },
      { name: 'rport', value: null },
    ],
  });
  t.is(s, 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa;rport');
  t.is(parseVia(s).branch, 'z9hG4bKa');
});
