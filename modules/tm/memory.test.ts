/**
 * Every transaction and timer is released: 20,000 complete calls (INVITE/180/200/ACK/BYE/200)
 * through the stateful proxy in process, with short timers; afterwards the transaction tables
 * and the timer heap are empty and the heap is back near where it started.
 */
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

test('20,000 calls leave no transaction, no timer and no heap growth behind', async (t) => {
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
