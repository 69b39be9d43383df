import test from 'ava';
import { Counter, Histogram, Registry } from 'prom-client';
import { Metrics } from './metrics.ts';

const BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5];

/** The exposition block of one metric family. */
function block(text: string, name: string): string {
  return text
    .split('\n\n')
    .find((b) => b.startsWith(`# HELP ${name} `))!
    .trim();
}

test('message counters: the exposition prom-client gives for the same increments', async (t) => {
  const m = new Metrics();
  const ref = new Registry();
  const refIn = new Counter({
    name: 'polysip_sip_requests_received_total',
    help: 'SIP requests received, by method',
    labelNames: ['method'],
    registers: [ref],
  });
  const refOut = new Counter({
    name: 'polysip_sip_replies_sent_total',
    help: 'SIP replies sent (relayed or local), by status code',
    labelNames: ['code'],
    registers: [ref],
  });
  const msgs: [string, 'in' | 'out'][] = [
    ['REGISTER sip:a SIP/2.0\r\n', 'in'],
    ['OPTIONS sip:a SIP/2.0\r\n', 'in'],
    ['FOO sip:a SIP/2.0\r\n', 'in'],
    ['REGISTER sip:a SIP/2.0\r\n', 'in'],
    ['SIP/2.0 401 Unauthorized\r\n', 'out'],
    ['SIP/2.0 200 OK\r\n', 'out'],
    ['SIP/2.0 401 Unauthorized\r\n', 'out'],
  ];
  for (const [s, dir] of msgs) m.count(dir, Buffer.from(s, 'latin1'));
  for (const method of ['REGISTER', 'OPTIONS', 'other', 'REGISTER']) refIn.inc({ method });
  for (const code of ['401', '200', '401']) refOut.inc({ code });
  const first = await m.text();
  const want = await ref.metrics();
  for (const name of ['polysip_sip_requests_received_total', 'polysip_sip_replies_sent_total'])
    t.is(block(first, name), block(want, name));
  t.regex(first, /^polysip_sip_requests_received_total\{method="REGISTER"\} 2$/m);
  t.regex(first, /^polysip_sip_requests_received_total\{method="other"\} 1$/m);
  // Counted again after a collect: totals keep growing, nothing is counted twice.
  m.count('in', Buffer.from('REGISTER sip:a SIP/2.0\r\n', 'latin1'));
  const second = await m.text();
  t.regex(second, /^polysip_sip_requests_received_total\{method="REGISTER"\} 3$/m);
  t.regex(second, /^polysip_sip_replies_sent_total\{code="401"\} 2$/m);
  const json = await m.registry.getMetricsAsJSON();
  const rr = json.find((x) => x.name === 'polysip_sip_requests_received_total')!;
  t.deepEqual(
    rr.values.map((v) => [v.labels['method'], v.value]),
    [
      ['REGISTER', 3],
      ['OPTIONS', 1],
      ['other', 1],
    ],
  );
});

test('route duration: the exposition prom-client gives for the same observations', async (t) => {
  const m = new Metrics();
  const ref = new Registry();
  const h = new Histogram({
    name: 'polysip_route_duration_seconds',
    help: 'Wall time of one script route call, by tenant, engine and route function',
    labelNames: ['tenant', 'engine', 'route'],
    buckets: BUCKETS,
    registers: [ref],
  });
  const obs: [string, string, string, number][] = [];
  let x = 0x1234;
  for (let i = 0; i < 500; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const v = [0.00005, 0.0001, 0.5, 0.7, 0][i % 5]! + (i % 7 === 0 ? 0 : (x % 100000) / 1e7);
    obs.push([
      i % 3 === 0 ? 'acme' : '',
      i % 2 ? 'lua' : 'js',
      i % 4 ? 'ksr_request_route' : 'r',
      v,
    ]);
  }
  const half = obs.length / 2;
  for (const [tenant, engine, route, v] of obs.slice(0, half)) {
    m.routeDuration.observe({ tenant, engine, route }, v);
    h.observe({ tenant, engine, route }, v);
  }
  const name = 'polysip_route_duration_seconds';
  t.is(block(await m.text(), name), block(await ref.metrics(), name));
  for (const [tenant, engine, route, v] of obs.slice(half)) {
    m.routeDuration.observe({ tenant, engine, route }, v);
    h.observe({ tenant, engine, route }, v);
  }
  t.is(block(await m.text(), name), block(await ref.metrics(), name));
  const mine = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name)!;
  const theirs = (await ref.getMetricsAsJSON()).find((x) => x.name === name)!;
  t.deepEqual(mine, theirs);
  t.throws(() => m.routeDuration.observe({ tenant: '', engine: 'lua', route: 'r' }, NaN));
});
