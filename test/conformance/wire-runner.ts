/**
 * Runs inside a network namespace that has only `lo` (see wire.test.ts): starts polysip with
 * the default script, sends every torture message over UDP and prints one JSON line per
 * message with what came back. The corpus names foreign hosts; the namespace and the
 * server's egress guard make sure nothing can leave.
 */
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { startPolysip } from '../../bin/app.ts';
import { loadCorpus } from './corpus.ts';

const QUIET_MS = Number(process.env.POLYSIP_WIRE_QUIET_MS ?? 400);

// Anything the server tries to send off-box (to a corpus's foreign host) is caught by the
// egress guard and kept apart: a reply that went there never reached its sender.
let refused: { to: string; bytes: Buffer }[] = [];
const app = await startPolysip({
  onRefusedDestination: (target, data) =>
    refused.push({ to: `${target.host}:${target.port}`, bytes: Buffer.from(data) }),
  listen: ['udp:127.0.0.1:0'],
  script: new URL('../../scripts/default.lua', import.meta.url).pathname,
  allowDestinations: ['127.0.0.0/8'],
  log: pino({ level: 'silent' }),
});
const port = app.listeners[0]!.port;
const corpus = loadCorpus();
// RFC 3261 §18.2.2 / RFC 3581: an answer goes to the source address (received=127.0.0.1),
// at the Via's port (5060 when it names none), or at the source port when rport is asked
// for. The namespace is ours, so we can listen on every such port; each reply records the
// port it arrived at, and the test checks it against the rule.
// 5080: where mpart01's Route points, so forwarded requests are seen arriving too.
const viaPorts = new Set<number>([5060, 5080]);
const TOP_VIA =
  /^(?:via|v)[ \t]*:\s*SIP\s*\/\s*2\.0\s*\/\s*\w+\s+(?:\[[^\]]*\]|[^\s;:,]+)\s*(?::\s*(\d+))?/im;
for (const e of corpus) {
  const port = TOP_VIA.exec(e.bytes.toString('latin1'))?.[1];
  if (port) viaPorts.add(Number(port));
}
let inbox: { port: number; bytes: Buffer }[] = [];
const sockets = await Promise.all(
  [...viaPorts].map(async (p) => {
    const s = createSocket('udp4');
    s.on('message', (m) => inbox.push({ port: p, bytes: m }));
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.bind(p, '127.0.0.1', r));
    return s;
  }),
);
const sock = sockets[0]!; // bound to 5060, the first port in the set
const SENDER_PORT = 5060;

interface Exchange {
  readonly arrived: { port: number; bytes: Buffer }[];
  readonly refused: { to: string; bytes: Buffer }[];
}

async function exchange(bytes: Buffer): Promise<Exchange> {
  inbox = [];
  refused = [];
  sock.send(bytes, port, '127.0.0.1');
  const deadline = Date.now() + QUIET_MS;
  while (Date.now() < deadline && inbox.length + refused.length === 0) {
    await new Promise((r) => setTimeout(r, 5));
  }
  // A final answer may follow a provisional one.
  await new Promise((r) => setTimeout(r, 20));
  return { arrived: inbox, refused };
}

const isReply = (b: Buffer): boolean => b.subarray(0, 8).equals(Buffer.from('SIP/2.0 '));
const firstLine = (b: Buffer): string => b.toString('latin1').split('\r\n')[0] ?? '';
const isFinalOrError = (b: Buffer): boolean => / [2-6]\d\d /.test(firstLine(b));
const viaPortOf = (b: Buffer): number | null => {
  const p = TOP_VIA.exec(b.toString('latin1'))?.[1];
  return p ? Number(p) : null;
};
const asksRport = (b: Buffer): boolean => {
  const top = /^(?:via|v)[ \t]*:[^\r\n]*/im.exec(b.toString('latin1'))?.[0] ?? '';
  return /;\s*rport(?![\w-])/i.test(top.split(',')[0] ?? '');
};

for (const entry of corpus) {
  const { arrived, refused } = await exchange(entry.bytes);
  const senderPort = asksRport(entry.bytes) ? SENDER_PORT : (viaPortOf(entry.bytes) ?? 5060);
  const first = arrived.find((r) => isReply(r.bytes) && isFinalOrError(r.bytes));
  const refusedReply = refused.find((r) => isReply(r.bytes));
  process.stdout.write(
    `${JSON.stringify({
      file: entry.file,
      verdict: entry.verdict,
      isResponse: isReply(entry.bytes),
      replies: arrived.filter((r) => isReply(r.bytes)).length,
      repliesElsewhere: refused.filter((r) => isReply(r.bytes)).length,
      forwarded: [...arrived, ...refused].filter((r) => !isReply(r.bytes)).length,
      statusLine: first ? firstLine(first.bytes) : null,
      arrivedAt: first?.port ?? null,
      expectedAt: senderPort,
      misdirectedTo: refusedReply ? `${refusedReply.to} ${firstLine(refusedReply.bytes)}` : null,
      warning: first
        ? (/^Warning:\s*(.*)$/im.exec(first.bytes.toString('latin1'))?.[1] ?? null)
        : null,
    })}\n`,
  );
}
// Still serving after the whole corpus?
const alive = await exchange(
  Buffer.from(
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKalive1\r\n` +
      'From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: alive@test\r\nCSeq: 1 OPTIONS\r\n' +
      'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  ),
);
process.stdout.write(
  `${JSON.stringify({ file: '#alive', statusLine: alive.arrived[0] ? firstLine(alive.arrived[0].bytes) : null })}\n`,
);
for (const s of sockets) s.close();
await app.stop();
