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

const app = await startPolysip({
  listen: ['udp:127.0.0.1:0'],
  script: new URL('../../scripts/default.lua', import.meta.url).pathname,
  allowDestinations: ['127.0.0.0/8'],
  log: pino({ level: 'silent' }),
});
const port = app.listeners[0]!.port;
const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
let inbox: Buffer[] = [];
sock.on('message', (m) => inbox.push(m));

async function exchange(bytes: Buffer): Promise<Buffer[]> {
  inbox = [];
  sock.send(bytes, port, '127.0.0.1');
  const deadline = Date.now() + QUIET_MS;
  while (Date.now() < deadline && inbox.length === 0) await new Promise((r) => setTimeout(r, 5));
  // A final answer may follow a provisional one.
  await new Promise((r) => setTimeout(r, 20));
  return inbox;
}

for (const entry of loadCorpus()) {
  const replies = await exchange(entry.bytes);
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
      statusLine,
      warning,
    })}\n`,
  );
}
// Still serving after the whole corpus?
const alive = await exchange(
  Buffer.from(
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKalive1\r\n` +
      'From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: alive@test\r\nCSeq: 1 OPTIONS\r\n' +
      'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  ),
);
process.stdout.write(
  `${JSON.stringify({ file: '#alive', statusLine: alive[0]?.toString('latin1').split('\r\n')[0] ?? null })}\n`,
);
sock.close();
await app.stop();
