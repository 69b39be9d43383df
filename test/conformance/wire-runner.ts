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

// Answers addressed to the corpus's foreign Via hosts are caught by the egress guard.
let refused: Buffer[] = [];
const app = await startPolysip({
  onRefusedDestination: (_target, data) => refused.push(Buffer.from(data)),
  listen: ['udp:127.0.0.1:0'],
  script: new URL('../../scripts/default.lua', import.meta.url).pathname,
  allowDestinations: ['127.0.0.0/8'],
  log: pino({ level: 'silent' }),
});
const port = app.listeners[0]!.port;
const corpus = loadCorpus();
// Answers go where the top Via says: received=127.0.0.1 (our source) and the Via's port,
// 5060 when it names none. The namespace is ours, so we can listen on every such port.
// 5080: where mpart01's Route points, so forwarded requests are seen arriving too.
const viaPorts = new Set<number>([5060, 5080]);
const TOP_VIA =
  /^(?:via|v)[ \t]*:\s*SIP\s*\/\s*2\.0\s*\/\s*\w+\s+(?:\[[^\]]*\]|[^\s;:,]+)\s*(?::\s*(\d+))?/im;
for (const e of corpus) {
  const port = TOP_VIA.exec(e.bytes.toString('latin1'))?.[1];
  if (port) viaPorts.add(Number(port));
}
let inbox: Buffer[] = [];
const sockets = await Promise.all(
  [...viaPorts].map(async (p) => {
    const s = createSocket('udp4');
    s.on('message', (m) => inbox.push(m));
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.bind(p, '127.0.0.1', r));
    return s;
  }),
);
const sock = sockets[0]!;

async function exchange(bytes: Buffer): Promise<Buffer[]> {
  inbox = [];
  refused = [];
  sock.send(bytes, port, '127.0.0.1');
  const deadline = Date.now() + QUIET_MS;
  while (Date.now() < deadline && inbox.length + refused.length === 0) {
    await new Promise((r) => setTimeout(r, 5));
  }
  // A final answer may follow a provisional one.
  await new Promise((r) => setTimeout(r, 20));
  return [...inbox, ...refused];
}

for (const entry of corpus) {
  const replies = await exchange(entry.bytes);
  const forwarded = replies.filter((r) => !r.subarray(0, 8).equals(Buffer.from('SIP/2.0 '))).length;
  const first = replies
    .map((r) => r.toString('latin1'))
    .find((t) => / [2-6]\d\d /.test(t.split('\r\n')[0] ?? ''));
  const statusLine = first?.split('\r\n')[0] ?? null;
  const warning = first ? (/^Warning:\s*(.*)$/im.exec(first)?.[1] ?? null) : null;
  process.stdout.write(
    `${JSON.stringify({
      file: entry.file,
      verdict: entry.verdict,
      isResponse: entry.bytes.subarray(0, 8).toString('latin1') === 'SIP/2.0 ',
      replies: replies.length,
      forwarded,
      statusLine,
      warning,
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
  `${JSON.stringify({ file: '#alive', statusLine: alive[0]?.toString('latin1').split('\r\n')[0] ?? null })}\n`,
);
for (const s of sockets) s.close();
await app.stop();
