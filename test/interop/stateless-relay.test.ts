/**
 * Issue 2/3 acceptance: sipp `uac` → polysip (a Lua script relaying statelessly) → sipp
 * `uas`, 1,000 calls over UDP and over TCP, none failed. Loopback only, bounded runs.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startPolysip } from '../../bin/app.ts';
import { runSipp, startSippUas } from '../kit/sipp.ts';

const CALLS = 1000;

function relayScript(uasUri: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-relay-'));
  const file = join(dir, 'relay.lua');
  writeFileSync(
    file,
    [
      'function ksr_request_route()',
      '  if KSR.maxfwd.process_maxfwd(10) < 0 then',
      '    KSR.sl.sl_send_reply(483, "Too Many Hops")',
      '    KSR.x.exit()',
      '  end',
      `  if KSR.forward_uri("${uasUri}") < 0 then KSR.sl.sl_reply_error() end`,
      'end',
      '',
    ].join('\n'),
  );
  return file;
}

for (const transport of ['udp', 'tcp'] as const) {
  test.serial(
    `sipp uac → polysip (stateless Lua relay) → sipp uas over ${transport}: ${CALLS} calls, 0 failed`,
    async (t) => {
      const uas = await startSippUas({ transport, timeoutSec: 120 });
      const uasUri = `sip:127.0.0.1:${uas.port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
      const app = await startPolysip({
        listen: [`${transport}:127.0.0.1:0`],
        script: relayScript(uasUri),
        allowDestinations: ['127.0.0.0/8'],
        log: pino({ level: 'warn' }),
      });
      try {
        const port = app.listeners[0]!.port;
        const uac = await runSipp({
          scenario: 'uac',
          remote: `127.0.0.1:${port}`,
          transport,
          calls: CALLS,
          rate: 200,
          maxConcurrent: 200,
          timeoutSec: 90,
        });
        t.log(
          `uac: ${uac.successful} successful, ${uac.failed} failed, ${uac.retransmissions} retransmissions, ${uac.durationMs} ms`,
        );
        t.is(uac.successful, CALLS, uac.stderr.slice(-2000));
        t.is(uac.failed, 0);
      } finally {
        await app.stop();
        await uas.stop();
      }
    },
  );
}
