import test from 'ava';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { makeTestCerts, type TestCerts } from '../../test/kit/certs.ts';
import { SipTransportLayer } from './layer.ts';
import {
  Collector,
  delay,
  installLoopbackOnlyNet,
  makeLayer,
  sipRequest,
  sipResponse,
  within,
} from './test-helpers.ts';
import { createSecureContext } from 'node:tls';
import { sniContext } from './tls.ts';
import { TransportError } from './types.ts';

installLoopbackOnlyNet();

let certs: TestCerts;
test.before(() => {
  certs = makeTestCerts();
});
test.after.always(() => certs?.cleanup());

const read = (f: string): Buffer => readFileSync(f);

function serverTls() {
  return {
    certFile: certs.server.certFile,
    keyFile: certs.server.keyFile,
    caFile: certs.ca.certFile,
  };
}

/** A TLS client trusting the test CA; resolves once the handshake is done. */
function tlsClient(
  port: number,
  opts: tls.ConnectionOptions = {},
): Promise<{ socket: tls.TLSSocket; received: Collector<Buffer>; closed: Promise<void> }> {
  return within(
    new Promise((resolve, reject) => {
      const received = new Collector<Buffer>();
      const socket = tls.connect({ host: '127.0.0.1', port, ca: read(certs.ca.certFile), ...opts });
      socket.on('data', (d: Buffer) => received.push(d));
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      socket.once('secureConnect', () => resolve({ socket, received, closed }));
      socket.once('error', reject);
    }),
    3000,
    'TLS handshake',
  );
}

/** Resolves with the error (or 'closed') a client gets when the server refuses it. */
function refusedClient(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return within(
    new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: read(certs.ca.certFile), ...opts });
      socket.once('secureConnect', () => socket.write(sipRequest({ callId: 'refused-call' })));
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      socket.once('close', () => resolve('closed'));
    }),
    3000,
    'refusal',
  );
}

test('TLS listener: a request arrives as tls, the response goes back on its connection', async (t) => {
  const { layer, received } = makeLayer(t.teardown, { tls: serverTls() });
  const l = await layer.listen({ transport: 'tls', host: '127.0.0.1', port: 0 });
  t.is(l.transport, 'tls');
  t.deepEqual(
    layer.listeners().map((x) => x.transport),
    ['tls'],
  );
  t.is(layer.listenerFor({ transport: 'tls', host: '127.0.0.1', port: 5061 })?.id, l.id);
  const c = await tlsClient(l.port);
  t.teardown(() => c.socket.destroy());
  t.true(['TLSv1.2', 'TLSv1.3'].includes(c.socket.getProtocol() ?? ''));
  t.is(c.socket.getPeerCertificate().subject.CN, 'localhost');
  const req = sipRequest({ callId: 'tls-in-1' });
  c.socket.write(req);
  const [msg] = await received.waitFor(1);
  t.deepEqual(msg!.data, req);
  t.is(msg!.info.transport, 'tls');
  t.is(msg!.info.dstPort, l.port);
  t.is(msg!.info.srcPort, c.socket.localPort ?? -1);
  const res = sipResponse(200);
  await layer.send(
    {
      transport: 'tls',
      host: msg!.info.srcIp,
      port: msg!.info.srcPort,
      connectionId: msg!.info.connectionId,
    },
    res,
  );
  await c.received.waitFor(1);
  t.deepEqual(Buffer.concat(c.received.items), res);
});

test('TLS listener: the certificate is chosen by SNI, default without a match', async (t) => {
  const { layer } = makeLayer(t.teardown, {
    tls: { ...serverTls(), sni: { [certs.sniName.toUpperCase()]: certs.sni } },
  });
  const l = await layer.listen({ transport: 'tls', host: '127.0.0.1', port: 0 });
  const named = await tlsClient(l.port, { servername: certs.sniName });
  t.teardown(() => named.socket.destroy());
  t.is(named.socket.getPeerCertificate().subject.CN, certs.sniName);
  const other = await tlsClient(l.port, {
    servername: 'other.polysip.test',
    checkServerIdentity: () => undefined,
  });
  t.teardown(() => other.socket.destroy());
  t.is(other.socket.getPeerCertificate().subject.CN, 'localhost');
});

test('sniContext: exact names first, then a one-label wildcard', (t) => {
  const a = createSecureContext({});
  const b = createSecureContext({});
  const map = new Map([
    ['sip.example.com', a],
    ['*.example.com', b],
  ]);
  t.is(sniContext(map, 'SIP.Example.com'), a);
  t.is(sniContext(map, 'pbx.example.com'), b);
  t.is(sniContext(map, 'a.pbx.example.com'), undefined);
  t.is(sniContext(map, 'example.com'), undefined);
});

test('TLS listener: minVersion is enforced (TLSv1.2 by default, TLSv1.3 when asked)', async (t) => {
  const { layer } = makeLayer(t.teardown, { tls: serverTls() });
  const l12 = await layer.listen({ transport: 'tls', host: '127.0.0.1', port: 0 });
  const ok = await tlsClient(l12.port, { maxVersion: 'TLSv1.2' });
  t.teardown(() => ok.socket.destroy());
  t.is(ok.socket.getProtocol(), 'TLSv1.2');
  t.not(await refusedClient(l12.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }), '');

  const l13 = await layer.listen(
    { transport: 'tls', host: '127.0.0.1', port: 0 },
    { tls: { minVersion: 'TLSv1.3' } },
  );
  const code = await refusedClient(l13.port, { maxVersion: 'TLSv1.2' });
  t.regex(code, /PROTOCOL|VERSION|closed|ECONNRESET/);
  const ok13 = await tlsClient(l13.port);
  t.teardown(() => ok13.socket.destroy());
  t.is(ok13.socket.getProtocol(), 'TLSv1.3');
});

test('TLS listener: the configured cipher list is what is negotiated', async (t) => {
  const cipher = 'ECDHE-ECDSA-AES128-GCM-SHA256';
  const { layer } = makeLayer(t.teardown, { tls: { ...serverTls(), ciphers: cipher } });
  const l = await layer.listen({ transport: 'tls', host: '127.0.0.1', port: 0 });
  const c = await tlsClient(l.port, { maxVersion: 'TLSv1.2' });
  t.teardown(() => c.socket.destroy());
  t.is(c.socket.getCipher().name, cipher);
  const code = await refusedClient(l.port, {
    maxVersion: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  });
  t.regex(code, /HANDSHAKE|CIPHER|closed|ECONNRESET/);
});

test('TLS listener with requireClientCert refuses a client without a certificate', async (t) => {
  const { layer, received } = makeLayer(t.teardown, { tls: serverTls() });
  const l = await layer.listen(
    { transport: 'tls', host: '127.0.0.1', port: 0 },
    { tls: { requireClientCert: true } },
  );
  // TLS 1.3 finishes the client side before the server checks; the server then aborts.
  const code = await refusedClient(l.port, {});
  t.not(code, '');
  const untrusted = await refusedClient(l.port, {
    cert: read(certs.untrusted.certFile),
    key: read(certs.untrusted.keyFile),
  });
  t.not(untrusted, '');
  await delay(50);
  t.is(received.items.length, 0, 'nothing from an unauthenticated client reaches the core');

  const c = await tlsClient(l.port, {
    cert: read(certs.client.certFile),
    key: read(certs.client.keyFile),
  });
  t.teardown(() => c.socket.destroy());
  c.socket.write(sipRequest({ callId: 'with-client-cert' }));
  const [msg] = await received.waitFor(1);
  t.regex(msg!.data.toString('latin1'), /with-client-cert/);
});

test('outgoing TLS: send() opens a verified connection, reuses it, and replies come back on it', async (t) => {
  const server = makeLayer(t.teardown, { tls: serverTls() });
  const l = await server.layer.listen({ transport: 'tls', host: '127.0.0.1', port: 0 });
  const client = makeLayer(t.teardown, { tls: { caFile: certs.ca.certFile } });
  const target = { transport: 'tls' as const, host: '127.0.0.1', port: l.port };
  const r1 = sipRequest({ callId: 'out-1' });
  const r2 = sipRequest({ callId: 'out-2' });
  await Promise.all([client.layer.send(target, r1), client.layer.send(target, r2)]);
  const got = await server.received.waitFor(2);
  t.deepEqual(Buffer.concat(got.map((g) => g.data)), Buffer.concat([r1, r2]));
  t.is(got[0]!.info.connectionId, got[1]!.info.connectionId, 'one connection for both');
  t.is(got[0]!.info.transport, 'tls');
  await client.layer.send(target, sipRequest({ callId: 'out-3' }));
  const third = await server.received.waitFor(3);
  t.is(third[2]!.info.connectionId, got[0]!.info.connectionId, 'reused later too');

  const info = got[0]!.info;
  const res = sipResponse(180);
  await server.layer.send(
    { transport: 'tls', host: info.srcIp, port: info.srcPort, connectionId: info.connectionId },
    res,
  );
  const [back] = await client.received.waitFor(1);
  t.deepEqual(back!.data, res);
  t.is(back!.info.transport, 'tls');
  t.is(back!.info.srcPort, l.port);
});

/**
 * A TLS server behind a plain TCP relay that records every byte the client sent, so a test
 * can prove no SIP text left in the clear.
 */
async function recordedTlsServer(
  t: { teardown: (fn: () => void) => void },
  cert: { certFile: string; keyFile: string },
): Promise<{ port: number; raw: () => string; secure: Collector<Buffer> }> {
  const secure = new Collector<Buffer>();
  const backend = tls.createServer({ cert: read(cert.certFile), key: read(cert.keyFile) }, (s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => secure.push(d));
  });
  backend.on('tlsClientError', () => {});
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const chunks: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const front = net.createServer((s) => {
    const back = net.connect((backend.address() as net.AddressInfo).port, '127.0.0.1');
    sockets.push(s, back);
    s.on('error', () => {});
    back.on('error', () => {});
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      back.write(d);
    });
    back.pipe(s);
    s.on('close', () => back.destroy());
    back.on('close', () => s.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    front.close();
    backend.close();
  });
  return {
    port: (front.address() as net.AddressInfo).port,
    raw: () => Buffer.concat(chunks).toString('latin1'),
    secure,
  };
}

for (const [name, pick] of [
  ['an untrusted self-signed certificate', (c: TestCerts) => c.untrusted],
  ['a trusted certificate for another name', (c: TestCerts) => c.sni],
] as const) {
  test(`outgoing TLS to a server with ${name}: send() rejects, nothing sent in the clear`, async (t) => {
    const peer = await recordedTlsServer(t, pick(certs));
    const { layer } = makeLayer(t.teardown, { tls: { caFile: certs.ca.certFile } });
    const target = { transport: 'tls' as const, host: '127.0.0.1', port: peer.port };
    const err = await t.throwsAsync(layer.send(target, sipRequest({ callId: 'secret-call-id' })));
    t.true(err instanceof TransportError);
    t.is((err as TransportError).code, 'POLYSIP_ERR_TRANSPORT_UNREACHABLE');
    t.regex(err!.message, /CERT|SELF_SIGNED|ALTNAME|VERIFY/);
    t.false(peer.raw().includes('secret-call-id'));
    t.false(peer.raw().includes('SIP/2.0'));
    t.is(peer.secure.items.length, 0);

    // With verification off the same peer is accepted (the option is what refused it).
    const lax = makeLayer(t.teardown, { tls: { verifyServer: false } });
    await lax.layer.send(target, sipRequest({ callId: 'lax-call' }));
    await peer.secure.waitFor(1);
    t.regex(Buffer.concat(peer.secure.items).toString('latin1'), /lax-call/);
  });
}

test('TLS configuration errors are reported at start-up, naming the problem', async (t) => {
  t.throws(
    () =>
      new SipTransportLayer({
        tls: { certFile: '/nonexistent/cert.pem', keyFile: certs.server.keyFile },
      }),
    {
      message: /certFile '\/nonexistent\/cert\.pem' cannot be read/,
    },
  );
  t.throws(() => new SipTransportLayer({ tls: { certFile: certs.server.certFile } }), {
    message: /give both or neither/,
  });
  t.throws(
    () =>
      new SipTransportLayer({
        tls: { certFile: certs.server.certFile, keyFile: certs.sni.keyFile },
      }),
    { message: /TLS certFile:/ },
  );
  t.throws(
    () =>
      new SipTransportLayer({
        tls: { minVersion: 'TLSv1.1' as unknown as 'TLSv1.2' },
      }),
    { message: /minVersion/ },
  );
  const { layer } = makeLayer(t.teardown);
  await t.throwsAsync(layer.listen({ transport: 'tls', host: '127.0.0.1', port: 0 }), {
    message: /tls:127\.0\.0\.1:0.*needs certFile and keyFile/,
  });
});

test('close() does not wait for a client stuck before its handshake', async (t) => {
  const layer = new SipTransportLayer({ tls: serverTls() });
  const l = await layer.listen({ transport: 'tls', host: '127.0.0.1', port: 0 });
  const raw = net.connect(l.port, '127.0.0.1');
  raw.on('error', () => {});
  t.teardown(() => raw.destroy());
  await new Promise<void>((r) => raw.once('connect', () => r()));
  await delay(20);
  await within(layer.close(), 2000, 'close');
  t.pass();
});

test('TLS over IPv6: round trip on [::1]', async (t) => {
  const server = makeLayer(t.teardown, { tls: serverTls() });
  const l = await server.layer.listen({ transport: 'tls', host: '::1', port: 0 });
  t.is(l.family, 6);
  const client = makeLayer(t.teardown, { tls: { caFile: certs.ca.certFile } });
  await client.layer.send({ transport: 'tls', host: '::1', port: l.port }, sipRequest());
  const [msg] = await server.received.waitFor(1);
  t.is(msg!.info.srcIp, '::1');
  t.is(msg!.info.transport, 'tls');
});
