/**
 * Topology hiding end to end: a sipp caller on 127.0.0.2 → polysip with topoh on 127.0.0.1 →
 * a sipp callee on 127.0.0.3, which records every message it receives (-trace_msg). Nothing
 * the callee receives may name the caller's address, and the in-dialog requests (ACK, BYE in
 * both directions) must still find their way through the sealed Contact and Route. The
 * caller, likewise, never sees the callee's address.
 *
 * bin/app.ts does not know topoh yet, so the server is composed here from the same pieces
 * startPolysip uses (buildRegistry, loadScript, SipTransportLayer, SipServer), with topoh's
 * hooks passed as the SipServer's `messageHooks`. A run without topoh shows the assertion can
 * fail: there the caller's address reaches the callee.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildRegistry, loadScript } from '../../bin/app.ts';
import type { MessageHooks } from '../../core/api/context.ts';
import { SipServer } from '../../core/server.ts';
import { SipTransportLayer, parseListenSpec } from '../../core/transport/index.ts';
import { createTopohModule } from '../../modules/topoh/index.ts';
import { runSipp, startSippUas } from '../kit/sipp.ts';

const CALLER_IP = '127.0.0.2';
const CALLEE_IP = '127.0.0.3';
const MASK_IP = '127.0.0.8';
const scenario = (name: string): string =>
  fileURLToPath(new URL(`./scenarios/topoh/${name}`, import.meta.url));

/** The messages sipp's -trace_msg file says it received, one string each. */
function receivedMessages(file: string): string[] {
  const text = readFileSync(file, 'latin1');
  return text
    .split(/^-{20,}.*$/m)
    .filter((block) => /message received/.test(block))
    .map((block) => block.replace(/^[\s\S]*?message received[^\n]*\n/, '').trim());
}

async function proxy(hooks: MessageHooks | undefined) {
  const topoh = createTopohModule({ mask_key: 'interop', mask_ip: MASK_IP, mask_callid: 1 });
  const registry = buildRegistry();
  registry.defineAll(topoh.module.exports);
  const script = await loadScript(scenario('proxy.lua'), registry, undefined, 1);
  const transport = new SipTransportLayer({ allowDestinations: ['127.0.0.0/8'] });
  const server = new SipServer({
    transport,
    log: pino({ level: 'warn' }),
    script: () => script,
    ...(hooks ? { messageHooks: hooks } : {}),
  });
  const listener = await transport.listen(parseListenSpec('udp:127.0.0.1:0'));
  return {
    port: listener.port,
    async stop() {
      server.stop();
      await transport.close();
      script.dispose();
    },
  };
}

interface CallResult {
  readonly atCallee: string[];
  readonly atCaller: string[];
  readonly uacOk: boolean;
  readonly uacLog: string;
  readonly uasSuccessful: number;
}

async function call(opts: { topoh: boolean; calleeHangsUp: boolean }): Promise<CallResult> {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-topoh-'));
  const traceFile = join(dir, 'callee-messages.log');
  const callerTrace = join(dir, 'caller-messages.log');
  const hooks = opts.topoh
    ? createTopohModule({ mask_key: 'interop', mask_ip: MASK_IP, mask_callid: 1 }).hooks
    : undefined;
  const p = await proxy(hooks);
  const uas = await startSippUas({
    scenario: scenario(opts.calleeHangsUp ? 'uas-bye.xml' : 'uas.xml'),
    localIp: CALLEE_IP,
    timeoutSec: 30,
    extraArgs: ['-trace_msg', '-message_file', traceFile, '-m', '1'],
  });
  try {
    const uac = await runSipp({
      scenario: scenario(opts.calleeHangsUp ? 'uac-wait.xml' : 'uac.xml'),
      remote: `127.0.0.1:${p.port}`,
      localIp: CALLER_IP,
      calls: 1,
      timeoutSec: 20,
      extraArgs: [
        '-key',
        'callee',
        `${CALLEE_IP}:${uas.port}`,
        '-trace_msg',
        '-message_file',
        callerTrace,
      ],
    });
    const uasResult = await uas.stop({ drainMs: 5000 });
    return {
      atCallee: receivedMessages(traceFile),
      atCaller: receivedMessages(callerTrace),
      uacOk: uac.successful === 1 && uac.failed === 0,
      uacLog: uac.stdout.slice(-2000) + uac.stderr.slice(-2000),
      uasSuccessful: Number(uasResult.stats['SuccessfulCall(C)'] ?? 0),
    };
  } finally {
    await uas.stop();
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const calleeHangsUp of [false, true]) {
  test.serial(
    `topoh: the callee never sees the caller's address; BYE from the ${calleeHangsUp ? 'callee' : 'caller'} routes`,
    async (t) => {
      const r = await call({ topoh: true, calleeHangsUp });
      t.true(r.uacOk, r.uacLog);
      t.is(r.uasSuccessful, 1);
      const methods = r.atCallee.map((m) => m.split(' ', 1)[0]);
      t.deepEqual(
        methods,
        calleeHangsUp ? ['INVITE', 'ACK', 'SIP/2.0'] : ['INVITE', 'ACK', 'BYE'],
        r.atCallee.join('\n----\n'),
      );
      for (const m of r.atCallee) t.false(m.includes(CALLER_IP), m);
      // And the other way round: the caller never sees the callee's address.
      t.true(r.atCaller.length >= 2);
      for (const m of r.atCaller) t.false(m.includes(CALLEE_IP), m);
      const invite = r.atCallee[0]!;
      t.regex(invite, /^Via: SIP\/2\.0\/UDP 127\.0\.0\.8;branch=z9hG4bKcydzigwkX/m);
      t.regex(invite, /^Contact: <sip:127\.0\.0\.8;line=sr-[A-Za-z0-9_-]+;?[^>]*>/m);
      t.regex(invite, /^Call-ID: !!:/m);
    },
  );
}

test.serial('without topoh the same call shows the caller to the callee (control)', async (t) => {
  const r = await call({ topoh: false, calleeHangsUp: false });
  t.true(r.uacOk, r.uacLog);
  t.true(r.atCallee.length >= 3);
  t.true(
    r.atCallee.some((m) => m.includes(CALLER_IP)),
    r.atCallee.join('\n----\n'),
  );
});
