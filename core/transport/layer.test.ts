import test from 'ava';
import { SipTransportLayer } from './layer.ts';
import {
  Collector,
  delay,
  installLoopbackOnlyNet,
  makeLayer,
  netAttempts,
  RawTcpClient,
  rawUdp,
  sipRequest,
} from './test-helpers.ts';

installLoopbackOnlyNet();

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code;
}

// Serial: it counts connect/send attempts made by this process while it runs.
test.serial('egress guard: refused destinations reject before any socket is touched', async (t) => {
  const { layer } = makeLayer(t.teardown, { allowDestinations: ['127.0.0.0/8'] });
  const udp = await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  await layer.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  await layer.listen({ transport: 'udp', host: '::1', port: 0 });

  const attemptsBefore = netAttempts.length;
  for (const host of [
    '10.0.0.1',
    '192.0.2.1',
    '::1',
    '::ffff:10.0.0.1',
    '[2001:db8::1]',
    'example.com',
  ]) {
    for (const transport of ['udp', 'tcp'] as const) {
      const err = await t.throwsAsync(layer.send({ transport, host, port: 5060 }, sipRequest()));
      t.is(codeOf(err), 'POLYSIP_ERR_TRANSPORT_REFUSED_DESTINATION', `${transport} ${host}`);
    }
  }
  t.is(netAttempts.length, attemptsBefore, 'no connect or send was attempted');

  // Inside the list: 127.0.0.2 is loopback too, and reachable.
  const peer = await rawUdp(4, '127.0.0.2');
  t.teardown(peer.close);
  const m = sipRequest();
  await layer.send({ transport: 'udp', host: '127.0.0.2', port: peer.port }, m);
  const [got] = await peer.received.waitFor(1);
  t.deepEqual(got!.data, m);
  t.is(got!.rinfo.port, udp.port);
  t.deepEqual(
    netAttempts.slice(attemptsBefore).map((a) => a.host),
    ['127.0.0.2'],
  );
});

test('invalid allowDestinations entries make the constructor throw', (t) => {
  const err = t.throws(() => new SipTransportLayer({ allowDestinations: ['127.0.0.0/40'] }));
  t.true(err!.message.includes('127.0.0.0/40'));
});

test('a throwing or rejecting onMessage handler is logged and the layer keeps going', async (t) => {
  const logs = new Collector<{ level: string; msg: string }>();
  const { layer } = makeLayer(t.teardown, { log: (level, msg) => logs.push({ level, msg }) });
  const listener = await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const seen: string[] = [];
  layer.onMessage((data) => {
    const id = /Call-ID: (\w+)/.exec(data.toString('latin1'))![1]!;
    seen.push(id);
    if (id === 'boom') throw new Error('handler bug');
    if (id === 'async') return Promise.reject(new Error('async bug')) as unknown as void;
  });
  const peer = await rawUdp(4);
  t.teardown(peer.close);
  await peer.send(sipRequest({ callId: 'boom' }), listener.port);
  await peer.send(sipRequest({ callId: 'async' }), listener.port);
  await peer.send(sipRequest({ callId: 'fine' }), listener.port);
  await logs.waitFor(2);
  for (let i = 0; i < 100 && seen.length < 3; i++) await delay(5);
  t.deepEqual(seen, ['boom', 'async', 'fine']);
  t.deepEqual(
    logs.items.filter((l) => l.msg === 'polysip:transport:handler-error').map((l) => l.level),
    ['error', 'error'],
  );
});

test('a throwing handler on a TCP connection does not break the stream', async (t) => {
  const { layer } = makeLayer(t.teardown);
  const listener = await layer.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  const seen = new Collector<string>();
  layer.onMessage((data) => {
    seen.push(data.toString('latin1'));
    throw new Error('always');
  });
  const client = await RawTcpClient.connect(listener.port);
  t.teardown(() => client.close());
  client.socket.write(Buffer.concat([sipRequest({ callId: 'a' }), sipRequest({ callId: 'b' })]));
  await seen.waitFor(2);
  t.false(client.socket.destroyed);
});

test('close() is idempotent and everything afterwards is refused with CLOSED', async (t) => {
  const layer = new SipTransportLayer();
  const udp = await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const tcp = await layer.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  const client = await RawTcpClient.connect(tcp.port);
  t.teardown(() => client.close());
  const first = layer.close();
  const second = layer.close();
  t.is(first, second);
  await first;
  await layer.close();
  await client.closed;
  t.deepEqual(layer.listeners(), []);
  const sendErr = await t.throwsAsync(
    layer.send({ transport: 'udp', host: '127.0.0.1', port: udp.port }, sipRequest()),
  );
  t.is(codeOf(sendErr), 'POLYSIP_ERR_TRANSPORT_CLOSED');
  const listenErr = await t.throwsAsync(
    layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 }),
  );
  t.is(codeOf(listenErr), 'POLYSIP_ERR_TRANSPORT_CLOSED');
  // The ports are free again.
  const again = new SipTransportLayer();
  t.teardown(() => again.close());
  await again.listen({ transport: 'udp', host: '127.0.0.1', port: udp.port });
  await again.listen({ transport: 'tcp', host: '127.0.0.1', port: tcp.port });
});

test('close() while a connection is being set up rejects the queued send with CLOSED', async (t) => {
  const layer = new SipTransportLayer({ tcpConnectTimeoutMs: 2000 });
  // close() destroys connecting sockets synchronously, before any connect outcome arrives.
  const pending = layer.send({ transport: 'tcp', host: '127.0.0.1', port: 9 }, sipRequest());
  const closing = layer.close();
  const err = await t.throwsAsync(pending);
  t.is(codeOf(err), 'POLYSIP_ERR_TRANSPORT_CLOSED');
  await closing;
});

test('listenerFor prefers the exact address, then a loopback one, by transport and family', async (t) => {
  const { layer } = makeLayer(t.teardown);
  const u1 = await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const u2 = await layer.listen({ transport: 'udp', host: '127.0.0.2', port: 0 });
  const t1 = await layer.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  const u6 = await layer.listen({ transport: 'udp', host: '::1', port: 0 });
  t.is(layer.listenerFor({ transport: 'udp', host: '127.0.0.2', port: 5060 }), u2);
  t.is(layer.listenerFor({ transport: 'udp', host: '127.0.0.1', port: 5060 }), u1);
  t.is(
    layer.listenerFor({ transport: 'udp', host: '127.0.0.9', port: 5060 }),
    u1,
    'ties → first listener',
  );
  t.is(layer.listenerFor({ transport: 'udp', host: '::ffff:127.0.0.2', port: 5060 }), u2);
  t.is(layer.listenerFor({ transport: 'tcp', host: '127.0.0.2', port: 5060 }), t1);
  t.is(layer.listenerFor({ transport: 'udp', host: '::1', port: 5060 }), u6);
  t.is(layer.listenerFor({ transport: 'udp', host: '[::1]', port: 5060 }), u6);
  t.is(layer.listenerFor({ transport: 'tcp', host: '::1', port: 5060 }), null);
  t.is(layer.listenerFor({ transport: 'tls', host: '127.0.0.1', port: 5061 }), null);
  t.is(layer.listenerFor({ transport: 'udp', host: 'example.com', port: 5060 }), null);
  t.deepEqual(
    layer.listeners().map((l) => l.id),
    [u1.id, u2.id, t1.id, u6.id],
  );
});

test('unsupported transports and bad addresses are refused with clear errors', async (t) => {
  const { layer } = makeLayer(t.teardown);
  await layer.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  await t.throwsAsync(layer.listen({ transport: 'ws', host: '127.0.0.1', port: 0 }), {
    message: /ws:127\.0\.0\.1:0.*not supported/,
  });
  await t.throwsAsync(layer.listen({ transport: 'udp', host: 'localhost', port: 0 }), {
    message: /not an IP address/,
  });
  const ws = await t.throwsAsync(
    layer.send({ transport: 'ws', host: '127.0.0.1', port: 80 }, sipRequest()),
  );
  t.is(codeOf(ws), 'POLYSIP_ERR_TRANSPORT_NO_LISTENER');
  const name = await t.throwsAsync(
    layer.send({ transport: 'udp', host: 'localhost', port: 5060 }, sipRequest()),
  );
  t.is(codeOf(name), 'POLYSIP_ERR_TRANSPORT_UNREACHABLE');
  const port = await t.throwsAsync(
    layer.send({ transport: 'udp', host: '127.0.0.1', port: 0 }, sipRequest()),
  );
  t.is(codeOf(port), 'POLYSIP_ERR_TRANSPORT_UNREACHABLE');
});

test('listen on a port in use rejects with an Error naming the spec', async (t) => {
  const { layer } = makeLayer(t.teardown);
  const l = await layer.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  await t.throwsAsync(layer.listen({ transport: 'tcp', host: '127.0.0.1', port: l.port }), {
    message: new RegExp(`tcp:127\\.0\\.0\\.1:${l.port}.*EADDRINUSE`),
  });
  t.is(layer.listeners().length, 1);
});
