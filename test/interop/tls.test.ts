/**
 * TLS acceptance, loopback only, certificates made at test time (test/kit/certs.ts).
 *
 * The SIPp 3.6.1 in Debian is built without OpenSSL (`-t l1` exits with "To use a TLS
 * transport you must compile SIPp with OpenSSL"), so the TLS leg is polysip's outgoing
 * connection to a TLS terminator in front of a TCP sipp UAS:
 *
 *   sipp uac —UDP→ polysip (stateless Lua relay) —TLS→ terminator —TCP→ sipp uas
 *
 * polysip verifies the terminator's certificate against the test CA, and the UAS's answers
 * come back on that TLS connection. The other way round, a TCP→TLS originator in front of
 * polysip's TLS listener carries a TCP sipp UAC (its Via rewritten to TLS):
 *
 *   sipp uac —TCP→ originator —TLS→ polysip (relay, `$proto == "tls"` only) —UDP→ sipp uas
 *
 * A Node TLS client covers client-certificate checks and `$proto == "tls"` directly.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { pino } from 'pino';
import { startPolysip } from '../../bin/app.ts';
import { makeTestCerts, type CertPair, type TestCerts } from '../kit/certs.ts';
import { runSipp, startSippUas } from '../kit/sipp.ts';

const CALLS = 200;

let certs: TestCerts;
test.before(() => {
  certs = makeTestCerts();
});
test.after.always(() => certs?.cleanup());

function script(lines: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-tls-'));
  const file = join(dir, 'route.lua');
  writeFileSync(file, [...lines, ''].join('\n'));
  return file;
}

/** Terminates TLS on a loopback port and pipes each connection to 127.0.0.1:`port` over TCP. */
async function tlsTerminator(
  cert: CertPair,
  port: number,
): Promise<{ port: number; handshakes: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let handshakes = 0;
  const server = tls.createServer(
    { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
    (front) => {
      handshakes++;
      const back = net.connect(port, '127.0.0.1');
      for (const s of [front, back]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
      }
      front.pipe(back);
      back.pipe(front);
      front.on('close', () => back.destroy());
      back.on('close', () => front.destroy());
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    handshakes: () => handshakes,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Runs CALLS sipp UAC calls to 127.0.0.1:`port` and asserts they all succeeded over a single
 * verified TLS connection (`handshakes` counts the TLS hop's handshakes).
 */
async function callsOverOneTlsConnection(
  t: ExecutionContext,
  port: number,
  transport: 'udp' | 'tcp',
  handshakes: () => number,
): Promise<void> {
  const uac = await runSipp({
    scenario: 'uac',
    remote: `127.0.0.1:${port}`,
    transport,
    calls: CALLS,
    rate: 100,
    maxConcurrent: 100,
    timeoutSec: 60,
  });
  t.log(
    `uac: ${uac.successful} successful, ${uac.failed} failed, ${uac.retransmissions} retransmissions, ${uac.durationMs} ms; TLS handshakes: ${handshakes()}`,
  );
  t.is(uac.successful, CALLS, uac.stderr.slice(-2000));
  t.is(uac.failed, 0);
  t.is(handshakes(), 1);
}

test.serial(
  `sipp uac —UDP→ polysip —TLS→ sipp uas (via TLS terminator): ${CALLS} calls, 0 failed`,
  async (t) => {
    const uas = await startSippUas({ transport: 'tcp', timeoutSec: 90 });
    const term = await tlsTerminator(certs.server, uas.port);
    const app = await startPolysip({
      listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0'],
      script: script([
        'function ksr_request_route()',
        '  if KSR.maxfwd.process_maxfwd(10) < 0 then',
        '    KSR.sl.sl_send_reply(483, "Too Many Hops")',
        '    KSR.x.exit()',
        '  end',
        `  if KSR.forward_uri("sip:127.0.0.1:${term.port};transport=tls") < 0 then KSR.sl.sl_reply_error() end`,
        'end',
      ]),
      tls: { ...certs.server, caFile: certs.ca.certFile },
      allowDestinations: ['127.0.0.0/8'],
      log: pino({ level: 'warn' }),
    });
    try {
      const udp = app.listeners.find((l) => l.transport === 'udp')!;
      await callsOverOneTlsConnection(t, udp.port, 'udp', term.handshakes);
    } finally {
      await app.stop();
      await term.close();
      await uas.stop();
    }
  },
);

const TCP_VIA = Buffer.from('SIP/2.0/TCP ', 'latin1');
const TLS_VIA = Buffer.from('SIP/2.0/TLS ', 'latin1');

/** How many trailing bytes of `buf` are a proper prefix of TCP_VIA (kept for the next chunk). */
function partialViaTail(buf: Buffer): number {
  for (let n = Math.min(TCP_VIA.length - 1, buf.length); n > 0; n--) {
    if (buf.subarray(buf.length - n).equals(TCP_VIA.subarray(0, n))) return n;
  }
  return 0;
}

/**
 * Accepts plain TCP on a loopback port and carries each connection to polysip over TLS,
 * trusting the test CA. The client's Via says TCP; it is rewritten to TLS (same length, so
 * Content-Length holds) because that is what a TLS client would have written and what
 * polysip's stateless answer follows.
 */
async function tlsOriginator(
  port: number,
): Promise<{ port: number; handshakes: () => number; close: () => Promise<void> }> {
  const ca = readFileSync(certs.ca.certFile);
  const sockets = new Set<net.Socket>();
  let handshakes = 0;
  const server = net.createServer((front) => {
    const back = tls.connect({ host: '127.0.0.1', port, ca });
    back.once('secureConnect', () => handshakes++);
    for (const s of [front, back]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    let held = Buffer.alloc(0);
    front.on('data', (chunk: Buffer) => {
      const buf = Buffer.concat([held, chunk]);
      for (let i = buf.indexOf(TCP_VIA); i >= 0; i = buf.indexOf(TCP_VIA, i + 1)) {
        TLS_VIA.copy(buf, i);
      }
      const keep = partialViaTail(buf);
      held = Buffer.from(buf.subarray(buf.length - keep));
      back.write(buf.subarray(0, buf.length - keep));
    });
    back.pipe(front);
    front.on('close', () => back.destroy());
    back.on('close', () => front.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    handshakes: () => handshakes,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test.serial(
  `sipp uac —TLS (via TLS originator)→ polysip —UDP→ sipp uas: ${CALLS} calls, 0 failed`,
  async (t) => {
    const uas = await startSippUas({ transport: 'udp', timeoutSec: 90 });
    const app = await startPolysip({
      listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0'],
      script: script([
        'function ksr_request_route()',
        '  if KSR.maxfwd.process_maxfwd(10) < 0 then',
        '    KSR.sl.sl_send_reply(483, "Too Many Hops")',
        '    KSR.x.exit()',
        '  end',
        '  if KSR.pv.get("$proto") ~= "tls" then',
        '    KSR.sl.sl_send_reply(403, "TLS only")',
        '    KSR.x.exit()',
        '  end',
        `  if KSR.forward_uri("sip:127.0.0.1:${uas.port}") < 0 then KSR.sl.sl_reply_error() end`,
        'end',
      ]),
      tls: { ...certs.server, caFile: certs.ca.certFile },
      allowDestinations: ['127.0.0.0/8'],
      log: pino({ level: 'warn' }),
    });
    const tlsPort = app.listeners.find((l) => l.transport === 'tls')!.port;
    const orig = await tlsOriginator(tlsPort);
    try {
      await callsOverOneTlsConnection(t, orig.port, 'tcp', orig.handshakes);
    } finally {
      await orig.close();
      await app.stop();
      await uas.stop();
    }
  },
);

function tlsExchange(port: number, request: string, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...opts });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer over TLS; got ${JSON.stringify(text)}`));
    }, 5000);
    socket.once('secureConnect', () => socket.write(request));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function options(port: number, callId: string): string {
  return [
    `OPTIONS sip:127.0.0.1:${port};transport=tls SIP/2.0`,
    `Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-${callId}`,
    'Max-Forwards: 70',
    `From: <sip:t@127.0.0.1>;tag=${callId}`,
    `To: <sip:127.0.0.1:${port}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

test.serial(
  'TLS listener: $proto is "tls"; a client certificate is required when configured',
  async (t) => {
    const app = await startPolysip({
      listen: ['tls:127.0.0.1:0'],
      script: script([
        'function ksr_request_route()',
        '  local p = KSR.pv.get("$proto")',
        '  if p == "tls" and KSR.is_proto("e") then',
        '    KSR.sl.sl_send_reply(200, "proto " .. p)',
        '  else',
        '    KSR.sl.sl_send_reply(500, "proto " .. tostring(p))',
        '  end',
        'end',
      ]),
      tls: { ...certs.server, caFile: certs.ca.certFile, requireClientCert: true },
      allowDestinations: ['127.0.0.0/8'],
      log: pino({ level: 'warn' }),
    });
    try {
      const port = app.listeners[0]!.port;
      const ca = readFileSync(certs.ca.certFile);
      const answer = await tlsExchange(port, options(port, 'tls-proto-1'), {
        ca,
        cert: readFileSync(certs.client.certFile),
        key: readFileSync(certs.client.keyFile),
      });
      t.regex(answer, /^SIP\/2\.0 200 proto tls\r\n/);
      t.regex(answer, /Call-ID: tls-proto-1\r\n/);
      // Without a client certificate the handshake is aborted and nothing is answered.
      await t.throwsAsync(tlsExchange(port, options(port, 'tls-proto-2'), { ca }));
    } finally {
      await app.stop();
    }
  },
);
