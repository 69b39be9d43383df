/**
 * Hot reload under load: sipp UAC (following Record-Route) → polysip (default Lua script,
 * stateful) → sipp UAS, a few hundred calls per second, while 20 reloads in a row go through
 * the management listener. No call may fail: in-flight transactions finish on the version that
 * started them, new ones use the new version, and replaced versions are freed once their
 * grace period is over and no route of theirs runs. Loopback only, every run bounded.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPolysip } from '../../bin/app.ts';
import { rpcCall } from '../../core/mgmt/server.ts';
import { trustedSourcesDb } from '../kit/store.ts';
import { runSipp, startSippUas } from '../kit/sipp.ts';

const CALLS = Number(process.env['POLYSIP_RELOAD_CALLS'] ?? 4000);
const RATE = Number(process.env['POLYSIP_RELOAD_RATE'] ?? 200);
const RELOADS = Number(process.env['POLYSIP_RELOADS'] ?? 20);
const DEFAULT_SCRIPT = fileURLToPath(new URL('../../scripts/default.lua', import.meta.url));
const UAC_RR = fileURLToPath(new URL('./scenarios/uac-rr.xml', import.meta.url));
// Answers BYE retransmissions for Timer J, so a busy machine's dropped datagram is not a lost call.
const UAS_RR = fileURLToPath(new URL('./scenarios/uas-rr-timerj.xml', import.meta.url));

// The isolated run starts a fresh worker per reload (about a second of CPU each, on the same
// two cores as the SIP thread and both sipp processes), so it runs at a quarter of the rate
// for as long: the reloads must all happen while calls are flowing.
const RUNS = [
  { placement: 'in-thread', calls: CALLS, rate: RATE },
  { placement: 'isolated', calls: Math.round((CALLS * 3) / 8), rate: Math.round(RATE / 4) },
] as const;

for (const { placement, calls: CALLS, rate: RATE } of RUNS)
  test.serial(
    `${RELOADS} reloads under ${RATE} calls/s of sipp uac → polysip (${placement}) → uas: 0 failed`,
    async (t) => {
      const uas = await startSippUas({ scenario: UAS_RR, transport: 'udp', timeoutSec: 120 });
      const app = await startPolysip({
        listen: ['udp:127.0.0.1:0'],
        script: DEFAULT_SCRIPT,
        placement,
        db: await trustedSourcesDb(['127.0.0.1']),
        allowDestinations: ['127.0.0.0/8'],
        log: pino({ level: 'warn' }),
        management: { listen: '127.0.0.1:0' },
        // reloadGraceMs left at its default (graceForTimers): a version must outlive every
        // transaction it started, retransmissions included; freeing is tested in test/mgmt.test.ts.
      });
      const url = `http://127.0.0.1:${app.management!.port}/RPC`;
      try {
        const port = app.listeners[0]!.port;
        const uacDone = runSipp({
          scenario: UAC_RR,
          remote: `127.0.0.1:${uas.port}`,
          transport: 'udp',
          calls: CALLS,
          rate: RATE,
          maxConcurrent: 600,
          timeoutSec: 90,
          extraArgs: ['-rsa', `127.0.0.1:${port}`],
        });
        await new Promise((r) => setTimeout(r, 1000)); // let traffic ramp up
        const versions: number[] = [];
        for (let i = 0; i < RELOADS; i++) {
          const r = (await rpcCall(url, 'script.reload')) as { ok: boolean; version: number };
          t.true(r.ok);
          versions.push(r.version);
          await new Promise((res) => setTimeout(res, 150));
        }
        t.deepEqual(
          versions,
          Array.from({ length: RELOADS }, (_, i) => i + 2),
        );
        const uac = await uacDone;
        const secs = uac.durationMs / 1000;
        t.log(
          `uac: ${uac.successful} successful, ${uac.failed} failed, ${uac.retransmissions} retransmissions, ` +
            `${(uac.successful / secs).toFixed(0)} calls/s`,
        );
        t.is(uac.failed, 0, uac.stderr.slice(-2000));
        t.is(uac.successful, CALLS, uac.stdout.slice(-2000));
        // Replaced versions wait out their grace period with no route left running.
        const live = app.scripts.versions();
        t.deepEqual(
          live.map((v) => v.state),
          ['active', 'previous', ...Array<string>(Math.max(0, RELOADS - 1)).fill('retired')],
        );
        t.true(live.every((v) => v.state === 'active' || v.inFlight === 0));
        const metrics = await app.metrics.text();
        t.regex(
          metrics,
          new RegExp(
            `^polysip_script_reloads_total\\{kind="reload",result="ok"\\} ${RELOADS}$`,
            'm',
          ),
        );
        t.notRegex(metrics, /^polysip_script_errors_total/m);
      } finally {
        await app.stop();
        await uas.stop();
      }
    },
  );
