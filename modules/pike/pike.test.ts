import test from 'ava';
import { makeCtx } from '../testkit.ts';
import { createPikeModule, normaliseIp, PikeTracker } from './index.ts';
import { createPikeRpc, pikeRpc } from './rpc.ts';

const OPTIONS = `OPTIONS sip:127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1
From: <sip:a@x>;tag=1
To: <sip:b@x>
Call-ID: c1
CSeq: 1 OPTIONS
Content-Length: 0

`;

function tracker(max = 3, unit = 2, latency = 10) {
  const clock = { t: 1000 };
  const p = new PikeTracker({
    samplingTimeUnit: unit,
    reqsDensityPerUnit: max,
    removeLatency: latency,
    now: () => clock.t,
  });
  return { p, clock };
}

test('the density-th request in a window is newly blocked (-2), the next ones blocked (-1)', (t) => {
  const { p } = tracker(3);
  t.deepEqual(
    [1, 2].map(() => p.hit('10.0.0.1')),
    [1, 1],
  );
  t.is(p.hit('10.0.0.1'), -2);
  t.is(p.hit('10.0.0.1'), -1);
  t.is(p.hit('10.0.0.2'), 1, 'another source is unaffected');
});

test('a blocked source stays blocked through the next window and is released after a calm one', (t) => {
  const { p, clock } = tracker(3, 2);
  for (let i = 0; i < 5; i++) p.hit('10.0.0.1');
  clock.t += 2; // next window: the previous one was hot
  t.is(p.hit('10.0.0.1'), -1);
  t.true(p.isBlocked('10.0.0.1'));
  clock.t += 2; // previous window had 1 hit: calm
  t.is(p.hit('10.0.0.1'), 1);
  t.false(p.isBlocked('10.0.0.1'));
});

test('a window skipped entirely forgets its counts; remove_latency forgets the source', (t) => {
  const { p, clock } = tracker(3, 2, 10);
  for (let i = 0; i < 2; i++) p.hit('10.0.0.1');
  clock.t += 4;
  t.is(p.hit('10.0.0.1'), 1);
  t.is(p.size, 1);
  clock.t += 10;
  t.is(p.sweep(), 1);
  t.is(p.size, 0);
});

test('IPv6 and IPv4-mapped addresses are tracked per address', (t) => {
  const { p } = tracker(2);
  t.is(normaliseIp('::FFFF:10.0.0.1'), '10.0.0.1');
  t.is(normaliseIp('[2001:DB8::1]'), '2001:db8::1');
  t.is(normaliseIp('not-an-ip'), null);
  t.is(p.hit('2001:db8::1'), 1);
  t.is(p.hit('2001:DB8::1'), -2, 'same address, other spelling');
  t.is(p.hit('[2001:db8::1]'), -1);
  t.is(p.hit('2001:db8::2'), 1);
  t.is(p.hit('10.0.0.9'), 1);
  t.is(p.hit('::ffff:10.0.0.9'), -2);
  t.is(p.hit('10.0.0.9'), -1);
});

test('KSR.pike.pike_check_req counts the source of the message; pike_check_ip takes a string', (t) => {
  const clock = { t: 5000 };
  const m = createPikeModule({ reqs_density_per_unit: 2, now: () => clock.t });
  const check = m.exports.find((e) => e.name === 'pike_check_req')!;
  const checkIp = m.exports.find((e) => e.name === 'pike_check_ip')!;
  const ctx = makeCtx(OPTIONS, { rcv: { srcIp: '::1' } });
  t.deepEqual(
    [check.impl(ctx), check.impl(ctx), check.impl(ctx), check.impl(ctx)],
    [1, -2, -1, -1],
  );
  t.is(checkIp.impl(ctx, '127.0.0.9'), 1);
  t.is(checkIp.impl(ctx, 'bogus'), -3);
  const top = createPikeRpc(m.tracker)['pike.top']!([]) as { ip: string; status: string }[];
  t.deepEqual(
    top.map((e) => [e.ip, e.status]),
    [['::1', 'HOT']],
  );
  const all = createPikeRpc(m.tracker)['pike.top']!(['ALL']) as unknown[];
  t.is(all.length, 2);
  const warm = createPikeRpc(m.tracker)['pike.top']!(['WARM']) as unknown[];
  t.is(warm.length, 2, 'a quarter of density 2 rounds to 0: every tracked source is at least WARM');
  t.throws(() => createPikeRpc(m.tracker)['pike.top']!(['bogus']));
  void m.stop?.();
  t.is(m.tracker.size, 0);
  t.truthy(pikeRpc['pike.top']);
});
