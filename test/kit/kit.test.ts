import test from 'ava';
import { createServer } from 'node:net';
import { hasNetns, runInNetns } from './netns.ts';
import { freePort, freeUdpPort, isBound } from './ports.ts';
import { parseRemote, parseStatCsv, parseTimes, runSipp, startSippUas } from './sipp.ts';
import { splitSipStream, tcpExchange, udpExchange, udpPeer } from './udp-client.ts';

test('sipp uac against sipp uas: 20 calls, all counted as successful on both sides', async (t) => {
  const uas = await startSippUas({ timeoutSec: 30 });
  try {
    const uac = await runSipp({
      scenario: 'uac',
      remote: `127.0.0.1:${uas.port}`,
      calls: 20,
      rate: 100,
      timeoutSec: 20,
      traceRtt: true,
    });
    t.is(uac.exitCode, 0, uac.stderr);
    t.is(uac.successful, 20);
    t.is(uac.failed, 0);
    t.is(uac.created, 20);
    t.false(uac.timedOut);
    t.is(uac.responseTimesMs.length, 20);
    t.true(typeof uac.cpuSeconds === 'number' && uac.cpuSeconds >= 0);
    t.is(uac.stats['SuccessfulCall(C)'], '20');
  } finally {
    const s = await uas.stop({ drainMs: 8000 });
    t.is(s.successful, 20);
    t.is(s.created, 20);
  }
  t.false(isBound(uas.port, 'udp'), 'UAS port released after stop()');
});

test('sipp uac against a port where nothing listens reports failed calls', async (t) => {
  const port = await freeUdpPort();
  const r = await runSipp({
    scenario: 'uac',
    remote: `127.0.0.1:${port}`,
    calls: 2,
    rate: 10,
    timeoutSec: 2,
  });
  t.is(r.successful, 0);
  t.is(r.failed, 2);
  t.not(r.exitCode, 0);
  t.true(r.timedOut);
  t.true(r.retransmissions > 0);
  t.true(r.durationMs < 10_000);
});

test('sipp driver refuses non-loopback peers before starting anything', async (t) => {
  await t.throwsAsync(runSipp({ scenario: 'uac', remote: '192.0.2.1:5060', timeoutSec: 1 }), {
    message: /non-loopback/,
  });
  t.deepEqual(parseRemote('[::1]:5070'), { host: '::1', port: 5070, v6: true });
});

test('sipp result parsers: stat CSV last row, bash times', (t) => {
  const csv = 'A;SuccessfulCall(C);FailedCall(C);\n1;2;3;\n4;5;6;\n';
  t.deepEqual(parseStatCsv(csv), { A: '4', 'SuccessfulCall(C)': '5', 'FailedCall(C)': '6' });
  t.deepEqual(parseStatCsv(''), {});
  t.is(parseTimes('0m0.010s 0m0.020s\n1m2.500s 0m0.250s\n'), 62.75);
  t.is(parseTimes('garbage'), undefined);
});

test('udpPeer records the exact datagram bytes and its origin; udpExchange gets the answer', async (t) => {
  const peer = await udpPeer({
    onMessage: (d, p) => void p.send(Buffer.concat([Buffer.from('echo:'), d.data]), d.from),
  });
  try {
    const msg = Buffer.from('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n\r\n\u00ff', 'latin1');
    const r = await udpExchange({
      to: { host: '127.0.0.1', port: peer.port },
      message: msg,
      timeoutMs: 2000,
    });
    const got = await peer.waitFor(1, 2000);
    t.deepEqual(got[0]!.data, msg);
    t.is(got[0]!.from.port, r.localPort);
    t.false(r.timedOut);
    t.deepEqual(r.responses[0], Buffer.concat([Buffer.from('echo:'), msg]));
    await t.throwsAsync(peer.waitFor(2, 50), { message: /1\/2 datagrams/ });
  } finally {
    await peer.close();
  }
});

test('udpExchange returns timedOut with no responses when nobody answers', async (t) => {
  const port = await freeUdpPort();
  const r = await udpExchange({ to: { host: '127.0.0.1', port }, message: 'x', timeoutMs: 100 });
  t.true(r.timedOut);
  t.is(r.responses.length, 0);
});

test('tcpExchange frames responses by Content-Length even when split across segments', async (t) => {
  const resp = 'SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nabcd';
  const resp2 = 'SIP/2.0 180 Ringing\r\nl: 0\r\n\r\n';
  const srv = createServer((s) => {
    s.once('data', () => {
      const all = Buffer.from(resp + '\r\n' + resp2);
      s.write(all.subarray(0, 20));
      setTimeout(() => s.write(all.subarray(20)), 20);
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  try {
    const r = await tcpExchange({
      to: { host: '127.0.0.1', port },
      message: 'OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n',
      expect: 2,
      timeoutMs: 2000,
    });
    t.false(r.timedOut);
    t.deepEqual(
      r.responses.map((b) => b.toString('latin1')),
      [resp, resp2],
    );
  } finally {
    srv.close();
  }
  t.is(
    splitSipStream(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 9\r\n\r\nabc')).messages.length,
    0,
  );
});

test('netns: a fresh namespace has only lo, and it is up', async (t) => {
  if (!hasNetns()) {
    t.log('unshare -n / -rn unavailable here; netns test skipped');
    t.pass();
    return;
  }
  const r = await runInNetns('ip', ['-o', 'link'], { timeoutMs: 5000 });
  t.is(r.code, 0, r.stderr);
  const links = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split(':')[1]!.trim());
  t.deepEqual(links, ['lo']);
  t.regex(r.stdout, /UP/);
  const a = await runInNetns('ip', ['-o', '-4', 'addr'], { timeoutMs: 5000 });
  t.regex(a.stdout, /inet 127\.0\.0\.1/);
});
