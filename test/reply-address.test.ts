/**
 * Where replies go (RFC 3261 §18.2.1/§18.2.2, RFC 3581): to the request's source address,
 * at its source port when the top Via asks for rport, else at the Via's sent-by port —
 * never to the sent-by host when that is not the source. The same rule on every reply path:
 * the parser's 400, sanity, sl, tm (local and relayed replies) and digest challenges.
 *
 * The sent-by host is 127.0.0.2, a loopback address the server must not answer to: the test
 * listens there as well, so a misdirected reply is seen, not merely missed.
 */
import test from 'ava';
import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../bin/app.ts';
import { trustedSourcesDb } from './kit/store.ts';
import { freeUdpPort } from './kit/ports.ts';
import { udpPeer, type UdpPeer } from './kit/udp-client.ts';

const SCRIPT = new URL('../scripts/default.lua', import.meta.url).pathname;
const TRUSTED = '127.0.0.1';
const UNTRUSTED = '127.0.0.3';
const SENT_BY = '127.0.0.2';

interface Listener {
  readonly sock: Socket;
  readonly port: number;
  readonly got: Buffer[];
}

function listen(host: string, port = 0): Promise<Listener> {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => resolve({ sock, port: sock.address().port, got }));
  });
}

let app: Polysip;
let serverPort: number;
let uas: UdpPeer;

test.before(async () => {
  // A UAS that answers every INVITE with 486, so tm relays a final reply back upstream.
  uas = await udpPeer({
    onMessage: (d, peer) => {
      const text = d.data.toString('latin1');
      if (!text.startsWith('INVITE ')) return;
      const keep = text
        .split('\r\n')
        .filter((l) => /^(via|from|to|call-id|cseq)\s*:/i.test(l))
        .map((l) => (/^to\s*:/i.test(l) ? `${l};tag=uas486` : l));
      void peer.send(`SIP/2.0 486 Busy Here\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, {
        host: d.from.host,
        port: d.from.port,
      });
    },
  });
  app = await startPolysip({
    listen: ['udp:127.0.0.1:0'],
    script: SCRIPT,
    db: await trustedSourcesDb([TRUSTED]),
    allowDestinations: ['127.0.0.0/8'],
    log: pino({ level: 'silent' }),
  });
  serverPort = app.listeners[0]!.port;
});

test.after.always(async () => {
  await app?.stop();
  await uas?.close();
});

let seq = 0;

function request(kind: string, viaPort: number, rport: boolean): string {
  seq += 1;
  const via = `Via: SIP/2.0/UDP ${SENT_BY}:${viaPort};branch=z9hG4bKra${seq}x${kind}${rport ? ';rport' : ''}`;
  const common = (method: string, ruri: string, to: string, extra: string[] = []): string =>
    [
      `${method} ${ruri} SIP/2.0`,
      via,
      'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.1>;tag=f${seq}`,
      `To: ${to}`,
      `Call-ID: reply-address-${seq}-${kind}`,
      `CSeq: 1 ${method}`,
      ...extra,
    ].join('\r\n');
  switch (kind) {
    case 'parser': // RFC 4475 clerr: Content-Length larger than the body
      return `${common('INVITE', 'sip:bob@127.0.0.1', '<sip:bob@127.0.0.1>')}\r\nContent-Length: 9999\r\n\r\nv=0\r\n`;
    case 'sanity': // an Expires past 2^32-1 → 400 from sanity_check
      return `${common('OPTIONS', `sip:bob@127.0.0.1:${serverPort}`, '<sip:bob@127.0.0.1>', ['Expires: 99999999999'])}\r\nContent-Length: 0\r\n\r\n`;
    case 'sl': // OPTIONS to the server itself → 200 Keepalive from sl
      return `${common('OPTIONS', `sip:127.0.0.1:${serverPort}`, `<sip:127.0.0.1:${serverPort}>`)}\r\nContent-Length: 0\r\n\r\n`;
    case 'auth': // REGISTER from an untrusted source → 401 challenge
      return `${common('REGISTER', 'sip:127.0.0.1', '<sip:alice@127.0.0.1>', [`Contact: <sip:alice@${SENT_BY}:${viaPort}>`])}\r\nContent-Length: 0\r\n\r\n`;
    case 'tm-local': // INVITE for a user with no registration → 404 through t_newtran
      return `${common('INVITE', `sip:nobody@127.0.0.1:${serverPort}`, '<sip:nobody@127.0.0.1>')}\r\nContent-Length: 0\r\n\r\n`;
    case 'tm-relay': // INVITE to a URI of the UAS, relayed by tm; its 486 comes back upstream
      return `${common('INVITE', `sip:bob@127.0.0.1:${uas.port}`, `<sip:bob@127.0.0.1:${uas.port}>`)}\r\nContent-Length: 0\r\n\r\n`;
    default:
      throw new Error(kind);
  }
}

const CASES = [
  { kind: 'parser', from: TRUSTED, status: 400 },
  { kind: 'sanity', from: TRUSTED, status: 400 },
  { kind: 'sl', from: TRUSTED, status: 200 },
  { kind: 'auth', from: UNTRUSTED, status: 401 },
  { kind: 'tm-local', from: TRUSTED, status: 404 },
  { kind: 'tm-relay', from: TRUSTED, status: 486 },
] as const;

const statusOf = (b: Buffer): number =>
  Number(/^SIP\/2\.0 (\d{3}) /.exec(b.toString('latin1'))?.[1] ?? 0);

async function settle(ms: number, done: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !done()) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50)); // a stray copy elsewhere gets its chance
}

for (const c of CASES)
  for (const rport of [false, true])
    test.serial(
      `${c.kind}: ${c.status} goes to the source ${rport ? 'port (rport)' : 'address at the sent-by port'}, not the Via host`,
      async (t) => {
        const viaPort = await freeUdpPort();
        const sender = await listen(c.from);
        // Where the rule says the reply goes without rport, and where a wrong rule sends it.
        const atSentByPort = rport ? null : await listen(c.from, viaPort);
        const misdirected = await listen(SENT_BY, viaPort);
        try {
          sender.sock.send(
            Buffer.from(request(c.kind, viaPort, rport), 'latin1'),
            serverPort,
            '127.0.0.1',
          );
          const expected = rport ? sender : atSentByPort!;
          await settle(1500, () => expected.got.some((b) => statusOf(b) === c.status));
          const finals = expected.got.map(statusOf);
          t.true(
            finals.includes(c.status),
            `got ${JSON.stringify(finals)} at ${c.from}:${expected.port}`,
          );
          t.deepEqual(misdirected.got.map(statusOf), [], 'nothing goes to the Via sent-by host');
          if (!rport)
            t.deepEqual(sender.got.map(statusOf), [], 'nothing at the source port without rport');
          // The Via the reply carries names the source as `received` (and the port as rport).
          const reply = expected.got.find((b) => statusOf(b) === c.status)!.toString('latin1');
          const topVia = /^Via:[^\r\n]*/im.exec(reply)?.[0] ?? '';
          if (c.kind !== 'parser') {
            t.regex(topVia, new RegExp(`;received=${c.from.replace(/\./g, '\\.')}`));
            if (rport) t.regex(topVia, new RegExp(`;rport=${sender.port}(?!\\d)`));
          }
        } finally {
          for (const l of [sender, atSentByPort, misdirected]) l?.sock.close();
        }
      },
    );

test.serial(
  'a client-written received= is replaced by the real source (RFC 5118 §4.5)',
  async (t) => {
    const viaPort = await freeUdpPort();
    const sender = await listen(TRUSTED);
    const atSentByPort = await listen(TRUSTED, viaPort);
    const misdirected = await listen(SENT_BY, viaPort);
    try {
      seq += 1;
      const msg = [
        `OPTIONS sip:127.0.0.1:${serverPort} SIP/2.0`,
        `Via: SIP/2.0/UDP ${SENT_BY}:${viaPort};received=${SENT_BY};branch=z9hG4bKrcvd${seq}`,
        'Max-Forwards: 70',
        `From: <sip:alice@127.0.0.1>;tag=f${seq}`,
        `To: <sip:127.0.0.1:${serverPort}>`,
        `Call-ID: reply-address-received-${seq}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sender.sock.send(Buffer.from(msg, 'latin1'), serverPort, '127.0.0.1');
      await settle(1500, () => atSentByPort.got.length > 0);
      t.deepEqual(atSentByPort.got.map(statusOf), [200]);
      t.deepEqual(misdirected.got.map(statusOf), []);
      t.regex(
        atSentByPort.got[0]!.toString('latin1'),
        /^Via:[^\r\n]*;received=127\.0\.0\.1(?![\d.])/im,
      );
    } finally {
      for (const l of [sender, atSentByPort, misdirected]) l.sock.close();
    }
  },
);
