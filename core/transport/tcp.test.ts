import test from 'ava';
import net from 'node:net';
import type { ReceiveInfo } from '../sip/types.ts';
import {
  Collector,
  delay,
  installLoopbackOnlyNet,
  makeLayer,
  RawTcpClient,
  rawTcpServer,
  sipRequest,
  sipResponse,
  within,
} from './test-helpers.ts';

installLoopbackOnlyNet();

async function tcpLayer(
  t: { teardown: (fn: () => Promise<void>) => void },
  opts = {},
  host = '127.0.0.1',
) {
  const made = makeLayer(t.teardown, opts);
  const listener = await made.layer.listen({ transport: 'tcp', host, port: 0 });
  return { ...made, listener };
}

function connectTo(t: { teardown: (fn: () => void) => void }, port: number, host = '127.0.0.1') {
  return RawTcpClient.connect(port, host).then((c) => {
    t.teardown(() => c.close());
    return c;
  });
}

test('TCP: several messages in one write are framed apart', async (t) => {
  const { received, listener } = await tcpLayer(t);
  const client = await connectTo(t, listener.port);
  const a = sipRequest({ callId: 'a' });
  const b = sipRequest({ callId: 'b', body: 'v=0\r\n\r\n\r\nbody with CRLFCRLF inside' });
  const c = sipRequest({ callId: 'c', method: 'INVITE', body: 'x' });
  client.socket.write(Buffer.concat([a, b, c]));
  const got = await received.waitFor(3);
  t.deepEqual(
    got.map((m) => m.data.toString('latin1')),
    [a, b, c].map((m) => m.toString('latin1')),
  );
  const info = got[0]!.info;
  t.is(info.transport, 'tcp');
  t.is(info.srcIp, '127.0.0.1');
  t.is(info.srcPort, client.socket.localPort!);
  t.is(info.dstIp, '127.0.0.1');
  t.is(info.dstPort, listener.port);
  t.is(typeof info.connectionId, 'number');
  t.true(got.every((m) => m.info.connectionId === info.connectionId));
});

test('TCP: messages split byte by byte are reassembled', async (t) => {
  const { received, listener } = await tcpLayer(t);
  const client = await connectTo(t, listener.port);
  const a = sipRequest({ callId: 'split-a', body: 'abc' });
  const b = sipRequest({ callId: 'split-b' });
  const all = Buffer.concat([a, Buffer.from('\r\n'), b]);
  for (let i = 0; i < all.length; i++) {
    client.socket.write(all.subarray(i, i + 1));
    if (i % 8 === 0) await new Promise((r) => setImmediate(r));
  }
  const got = await received.waitFor(2);
  t.deepEqual(got[0]!.data, a);
  t.deepEqual(got[1]!.data, b);
  await delay(20);
  t.is(received.items.length, 2);
  t.is(client.bytes.length, 0, 'a lone CRLF between messages earns no pong');
});

test('TCP: a message that spans two writes, then a full one, keeps the boundary', async (t) => {
  const { received, listener } = await tcpLayer(t);
  const client = await connectTo(t, listener.port);
  const a = sipRequest({ callId: 'x', body: 'y'.repeat(3000) });
  const b = sipRequest({ callId: 'z' });
  client.socket.write(a.subarray(0, 1500));
  await delay(10);
  client.socket.write(Buffer.concat([a.subarray(1500), b]));
  const got = await received.waitFor(2);
  t.deepEqual(got[0]!.data, a);
  t.deepEqual(got[1]!.data, b);
});

test('TCP: a CRLFCRLF ping gets a single CRLF pong, also when split', async (t) => {
  const { received, listener } = await tcpLayer(t);
  const client = await connectTo(t, listener.port);
  client.socket.write('\r\n\r\n');
  t.is((await client.waitForBytes(2)).toString('latin1'), '\r\n');
  client.socket.write('\r\n\r');
  await delay(10);
  client.socket.write('\n');
  t.is((await client.waitForBytes(4)).toString('latin1'), '\r\n\r\n');
  // A ping in front of a message: pong, then the message.
  const m = sipRequest();
  client.socket.write(Buffer.concat([Buffer.from('\r\n\r\n'), m]));
  await client.waitForBytes(6);
  const [got] = await received.waitFor(1);
  t.deepEqual(got!.data, m);
  await delay(20);
  t.is(client.bytes.length, 6);
});

test('TCP: a response sent with connectionId goes out on the request connection', async (t) => {
  const { layer, received, listener } = await tcpLayer(t);
  const client = await connectTo(t, listener.port);
  client.socket.write(sipRequest());
  const [req] = await received.waitFor(1);
  const res = sipResponse();
  // The target port is deliberately wrong: the connection id decides.
  await layer.send(
    { transport: 'tcp', host: req!.info.srcIp, port: 1, connectionId: req!.info.connectionId },
    res,
  );
  t.deepEqual(await client.waitForBytes(res.length), res);
});

test('TCP: a stale connectionId falls back to the connection to the same address', async (t) => {
  const { layer, received, listener } = await tcpLayer(t);
  const client = await connectTo(t, listener.port);
  client.socket.write(sipRequest());
  const [req] = await received.waitFor(1);
  const res = sipResponse();
  await layer.send(
    { transport: 'tcp', host: req!.info.srcIp, port: req!.info.srcPort, connectionId: 987654 },
    res,
  );
  t.deepEqual(await client.waitForBytes(res.length), res);
});

test('TCP: sending to a target without a connection opens one; later sends reuse it', async (t) => {
  const { layer, received, listener } = await tcpLayer(t);
  const peer = await rawTcpServer();
  t.teardown(peer.close);
  const m1 = sipRequest({ callId: '1' });
  const m2 = sipRequest({ callId: '2' });
  const m3 = sipRequest({ callId: '3' });
  // m1 and m2 are queued while the connection is being set up.
  await Promise.all([
    layer.send({ transport: 'tcp', host: '127.0.0.1', port: peer.port }, m1),
    layer.send({ transport: 'tcp', host: '127.0.0.1', port: peer.port }, m2),
  ]);
  await layer.send({ transport: 'tcp', host: '127.0.0.1', port: peer.port }, m3);
  const expected = Buffer.concat([m1, m2, m3]);
  await within(
    (async () => {
      while (peer.bytes().length < expected.length) await delay(5);
    })(),
  );
  t.deepEqual(peer.bytes(), expected);
  t.is(peer.sockets.items.length, 1);

  // The peer talks back on that connection: it is a connection like any other.
  const [sock] = peer.sockets.items;
  const res = sipResponse();
  sock!.write(res);
  const [got] = await received.waitFor(1);
  t.deepEqual(got!.data, res);
  t.is(got!.info.srcPort, peer.port);
  t.is(got!.info.dstIp, listener.host, 'outgoing connections report the TCP listener address');
  t.is(got!.info.dstPort, listener.port);
  await layer.send(
    { transport: 'tcp', host: '127.0.0.1', port: 1, connectionId: got!.info.connectionId },
    m1,
  );
  await delay(20);
  t.is(peer.sockets.items.length, 1);
});

test('TCP: a refused connection rejects UNREACHABLE, and the next send tries again', async (t) => {
  const { layer } = await tcpLayer(t);
  const gone = await rawTcpServer();
  await gone.close();
  const target = { transport: 'tcp' as const, host: '127.0.0.1', port: gone.port };
  const results = await Promise.allSettled([
    layer.send(target, sipRequest()),
    layer.send(target, sipRequest()),
  ]);
  for (const r of results) {
    t.is(r.status, 'rejected');
    t.is((r as PromiseRejectedResult).reason.code, 'POLYSIP_ERR_TRANSPORT_UNREACHABLE');
  }
  const again = await t.throwsAsync(layer.send(target, sipRequest()));
  t.is((again as { code?: string }).code, 'POLYSIP_ERR_TRANSPORT_UNREACHABLE');
});

test('TCP: an oversize message is a framing error and the connection closes', async (t) => {
  const { layer, received, listener } = await tcpLayer(t, { maxMessageSize: 300 });
  const errors = new Collector<{ head: Buffer; info: ReceiveInfo; reason: string }>();
  layer.onFramingError((head, info, reason) => errors.push({ head, info, reason }));
  const client = await connectTo(t, listener.port);
  const big = sipRequest({ body: 'x'.repeat(400) });
  client.socket.write(big);
  const [e] = await errors.waitFor(1);
  t.regex(e!.reason, /too large/i);
  t.deepEqual(e!.head, big.subarray(0, big.indexOf('\r\n\r\n') + 4));
  t.is(e!.info.srcPort, client.socket.localPort!);
  await within(client.closed, 3000, 'close');
  t.is(received.items.length, 0);
});

test('TCP: a header section that never ends within the limit is a framing error', async (t) => {
  const { layer, listener } = await tcpLayer(t, { maxMessageSize: 300 });
  const errors = new Collector<string>();
  layer.onFramingError((_h, _i, reason) => errors.push(reason));
  const client = await connectTo(t, listener.port);
  client.socket.write('OPTIONS sip:a SIP/2.0\r\n' + 'X-Pad: yyyyyyyyyy\r\n'.repeat(30));
  await errors.waitFor(1);
  await within(client.closed, 3000, 'close');
  t.pass();
});

test('TCP: bad Content-Length → handler gets the head, may answer, then the connection closes', async (t) => {
  const { layer, received, listener } = await tcpLayer(t);
  const errors = new Collector<{ head: Buffer; reason: string }>();
  const answer = Buffer.from('SIP/2.0 400 Bad Content-Length\r\nContent-Length: 0\r\n\r\n');
  layer.onFramingError((head, info, reason) => {
    errors.push({ head, reason });
    void layer.send(
      {
        transport: info.transport,
        host: info.srcIp,
        port: info.srcPort,
        connectionId: info.connectionId,
      },
      answer,
    );
  });
  const client = await connectTo(t, listener.port);
  const head = 'OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCall-ID: bad\r\nContent-Length: abc\r\n\r\n';
  client.socket.write(head + 'trailing bytes');
  const [e] = await errors.waitFor(1);
  t.is(e!.head.toString('latin1'), head);
  t.regex(e!.reason, /content-length/i);
  await within(client.closed, 3000, 'close');
  t.deepEqual(client.bytes, answer, 'the 400 was flushed before the close');
  t.is(received.items.length, 0);
});

test('TCP: connections beyond the per-source limit are closed at once', async (t) => {
  const { received, listener } = await tcpLayer(t, { maxConnectionsPerSource: 2 });
  const c1 = await connectTo(t, listener.port);
  const c2 = await connectTo(t, listener.port);
  // Make sure both are accepted before the third arrives.
  c1.socket.write(sipRequest({ callId: '1' }));
  c2.socket.write(sipRequest({ callId: '2' }));
  await received.waitFor(2);
  const c3 = await connectTo(t, listener.port);
  await within(c3.closed, 3000, 'the third connection to close');
  t.false(c1.socket.destroyed);
  // Freeing a slot lets a new connection in.
  c1.close();
  await c1.closed;
  await delay(20);
  const c4 = await connectTo(t, listener.port);
  c4.socket.write(sipRequest({ callId: '4' }));
  const got = await received.waitFor(3);
  t.is(got[2]!.info.srcPort, c4.socket.localPort!);
});

test('TCP: an idle connection is closed after tcpIdleTimeoutMs', async (t) => {
  const { received, listener } = await tcpLayer(t, { tcpIdleTimeoutMs: 150 });
  const client = await connectTo(t, listener.port);
  client.socket.write(sipRequest());
  await received.waitFor(1);
  const start = Date.now();
  await within(client.closed, 3000, 'idle close');
  t.true(Date.now() - start >= 100, `closed after ${Date.now() - start} ms`);
});

test('TCP over IPv6: round trip on [::1]', async (t) => {
  const { layer, received, listener } = await tcpLayer(t, {}, '::1');
  t.is(listener.family, 6);
  const client = await connectTo(t, listener.port, '::1');
  client.socket.write(sipRequest());
  const [req] = await received.waitFor(1);
  t.is(req!.info.srcIp, '::1');
  t.is(req!.info.dstIp, '::1');
  const res = sipResponse();
  await layer.send(
    {
      transport: 'tcp',
      host: '::1',
      port: req!.info.srcPort,
      connectionId: req!.info.connectionId,
    },
    res,
  );
  t.deepEqual(await client.waitForBytes(res.length), res);
});

test('TCP: a peer reset does not disturb the layer', async (t) => {
  const { received, listener } = await tcpLayer(t);
  const c1 = await connectTo(t, listener.port);
  c1.socket.write(sipRequest().subarray(0, 20));
  await delay(10);
  c1.socket.resetAndDestroy();
  await c1.closed;
  const c2 = await connectTo(t, listener.port);
  const m = sipRequest();
  c2.socket.write(m);
  const [got] = await received.waitFor(1);
  t.deepEqual(got!.data, m);
});

test('TCP: a peer that stops reading gets its connection dropped, not unbounded buffering', async (t) => {
  const { layer } = await tcpLayer(t);
  const held: net.Socket[] = [];
  const paused = net.createServer({ pauseOnConnect: true }, (s) => {
    s.on('error', () => {});
    held.push(s);
  });
  await new Promise<void>((resolve) => paused.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of held) s.destroy();
    return new Promise<void>((resolve) => paused.close(() => resolve()));
  });
  const port = (paused.address() as net.AddressInfo).port;
  const chunk = sipRequest({ body: 'z'.repeat(60_000) });
  let failure: unknown = null;
  let sent = 0;
  for (; sent < 2000 && failure === null; sent++) {
    await layer.send({ transport: 'tcp', host: '127.0.0.1', port }, chunk).catch((e: unknown) => {
      failure = e;
    });
  }
  t.is((failure as { code?: string } | null)?.code, 'POLYSIP_ERR_TRANSPORT_UNREACHABLE');
  t.true(sent < 2000);
  t.is(held.length, 1, 'one connection carried every send');
});
