/**
 * Stateful proxy behaviour against real peers (sipp scenarios in test/interop/scenarios), with
 * one test script written in every language and run in every placement of the parity suite:
 * CANCEL before answer, a parallel fork where the first 2xx wins, serial failover from a 503
 * through a failure route, 408 from a silent UAS, and a loop stopped by Max-Forwards with 483.
 * Loopback only, every run bounded.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../../bin/app.ts';
import { runSipp, startSippUas, type SippUas } from '../kit/sipp.ts';
import { parityRuns, type Lang, type Placement } from './langs.ts';

const CALLS = 10;
const scenario = (name: string): string =>
  fileURLToPath(new URL(`../interop/scenarios/${name}.xml`, import.meta.url));

/** One piece of the test script in each language. */
type Code = Readonly<Record<Lang, string>>;

/**
 * The in-dialog and CANCEL handling of Kamailio's default script, the same in each language;
 * a test fills in `@INITIAL@` (the end of the request route, before the relay) and `@EXTRA@`
 * (more routes).
 */
const TEMPLATE: Code = {
  lua: `
local function relay()
  if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
  KSR.x.exit()
end

function ksr_request_route()
  if KSR.maxfwd.process_maxfwd(10) < 0 then
    KSR.sl.sl_send_reply(483, "Too Many Hops")
    KSR.x.exit()
  end
  if KSR.is_CANCEL() then
    if KSR.tm.t_check_trans() > 0 then relay() end
    KSR.x.exit()
  end
  if not KSR.is_ACK() and KSR.tm.t_check_trans() == 0 then KSR.x.exit() end
  if KSR.siputils.has_totag() > 0 then
    if KSR.rr.loose_route() > 0 then relay() end
    if KSR.is_ACK() then
      if KSR.tm.t_check_trans() > 0 then relay() end
      KSR.x.exit()
    end
    KSR.sl.sl_send_reply(404, "Not here")
    KSR.x.exit()
  end
  KSR.rr.record_route()
@INITIAL@
  relay()
end
@EXTRA@
`,
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

const NO_EXTRA: Code = { lua: '', py: '', js: '' };

function script(lang: Lang, initial: Code, extra: Code = NO_EXTRA): string {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-tm-'));
  const file = join(dir, `tm.${lang}`);
  writeFileSync(
    file,
    TEMPLATE[lang].replace('@INITIAL@', initial[lang]).replace('@EXTRA@', extra[lang]),
  );
  return file;
}

/** `$ru` set to `target`, in each language, at the indentation of the request route. */
const setRu = (target: string): Code => ({
  lua: `  KSR.pv.sets("$ru", "${target}")`,
  py: `    KSR.pv.sets("$ru", "${target}")`,
  js: `  KSR.pv.sets('$ru', '${target}');`,
});

/** Line by line concatenation of script pieces. */
const lines = (...parts: Code[]): Code => ({
  lua: parts.map((p) => p.lua).join('\n'),
  py: parts.map((p) => p.py).join('\n'),
  js: parts.map((p) => p.js).join('\n'),
});

const uri = (u: SippUas): string => `sip:service@127.0.0.1:${u.port}`;

interface Peer {
  readonly name: string;
  readonly drainMs?: number;
  /** What to assert on this UAS's count of successful calls, after it stopped. */
  readonly expect?: string;
}

interface Scenario {
  /** The UAS peers to start, in order; their URIs are passed to `initial` and `extra`. */
  readonly peers: readonly Peer[];
  readonly initial: (uris: readonly string[]) => Code;
  readonly extra?: (uris: readonly string[]) => Code;
  readonly uac: string;
  readonly calls: number;
  readonly check?: (t: ExecutionContext, app: Polysip, durationMs: number) => void;
}

/**
 * Starts the peers, polysip with the test script and the sipp UAC; asserts every UAC call
 * succeeded and, once the peers are stopped (even on failure), each `expect`ing peer saw every
 * call through.
 */
async function runScenario(
  t: ExecutionContext,
  lang: Lang,
  placement: Placement,
  s: Scenario,
): Promise<void> {
  const peers: SippUas[] = [];
  try {
    for (const p of s.peers) {
      peers.push(await startSippUas({ scenario: scenario(p.name), timeoutSec: 60 }));
    }
    const uris = peers.map(uri);
    const file = script(lang, s.initial(uris), s.extra?.(uris));
    const app = await startPolysip({
      listen: ['udp:127.0.0.1:0'],
      script: file,
      placement,
      allowDestinations: ['127.0.0.0/8'],
      log: pino({ level: 'warn' }),
    });
    try {
      const uac = await runSipp({
        scenario: scenario(s.uac),
        remote: `127.0.0.1:${app.listeners[0]!.port}`,
        calls: s.calls,
        rate: 10,
        timeoutSec: 30,
      });
      t.is(uac.successful, s.calls, uac.stderr.slice(-1500));
      t.is(uac.failed, 0);
      s.check?.(t, app, uac.durationMs);
    } finally {
      await app.stop();
    }
  } finally {
    for (const [i, peer] of peers.entries()) {
      const p = s.peers[i]!;
      const r = await peer.stop(p.drainMs === undefined ? {} : { drainMs: p.drainMs });
      if (p.expect !== undefined) t.is(r.successful, s.calls, p.expect);
    }
  }
}

for (const { lang, placement, label } of parityRuns()) {
  test.serial(
    `[${label}] CANCEL before answer: 200 to the CANCEL, 487 to the INVITE, the UAS is cancelled`,
    (t) =>
      runScenario(t, lang, placement, {
        peers: [
          {
            name: 'uas-cancel',
            drainMs: 3000,
            expect: 'every UAS call saw CANCEL, answered 487 and got the ACK',
          },
        ],
        initial: ([ru]) => setRu(ru!),
        uac: 'uac-cancel',
        calls: CALLS,
      }),
  );

  test.serial(
    `[${label}] parallel fork to two UAS: the first 200 wins, the other branch is cancelled`,
    (t) =>
      runScenario(t, lang, placement, {
        peers: [
          { name: 'uas-rr', drainMs: 6000, expect: 'the answering UAS completed every call' },
          { name: 'uas-cancel', drainMs: 3000, expect: 'the other UAS was cancelled every time' },
        ],
        initial: ([answering, ringing]) =>
          lines(setRu(answering!), {
            lua: `  KSR.corex.append_branch_uri("${ringing}")`,
            py: `    KSR.corex.append_branch_uri("${ringing}")`,
            js: `  KSR.corex.append_branch_uri('${ringing}');`,
          }),
        uac: 'uac-rr',
        calls: CALLS,
      }),
  );

  test.serial(
    `[${label}] serial failover: a 503 from the first UAS, the failure route relays to the second`,
    (t) =>
      runScenario(t, lang, placement, {
        peers: [
          { name: 'uas-503', drainMs: 3000, expect: 'the refusing UAS got its ACK every time' },
          { name: 'uas-rr', drainMs: 6000, expect: 'the answering UAS completed every call' },
        ],
        initial: ([refusing]) =>
          lines(setRu(refusing!), {
            lua: `  KSR.tm.t_on_failure("failover")`,
            py: `    KSR.tm.t_on_failure("failover")`,
            js: `  KSR.tm.t_on_failure('failover');`,
          }),
        extra: ([, answering]) => ({
          lua: `
function failover()
  if KSR.tm.t_is_canceled() > 0 then return end
  if KSR.tm.t_check_status("503") > 0 and KSR.pv.get("$T_reply_code") == 503 then
    KSR.pv.sets("$ru", "${answering}")
    KSR.tm.t_relay()
  end
end
`,
          py: `
def failover():
    if KSR.tm.t_is_canceled() > 0:
        return
    if KSR.tm.t_check_status("503") > 0 and KSR.pv.get("$T_reply_code") == 503:
        KSR.pv.sets("$ru", "${answering}")
        KSR.tm.t_relay()
`,
          js: `
function failover() {
  if (KSR.tm.t_is_canceled() > 0) return;
  if (KSR.tm.t_check_status('503') > 0 && KSR.pv.get('$T_reply_code') === 503) {
    KSR.pv.sets('$ru', '${answering}');
    KSR.tm.t_relay();
  }
}
`,
        }),
        uac: 'uac-rr',
        calls: CALLS,
      }),
  );

  test.serial(`[${label}] 408 when the UAS never answers (t_set_fr 500 ms)`, (t) =>
    runScenario(t, lang, placement, {
      peers: [{ name: 'uas-silent' }],
      initial: ([silent]) =>
        lines(
          {
            lua: `  KSR.tm.t_set_fr(5000, 500)`,
            py: `    KSR.tm.t_set_fr(5000, 500)`,
            js: `  KSR.tm.t_set_fr(5000, 500);`,
          },
          setRu(silent!),
        ),
      uac: 'uac-408',
      calls: 5,
      check: (t, _app, durationMs) => {
        // 5 calls started over 0.5 s, each answered after the 500 ms fr timer, not fr's 30 s.
        t.true(durationMs < 5000, `took ${durationMs} ms`);
      },
    }),
  );

  test.serial(
    `[${label}] a request looping back to polysip is stopped by Max-Forwards with 483`,
    (t) =>
      runScenario(t, lang, placement, {
        peers: [],
        initial: () => ({
          lua: `  KSR.pv.sets("$du", "sip:127.0.0.1:" .. KSR.pv.get("$Rp"))`,
          py: `    KSR.pv.sets("$du", "sip:127.0.0.1:" + str(KSR.pv.get("$Rp")))`,
          js: `  KSR.pv.sets('$du', 'sip:127.0.0.1:' + KSR.pv.get('$Rp'));`,
        }),
        uac: 'uac-483',
        calls: 3,
        check: (t, app) => {
          t.true(app.server.transactions.size >= 3 * 60, 'one transaction per hop of each loop');
        },
      }),
  );
}
