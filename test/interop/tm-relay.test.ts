/**
 * Stateful relaying with the default script: sipp UAC (a dialog UA following the route set) →
 * polysip → a sipp UAS that copies Record-Route. With the Lua script: 5,000 calls over UDP and
 * TCP with none failed, and over UDP with 5% of the UAS's incoming packets lost, every call still
 * completing through retransmissions. The Python and JavaScript default scripts run the same
 * scenario with fewer calls (parity, not load). Loopback only, every run bounded.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPolysip } from '../../bin/app.ts';
import { trustedSourcesDb } from '../kit/store.ts';
import { runSipp, startSippUas } from '../kit/sipp.ts';
import { defaultScript, selectedLangs, type Lang } from '../parity/langs.ts';

const CALLS = Number(process.env['POLYSIP_TM_CALLS'] ?? 5000);
const PARITY_CALLS = Number(process.env['POLYSIP_TM_PARITY_CALLS'] ?? 500);
const PARITY_RATE = Number(process.env['POLYSIP_TM_PARITY_RATE'] ?? 50);
const UAC_RR = fileURLToPath(new URL('./scenarios/uac-rr.xml', import.meta.url));
// sipp's built-in scenarios ignore Record-Route, so in-dialog requests could not follow it.
// A UAS that answers BYE retransmissions for Timer J (32 s, RFC 3261 17.2.2), as a real one
// must: with sipp's usual 4 s, a 200 to BYE lost twice (5% loss, or a full socket buffer on a
// busy machine) ends the call in 408 although every proxy hop did its part.
const UAS_RR = fileURLToPath(new URL('./scenarios/uas-rr-timerj.xml', import.meta.url));

interface Run {
  readonly lang: Lang;
  readonly transport: 'udp' | 'tcp';
  readonly lost: number;
  readonly calls: number;
  readonly rate: number;
}

const runs: Run[] = [];
for (const lang of selectedLangs()) {
  if (lang === 'lua') {
    runs.push(
      { lang, transport: 'udp', lost: 0, calls: CALLS, rate: 200 },
      { lang, transport: 'tcp', lost: 0, calls: CALLS, rate: 200 },
      { lang, transport: 'udp', lost: 5, calls: CALLS, rate: 200 },
    );
  } else {
    runs.push({ lang, transport: 'udp', lost: 0, calls: PARITY_CALLS, rate: PARITY_RATE });
  }
}

for (const { lang, transport, lost, calls, rate } of runs) {
  const name =
    `sipp uac → polysip (default.${lang}, stateful) → sipp uas over ${transport}` +
    `${lost ? ` with ${lost}% loss on the UAS leg` : ''}: ${calls} calls, 0 failed`;
  test.serial(name, async (t) => {
    const uas = await startSippUas({
      scenario: UAS_RR,
      transport,
      timeoutSec: 180,
      ...(lost ? { extraArgs: ['-lost', String(lost)] } : {}),
    });
    const app = await startPolysip({
      listen: [`${transport}:127.0.0.1:0`],
      script: defaultScript(lang),
      // sipp relays between two non-local addresses: only a trusted source may (no open relay)
      db: await trustedSourcesDb(['127.0.0.1']),
      allowDestinations: ['127.0.0.0/8'],
      log: pino({ level: 'warn' }),
    });
    try {
      const port = app.listeners[0]!.port;
      const uac = await runSipp({
        scenario: UAC_RR,
        remote: `127.0.0.1:${uas.port}`,
        transport,
        calls,
        rate,
        maxConcurrent: 400,
        timeoutSec: lost ? 150 : 90,
        extraArgs: ['-rsa', `127.0.0.1:${port}`],
      });
      const secs = uac.durationMs / 1000;
      t.log(
        `uac: ${uac.successful} successful, ${uac.failed} failed, ${uac.retransmissions} retransmissions, ` +
          `${uac.durationMs} ms (${(uac.successful / secs).toFixed(0)} calls/s)`,
      );
      t.is(uac.failed, 0, uac.stderr.slice(-2000));
      t.is(uac.successful, calls, uac.stdout.slice(-2000));
      const s = app.server.transactionLayer.stats();
      t.log(`transactions still in their wait states: ${s.servers} server, ${s.clients} client`);
    } finally {
      await app.stop();
      await uas.stop();
    }
  });
}
