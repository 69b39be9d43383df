/**
 * Every transaction and timer is released: 20,000 complete calls (INVITE/180/200/ACK/BYE/200)
 * through the stateful proxy in process, with short timers; afterwards the transaction tables
 * and the timer heap are empty and the heap is back near where it started.
 *
 * And while transactions sit in their RFC 3261 wait states (Timer L/J, 32 s with the default
 * T1), they hold neither the route's context nor any parsed request or reply: the heap per
 * waiting call stays small, and the wait states still do their job (a retransmitted BYE is
 * answered again, a retransmitted INVITE absorbed).
 */
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RouteContext } from '../../core/api/context.ts';
import { ProxyTransaction } from '../../core/proxy/stateful.ts';
import { parseMessage } from '../../core/sip/parser.ts';
import type { SipMessage } from '../../core/sip/types.ts';
import { FakeNet, answer, request, startServer, until } from './test-net.ts';
import { tCheckTrans, tRelay } from './tm.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const UAC = 5070;
const UAS = 5080;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

test.serial('20,000 calls leave no transaction, no timer and no heap growth behind', async (t) => {
  const net = new FakeNet();
  const server = startServer(
    net,
    {
      ksr_request_route: async (ctx) => {
        if (ctx.msg.method !== 'ACK' && tCheckTrans(ctx) === 0) return;
        await tRelay(ctx);
      },
    },
    { t1: 2, t2: 16, t4: 20 },
  );
  let done = 0;
  const byCall = new Map<string, SipMessage>();
  net.peer(UAS, (m) => {
    if (m.method === 'INVITE') {
      net.inject(answer(m, 180, 'Ringing'), UAS);
      net.inject(answer(m, 200, 'OK'), UAS);
    } else if (m.method === 'BYE') {
      net.inject(answer(m, 200, 'OK'), UAS);
    }
  });
  net.peer(UAC, (m) => {
    if (m.isRequest || m.status < 200) return;
    const callId = m.callId!;
    if (m.cseq!.method === 'INVITE') {
      if (byCall.has(callId)) return; // a retransmitted 2xx
      byCall.set(callId, m);
      const to = m.header('to')!;
      const ruri = `sip:bob@127.0.0.1:${UAS}`;
      const fromTag = m.fromTag!;
      net.inject(request({ method: 'ACK', ruri, fromPort: UAC, callId, fromTag, to }), UAC);
      net.inject(
        request({ method: 'BYE', ruri, fromPort: UAC, callId, fromTag, to, cseq: 2 }),
        UAC,
      );
    } else if (m.cseq!.method === 'BYE') {
      byCall.delete(callId);
      done++;
    }
  });

  const layer = server.transactionLayer;
  const runCalls = async (n: number, batch: number): Promise<void> => {
    const target = done + n;
    for (let i = 0; i < n; i += batch) {
      for (let j = 0; j < batch && i + j < n; j++) {
        net.inject(
          request({ method: 'INVITE', ruri: `sip:bob@127.0.0.1:${UAS}`, fromPort: UAC }),
          UAC,
        );
      }
      await until(
        () => done >= Math.min(target, target - n + i + batch),
        10000,
        'a batch of calls',
      );
    }
    await until(
      () => {
        const s = layer.stats();
        return (
          s.servers === 0 && s.clients === 0 && s.timers === 0 && server.transactions.size === 0
        );
      },
      10000,
      'every transaction released',
    );
  };

  await runCalls(2000, 500); // warm-up: JIT, pools, caches
  const before = heapMb();
  const started = Date.now();
  await runCalls(20000, 500);
  const elapsed = Date.now() - started;
  const after = heapMb();
  t.is(done, 22000);
  t.deepEqual(layer.stats(), { servers: 0, clients: 0, timers: 0 });
  t.is(server.transactions.size, 0);
  t.log(
    `20,000 calls in ${elapsed} ms (${Math.round(20000 / (elapsed / 1000))} calls/s); heap ${before.toFixed(1)} MB -> ${after.toFixed(1)} MB`,
  );
  t.true(after - before < 4, `heap grew by ${(after - before).toFixed(1)} MB`);
  server.stop();
});

test.serial('calls in their wait states keep no route context and no parsed message', async (t) => {
  const net = new FakeNet();
  const RURI = `sip:bob@127.0.0.1:${UAS}`;
  // The first INVITE's route: its context and message must become unreachable.
  let probe: { ctx: WeakRef<RouteContext>; msg: WeakRef<SipMessage> } | null = null;
  const server = startServer(net, {
    ksr_request_route: async (ctx) => {
      if (ctx.msg.method !== 'ACK' && tCheckTrans(ctx) === 0) return;
      if (ctx.msg.method === 'INVITE' && probe === null) {
        probe = { ctx: new WeakRef(ctx), msg: new WeakRef(ctx.msg) };
      }
      await tRelay(ctx);
    },
  }); // default timers: T1 500 ms, so every transaction below waits 32 s after its final
  let invites = 0;
  net.peer(UAS, (m) => {
    if (m.method === 'INVITE') {
      invites++;
      net.inject(answer(m, 180, 'Ringing'), UAS);
      net.inject(answer(m, 200, 'OK'), UAS);
    } else if (m.method === 'BYE') {
      net.inject(answer(m, 200, 'OK'), UAS);
    }
  });
  let done = 0;
  let byeOks = 0;
  const answered = new Set<string>();
  net.peer(UAC, (m) => {
    if (m.isRequest || m.status < 200) return;
    const callId = m.callId!;
    if (m.cseq!.method === 'INVITE') {
      if (answered.has(callId)) return;
      answered.add(callId);
      const to = m.header('to')!;
      const fromTag = m.fromTag!;
      net.inject(request({ method: 'ACK', ruri: RURI, fromPort: UAC, callId, fromTag, to }), UAC);
      net.inject(
        request({ method: 'BYE', ruri: RURI, fromPort: UAC, callId, fromTag, to, cseq: 2 }),
        UAC,
      );
    } else if (m.cseq!.method === 'BYE') {
      byeOks++;
      done++;
    }
  });
  // Keeps the probe call's requests to retransmit them later.
  const sentBye = new Map<string, string>();
  const origInject = net.inject.bind(net);
  net.inject = (data, fromPort, transport) => {
    if (typeof data === 'string' && data.startsWith('BYE ') && sentBye.size === 0) {
      sentBye.set('bye', data);
    }
    origInject(data, fromPort, transport);
  };

  const runCalls = async (n: number): Promise<void> => {
    const target = done + n;
    for (let i = 0; i < n; i += 250) {
      const batchEnd = Math.min(target, done + 250);
      for (let j = 0; j < 250 && i + j < n; j++) {
        net.inject(request({ method: 'INVITE', ruri: RURI, fromPort: UAC }), UAC);
      }
      await until(() => done >= batchEnd, 10000, 'a batch of calls');
    }
    await until(() => done >= target, 10000, 'every call');
  };

  const probeInvite = request({ method: 'INVITE', ruri: RURI, fromPort: UAC });
  net.inject(probeInvite, UAC);
  await until(() => done === 1, 5000, 'the probe call');
  await runCalls(300); // warm-up
  const layer = server.transactionLayer;
  const waitingBefore = layer.stats().servers;
  const before = heapMb();
  const N = 2000;
  await runCalls(N);
  const after = heapMb();
  const waiting = layer.stats().servers - waitingBefore;
  // Every call's INVITE and BYE transaction is still there, in its wait state.
  t.is(waiting, 2 * N);
  const perCall = ((after - before) * 1048576) / N;
  t.log(
    `${N} calls waiting (${waiting} server transactions): heap ${before.toFixed(1)} -> ${after.toFixed(1)} MB, ${(perCall / 1024).toFixed(1)} KiB per call, ${(perCall / 2048).toFixed(1)} KiB per transaction`,
  );
  // Before the wait states dropped their parsed messages this was ~23 KiB per call.
  t.true(perCall < 10 * 1024, `${(perCall / 1024).toFixed(1)} KiB per waiting call`);

  // The probe call: the route's context and request are gone, the transaction is not.
  t.truthy(probe, 'the probe route ran');
  t.is(probe!.ctx.deref(), undefined, 'the request route context is unreachable');
  t.is(probe!.msg.deref(), undefined, 'the parsed request is unreachable');
  const inv = layer.findServer(parseMessage(Buffer.from(probeInvite, 'latin1')));
  t.truthy(inv);
  t.is(inv!.state, 'accepted');
  t.is(inv!.request, null);
  const txn = inv!.owner;
  t.true(txn instanceof ProxyTransaction);
  const ptx = txn as ProxyTransaction;
  t.is(ptx.branches.length, 1);
  t.is(ptx.branches[0]!.request, null, 'the branch request went with its final');
  t.is(ptx.branches[0]!.ct!.state, 'accepted');
  // Still there for a late $T_req / $T_rpl: parsed again on demand.
  t.is(ptx.request.callId, parseMessage(Buffer.from(probeInvite, 'latin1')).callId);
  t.is(ptx.branches[0]!.reply?.status, 200);
  t.is(ptx.replyCode, 200);

  // RFC 3261 wait states still work: a retransmitted INVITE is absorbed (RFC 6026 Accepted),
  // a retransmitted BYE gets the 200 again from Timer J's state.
  const invitesBefore = invites;
  const oksBefore = byeOks;
  net.inject(probeInvite, UAC);
  net.inject(sentBye.get('bye')!, UAC);
  await until(() => byeOks === oksBefore + 1, 2000, 'the 200 to the retransmitted BYE');
  await new Promise((r) => setTimeout(r, 20));
  t.is(invites, invitesBefore, 'the retransmitted INVITE was absorbed');
  server.stop();
});
