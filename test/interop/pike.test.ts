/**
 * pike acceptance: a sipp source flooding OPTIONS from 127.0.0.2 is blocked (its requests are
 * dropped silently by the script) while a well-behaved source on 127.0.0.3 keeps getting its
 * answers. Default pike parameters: 30 requests per 2 s window. Loopback only, bounded runs.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startPolysip } from '../../bin/app.ts';
import { pikeRpc } from '../../modules/pike/rpc.ts';
import { runSipp } from '../kit/sipp.ts';

const dir = mkdtempSync(join(tmpdir(), 'polysip-pike-'));

const SCRIPT = join(dir, 'pike.lua');
writeFileSync(
  SCRIPT,
  [
    'function ksr_request_route()',
    '  if KSR.pike.pike_check_req() < 0 then KSR.x.exit() end',
    '  KSR.sl.sl_send_reply(200, "OK")',
    'end',
    '',
  ].join('\n'),
);

// One OPTIONS per call, answered by 200; an unanswered one fails after 1 s (no retransmissions,
// so the flooder's load is exactly its rate).
const SCENARIO = join(dir, 'options.xml');
writeFileSync(
  SCENARIO,
  `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="options">
  <send>
    <![CDATA[

      OPTIONS sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:probe@[local_ip]>;tag=[pid]O[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" timeout="1000"/>
</scenario>
`,
);

test.serial(
  'a flooding source is blocked while a well-behaved one completes every call',
  async (t) => {
    const app = await startPolysip({
      listen: ['udp:127.0.0.1:0'],
      script: SCRIPT,
      allowDestinations: ['127.0.0.0/8'],
      log: pino({ level: 'warn' }),
    });
    try {
      const remote = `127.0.0.1:${app.listeners[0]!.port}`;
      const FLOOD = 600;
      const GOOD = 12;
      // Sampled mid-flood: the blocked list then holds the flooder alone.
      let hotMidFlood: string[] = [];
      const sample = new Promise<void>((resolve) =>
        setTimeout(() => {
          hotMidFlood = (pikeRpc['pike.top']!(['HOT']) as { ip: string }[]).map((e) => e.ip);
          resolve();
        }, 1500),
      );
      const [flood, good] = await Promise.all([
        runSipp({
          scenario: SCENARIO,
          remote,
          localIp: '127.0.0.2',
          calls: FLOOD,
          rate: 200,
          maxConcurrent: 600,
          timeoutSec: 30,
        }),
        runSipp({
          scenario: SCENARIO,
          remote,
          localIp: '127.0.0.3',
          calls: GOOD,
          rate: 4,
          maxConcurrent: 4,
          timeoutSec: 30,
        }),
      ]);
      t.log(
        `flooder: ${flood.successful} answered of ${FLOOD}; good: ${good.successful} of ${GOOD}`,
      );
      t.is(good.successful, GOOD, good.stderr.slice(-1500));
      t.is(good.failed, 0);
      t.true(flood.successful < FLOOD * 0.2, `flooder answered ${flood.successful} times`);
      t.true(flood.successful >= 20, 'the start of the flood is let through');
      await sample;
      t.deepEqual(hotMidFlood, ['127.0.0.2']);
      const all = (pikeRpc['pike.top']!(['ALL']) as { ip: string }[]).map((e) => e.ip).sort();
      t.deepEqual(all, ['127.0.0.2', '127.0.0.3']);
    } finally {
      await app.stop();
    }
  },
);
