import test from 'ava';
import {
  installLoopbackOnlyNet,
  makeLayer,
  rawUdp,
  sipRequest,
  sipResponse,
  delay,
} from './test-helpers.ts';

installLoopbackOnlyNet();

for (const family of [4, 6] as const) {
  const host = family === 4 ? '127.0.0.1' : '::1';

  test(`UDP IPv${family}: a datagram arrives with its ReceiveInfo and the answer goes back`, async (t) => {
    const { layer, received } = makeLayer(t.teardown);
    const listener = await layer.listen({ transport: 'udp', host, port: 0 });
    t.not(listener.port, 0);
    t.is(listener.family, family);
    t.is(listener.transport, 'udp');
    const peer = await rawUdp(family);
    t.teardown(peer.close);

    const before = Date.now();
    const req = sipRequest({ body: 'hello' });
    await peer.send(req, listener.port);
    const [got] = await received.waitFor(1);
    t.deepEqual(got!.data, req);
    const { info } = got!;
    t.is(info.transport, 'udp');
    t.is(info.srcIp, host);
    t.is(info.srcPort, peer.port);
    t.is(info.dstIp, host);
    t.is(info.dstPort, listener.port);
    t.is(info.connectionId, null);
    t.true(info.receivedAt >= before && info.receivedAt <= Date.now());

    const res = sipResponse();
    await layer.send({ transport: 'udp', host: info.srcIp, port: info.srcPort }, res);
    const [back] = await peer.received.waitFor(1);
    t.deepEqual(back!.data, res);
    t.is(back!.rinfo.port, listener.port, 'the reply leaves from the listener socket');
  });
}

test('UDP: empty datagrams and CRLF keep-alives are not delivered', async (t) => {
  const { layer, received } = makeLayer(t.teardown);
  const listener = await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const peer = await rawUdp(4);
  t.teardown(peer.close);
  await peer.send(Buffer.alloc(0), listener.port);
  await peer.send(Buffer.from('\r\n\r\n'), listener.port);
  await peer.send(Buffer.from('\r\n'), listener.port);
  const req = sipRequest();
  await peer.send(req, listener.port);
  await received.waitFor(1);
  await delay(30);
  t.is(received.items.length, 1);
  t.deepEqual(received.items[0]!.data, req);
  t.is(peer.received.items.length, 0, 'no pong over UDP');
});

test('UDP: datagrams over maxMessageSize are dropped', async (t) => {
  const logs: string[] = [];
  const { layer, received } = makeLayer(t.teardown, {
    maxMessageSize: 100,
    log: (_level, msg) => logs.push(msg),
  });
  const listener = await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const peer = await rawUdp(4);
  t.teardown(peer.close);
  await peer.send(sipRequest({ body: 'x'.repeat(200) }), listener.port);
  const small = Buffer.from('OPTIONS sip:a SIP/2.0\r\n\r\n');
  await peer.send(small, listener.port);
  await received.waitFor(1);
  t.deepEqual(received.items[0]!.data, small);
  t.true(logs.includes('polysip:transport:udp-error'));
});

test('UDP: sending with no listener of the family rejects NO_LISTENER', async (t) => {
  const { layer } = makeLayer(t.teardown);
  await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const err = await t.throwsAsync(
    layer.send({ transport: 'udp', host: '::1', port: 5060 }, sipRequest()),
  );
  t.is((err as { code?: string }).code, 'POLYSIP_ERR_TRANSPORT_NO_LISTENER');
});

test('UDP and TCP listeners can share one port number', async (t) => {
  const { layer } = makeLayer(t.teardown);
  const u = await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const tcp = await layer.listen({ transport: 'tcp', host: '127.0.0.1', port: u.port });
  t.is(tcp.port, u.port);
  t.not(tcp.id, u.id);
  t.deepEqual(
    layer.listeners().map((l) => l.transport),
    ['udp', 'tcp'],
  );
});
