import test from 'ava';
import { formatListenSpec, parseListenSpec } from './listen-spec.ts';

test('parses IPv4, bracketed IPv6 and wildcard specs', (t) => {
  t.deepEqual(parseListenSpec('udp:127.0.0.1:5060'), {
    transport: 'udp',
    host: '127.0.0.1',
    port: 5060,
  });
  t.deepEqual(parseListenSpec('tcp:[::1]:5060'), { transport: 'tcp', host: '::1', port: 5060 });
  t.deepEqual(parseListenSpec('udp:0.0.0.0:5060'), {
    transport: 'udp',
    host: '0.0.0.0',
    port: 5060,
  });
  t.deepEqual(parseListenSpec('TCP:[::]:0'), { transport: 'tcp', host: '::', port: 0 });
});

test('format is the inverse of parse', (t) => {
  for (const text of [
    'udp:127.0.0.1:5060',
    'tcp:[::1]:5060',
    'udp:0.0.0.0:0',
    'tls:[2001:db8::1]:5061',
  ]) {
    t.is(formatListenSpec(parseListenSpec(text)), text);
  }
});

test('bad specs throw an Error naming the text', (t) => {
  for (const bad of [
    'udp:127.0.0.1',
    'udp::1:5060',
    'tcp:[127.0.0.1]:5060',
    'foo:127.0.0.1:5060',
    'udp:example.com:5060',
    'udp:127.0.0.1:65536',
    'udp:127.0.0.1:50x',
    '127.0.0.1:5060',
    '',
  ]) {
    const err = t.throws(() => parseListenSpec(bad), undefined, bad);
    t.true(err!.message.includes(`'${bad}'`), err!.message);
  }
});
