import test from 'ava';
import { EgressGuard, normalizeIp } from './egress.ts';

test('IPv4 CIDRs match on prefix boundaries', (t) => {
  const g = new EgressGuard(['127.0.0.0/8', '10.1.2.0/23', '192.0.2.7']);
  t.true(g.allows('127.0.0.1', 4));
  t.true(g.allows('127.255.255.254', 4));
  t.false(g.allows('128.0.0.1', 4));
  t.true(g.allows('10.1.3.255', 4));
  t.false(g.allows('10.1.4.0', 4));
  t.false(g.allows('10.1.1.255', 4));
  t.true(g.allows('192.0.2.7', 4));
  t.false(g.allows('192.0.2.8', 4));
  t.false(g.allows('::1', 6));
});

test('IPv6 CIDRs match on prefix boundaries', (t) => {
  const g = new EgressGuard(['::1/128', '2001:db8:abcd::/48']);
  t.true(g.allows('::1', 6));
  t.false(g.allows('::2', 6));
  t.true(g.allows('2001:db8:abcd:ffff::1', 6));
  t.false(g.allows('2001:db8:abce::1', 6));
  t.false(g.allows('127.0.0.1', 4));
});

test('an empty list refuses everything; verdicts are stable across the cache', (t) => {
  const g = new EgressGuard([]);
  t.false(g.allows('127.0.0.1', 4));
  t.false(g.allows('127.0.0.1', 4));
  const h = new EgressGuard(['0.0.0.0/0']);
  t.true(h.allows('203.0.113.9', 4));
  t.false(h.allows('::1', 6));
});

test('invalid entries throw an Error naming the entry', (t) => {
  for (const bad of ['10.0.0.0/33', '::/129', 'example.com/8', '10.0.0.0/x', '10.0.0/8']) {
    const err = t.throws(() => new EgressGuard([bad]), undefined, bad);
    t.true(err!.message.includes(`'${bad}'`));
  }
});

test('normalizeIp strips brackets and IPv4-mapped prefixes only', (t) => {
  t.is(normalizeIp('::ffff:1.2.3.4'), '1.2.3.4');
  t.is(normalizeIp('::FFFF:127.0.0.1'), '127.0.0.1');
  t.is(normalizeIp('[::1]'), '::1');
  t.is(normalizeIp('[::ffff:10.0.0.1]'), '10.0.0.1');
  t.is(normalizeIp('::ffff:abcd'), '::ffff:abcd');
  t.is(normalizeIp('127.0.0.1'), '127.0.0.1');
  t.is(normalizeIp('2001:db8::1'), '2001:db8::1');
});
