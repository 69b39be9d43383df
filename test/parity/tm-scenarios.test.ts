/**
 * The stateful proxy scenarios of test/interop/tm-scenarios.test.ts (which runs them with Lua)
 * with the same test script ported to Python and JavaScript: CANCEL before answer, a parallel
 * fork where the first 2xx wins, serial failover from a 503 through a failure route, 408 from a
 * silent UAS, and a loop stopped by Max-Forwards with 483. Loopback only, every run bounded.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../../bin/app.ts';
import { runSipp, startSippUas, type SippUas } from '../kit/sipp.ts';
import { parityRuns, type Placement } from './langs.ts';

const CALLS = 10;
const scenario = (name: string): string =>
  fileURLToPath(new URL(`../interop/scenarios/${name}.xml`, import.meta.url));

type Ported = 'py' | 'js';
type Code = Readonly<Record<Ported, string>>;

/** The in-dialog and CANCEL handling of Kamailio's default script; `initial` is the test's. */
const TEMPLATE: Code = {
  py: `
import KSR


def relay():
    if KSR.tm.t_relay() < 0:
        KSR.sl.sl_reply_error()
    KSR.x.exit()


def ksr_request_route():
    if KSR.maxfwd.process_maxfwd(10) < 0:
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        KSR.x.exit()
    if KSR.is_CANCEL():
        if KSR.tm.t_check_trans() > 0:
            relay()
        KSR.x.exit()
    if not KSR.is_ACK() and KSR.tm.t_check_trans() == 0:
        KSR.x.exit()
    if KSR.siputils.has_totag() > 0:
        if KSR.rr.loose_route() > 0:
            relay()
        if KSR.is_ACK():
            if KSR.tm.t_check_trans() > 0:
                relay()
            KSR.x.exit()
        KSR.sl.sl_send_reply(404, "Not here")
        KSR.x.exit()
    KSR.rr.record_route()
@INITIAL@
    relay()
@EXTRA@
`,
  js: `
function relay() {
  if (KSR.tm.t_relay() < 0) KSR.sl.sl_reply_error();
  KSR.x.exit();
}

function ksr_request_route() {
  if (KSR.maxfwd.process_maxfwd(10) < 0) {
    KSR.sl.sl_send_reply(483, 'Too Many Hops');
    KSR.x.exit();
  }
  if (KSR.is_CANCEL()) {
    if (KSR.tm.t_check_trans() > 0) relay();
    KSR.x.exit();
  }
  if (!KSR.is_ACK() && KSR.tm.t_check_trans() == 0) KSR.x.exit();
  if (KSR.siputils.has_totag() > 0) {
    if (KSR.rr.loose_route() > 0) relay();
    if (KSR.is_ACK()) {
      if (KSR.tm.t_check_trans() > 0) relay();
      KSR.x.exit();
    }
    KSR.sl.sl_send_reply(404, 'Not here');
    KSR.x.exit();
  }
  KSR.rr.record_route();
@INITIAL@
  relay();
}
@EXTRA@
`,
};

function script(lang: Ported, initial: Code, extra: Code = { py: '', js: '' }): string {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-tm-'));
  const file = join(dir, `tm.${lang}`);
  writeFileSync(
    file,
    TEMPLATE[lang].replace('@INITIAL@', initial[lang]).replace('@EXTRA@', extra[lang]),
  );
  return file;
}

const uri = (u: SippUas): string => `sip:service@127.0.0.1:${u.port}`;

async function withPolysip<T>(
  file: string,
  placement: Placement,
  fn: (app: Polysip, port: number) => Promise<T>,
): Promise<T> {
  const app = await startPolysip({
    listen: ['udp:127.0.0.1:0'],
    script: file,
    placement,
    allowDestinations: ['127.0.0.0/8'],
    log: pino({ level: 'warn' }),
  });
  try {
    return await fn(app, app.listeners[0]!.port);
  } finally {
    await app.stop();
  }
}

for (const run of parityRuns()) {
  // Lua runs these in test/interop/tm-scenarios.test.ts.
  if (run.lang === 'lua') continue;
  const { lang, placement, label } = run;
  test.serial(
    `[${label}] CANCEL before answer: 200 to the CANCEL, 487 to the INVITE, the UAS is cancelled`,
    async (t) => {
      const uas = await startSippUas({ scenario: scenario('uas-cancel'), timeoutSec: 60 });
      try {
        const file = script(lang, {
          py: `    KSR.pv.sets("$ru", "${uri(uas)}")`,
          js: `  KSR.pv.sets('$ru', '${uri(uas)}');`,
        });
        await withPolysip(file, placement, async (_app, port) => {
          const uac = await runSipp({
            scenario: scenario('uac-cancel'),
            remote: `127.0.0.1:${port}`,
            calls: CALLS,
            rate: 10,
            timeoutSec: 30,
          });
          t.is(uac.successful, CALLS, uac.stderr.slice(-1500));
          t.is(uac.failed, 0);
        });
      } finally {
        const r = await uas.stop({ drainMs: 3000 });
        t.is(r.successful, CALLS, 'every UAS call saw CANCEL, answered 487 and got the ACK');
      }
    },
  );

  test.serial(
    `[${label}] parallel fork to two UAS: the first 200 wins, the other branch is cancelled`,
    async (t) => {
      const answering = await startSippUas({ scenario: scenario('uas-rr'), timeoutSec: 60 });
      const ringing = await startSippUas({ scenario: scenario('uas-cancel'), timeoutSec: 60 });
      try {
        const file = script(lang, {
          py: `    KSR.pv.sets("$ru", "${uri(answering)}")\n    KSR.corex.append_branch_uri("${uri(ringing)}")`,
          js: `  KSR.pv.sets('$ru', '${uri(answering)}');\n  KSR.corex.append_branch_uri('${uri(ringing)}');`,
        });
        await withPolysip(file, placement, async (_app, port) => {
          const uac = await runSipp({
            scenario: scenario('uac-rr'),
            remote: `127.0.0.1:${port}`,
            calls: CALLS,
            rate: 10,
            timeoutSec: 30,
          });
          t.is(uac.successful, CALLS, uac.stderr.slice(-1500));
          t.is(uac.failed, 0);
        });
      } finally {
        const a = await answering.stop({ drainMs: 6000 });
        const r = await ringing.stop({ drainMs: 3000 });
        t.is(a.successful, CALLS, 'the answering UAS completed every call');
        t.is(r.successful, CALLS, 'the other UAS was cancelled every time');
      }
    },
  );

  test.serial(
    `[${label}] serial failover: a 503 from the first UAS, the failure route relays to the second`,
    async (t) => {
      const refusing = await startSippUas({ scenario: scenario('uas-503'), timeoutSec: 60 });
      const answering = await startSippUas({ scenario: scenario('uas-rr'), timeoutSec: 60 });
      try {
        const file = script(
          lang,
          {
            py: `    KSR.pv.sets("$ru", "${uri(refusing)}")\n    KSR.tm.t_on_failure("failover")`,
            js: `  KSR.pv.sets('$ru', '${uri(refusing)}');\n  KSR.tm.t_on_failure('failover');`,
          },
          {
            py: `
def failover():
    if KSR.tm.t_is_canceled() > 0:
        return
    if KSR.tm.t_check_status("503") > 0 and KSR.pv.get("$T_reply_code") == 503:
        KSR.pv.sets("$ru", "${uri(answering)}")
        KSR.tm.t_relay()
`,
            js: `
function failover() {
  if (KSR.tm.t_is_canceled() > 0) return;
  if (KSR.tm.t_check_status('503') > 0 && KSR.pv.get('$T_reply_code') === 503) {
    KSR.pv.sets('$ru', '${uri(answering)}');
    KSR.tm.t_relay();
  }
}
`,
          },
        );
        await withPolysip(file, placement, async (_app, port) => {
          const uac = await runSipp({
            scenario: scenario('uac-rr'),
            remote: `127.0.0.1:${port}`,
            calls: CALLS,
            rate: 10,
            timeoutSec: 30,
          });
          t.is(uac.successful, CALLS, uac.stderr.slice(-1500));
          t.is(uac.failed, 0);
        });
      } finally {
        const r = await refusing.stop({ drainMs: 3000 });
        const a = await answering.stop({ drainMs: 6000 });
        t.is(r.successful, CALLS, 'the refusing UAS got its ACK every time');
        t.is(a.successful, CALLS);
      }
    },
  );

  test.serial(`[${label}] 408 when the UAS never answers (t_set_fr 500 ms)`, async (t) => {
    const silent = await startSippUas({ scenario: scenario('uas-silent'), timeoutSec: 60 });
    try {
      const file = script(lang, {
        py: `    KSR.tm.t_set_fr(5000, 500)\n    KSR.pv.sets("$ru", "${uri(silent)}")`,
        js: `  KSR.tm.t_set_fr(5000, 500);\n  KSR.pv.sets('$ru', '${uri(silent)}');`,
      });
      await withPolysip(file, placement, async (_app, port) => {
        const uac = await runSipp({
          scenario: scenario('uac-408'),
          remote: `127.0.0.1:${port}`,
          calls: 5,
          rate: 10,
          timeoutSec: 30,
        });
        t.is(uac.successful, 5, uac.stderr.slice(-1500));
        t.is(uac.failed, 0);
        // 5 calls started over 0.5 s, each answered after the 500 ms fr timer, not fr's 30 s.
        t.true(uac.durationMs < 5000, `took ${uac.durationMs} ms`);
      });
    } finally {
      await silent.stop();
    }
  });

  test.serial(
    `[${label}] a request looping back to polysip is stopped by Max-Forwards with 483`,
    async (t) => {
      const file = script(lang, {
        py: `    KSR.pv.sets("$du", "sip:127.0.0.1:" + str(KSR.pv.get("$Rp")))`,
        js: `  KSR.pv.sets('$du', 'sip:127.0.0.1:' + KSR.pv.get('$Rp'));`,
      });
      await withPolysip(file, placement, async (app, port) => {
        const uac = await runSipp({
          scenario: scenario('uac-483'),
          remote: `127.0.0.1:${port}`,
          calls: 3,
          rate: 10,
          timeoutSec: 30,
        });
        t.is(uac.successful, 3, uac.stderr.slice(-1500));
        t.is(uac.failed, 0);
        t.true(app.server.transactions.size >= 3 * 60, 'one transaction per hop of each loop');
      });
    },
  );
}
