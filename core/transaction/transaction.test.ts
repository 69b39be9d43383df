import test from 'ava';
import { parseMessage } from '../sip/parser.ts';
import { buildResponse } from '../sip/build.ts';
import type { ReceiveInfo, SipMessage } from '../sip/types.ts';
import type { SendTarget } from '../transport/types.ts';
import type { ClientTransaction, ClientTxUser } from './client-tx.ts';
import { TransactionLayer } from './layer.ts';
import { TimerHeap, TimerNode } from './timers.ts';

const T1 = 10;

function sip(text: string): SipMessage {
  return parseMessage(Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1'));
}

function req(method: string, branch: string | null, extra = ''): SipMessage {
  return sip(`${method} sip:bob@127.0.0.1:5080 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070${branch === null ? '' : `;branch=${branch}`}
From: <sip:alice@example.com>;tag=ft
To: <sip:bob@example.com>${extra}
Call-ID: call-1
CSeq: 1 ${method}
Max-Forwards: 70
Content-Length: 0

`);
}

const RCV: ReceiveInfo = {
  transport: 'udp',
  srcIp: '127.0.0.1',
  srcPort: 5070,
  dstIp: '127.0.0.1',
  dstPort: 5060,
  connectionId: null,
  receivedAt: 0,
};

function layer(): { layer: TransactionLayer; sent: { to: SendTarget; text: string }[] } {
  const sent: { to: SendTarget; text: string }[] = [];
  const l = new TransactionLayer({
    transport: {
      send: async (to, data) => {
        sent.push({ to, text: data.toString('latin1') });
      },
    },
    timers: { t1: T1, t2: 40, t4: 50 },
  });
  return { layer: l, sent };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds (bounded), so timing tests survive a loaded machine. */
async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(2);
  return cond();
}

test('timer heap fires in deadline order, cancelled timers never fire', async (t) => {
  const heap = new TimerHeap();
  const fired: number[] = [];
  const target = { onTimer: (k: number) => fired.push(k) };
  // Gaps of tens of ms so a GC pause between two schedule() calls cannot reorder them.
  const nodes = [120, 20, 70, 5].map((ms, i) => {
    const n = new TimerNode(target, i);
    heap.schedule(n, ms);
    return n;
  });
  heap.cancel(nodes[2]!);
  t.is(heap.size, 3);
  heap.schedule(nodes[3]!, 60); // rescheduled later
  await until(() => fired.length === 3);
  await sleep(30);
  t.deepEqual(fired, [1, 3, 0]);
  t.is(heap.size, 0);
  t.false(nodes[0]!.scheduled);
});

test('server INVITE: a non-2xx final is retransmitted (Timer G) until the ACK, which is absorbed', async (t) => {
  const { layer: l, sent } = layer();
  const inv = req('INVITE', 'z9hG4bKs1');
  const st = l.createServer(inv, RCV)!;
  t.is(l.findServer(req('INVITE', 'z9hG4bKs1')), st, 'a retransmission matches');
  t.true(st.reply(486, 'Busy Here'));
  t.false(st.reply(500, 'Late'), 'one final only');
  const finals = () => sent.filter((s) => s.text.startsWith('SIP/2.0 486'));
  t.true(await until(() => finals().length >= 3), `486 sent ${finals().length} times`);
  t.deepEqual(finals()[0]!.to, { transport: 'udp', host: '127.0.0.1', port: 5070 });
  const ack = req('ACK', 'z9hG4bKs1', ';tag=x');
  t.is(l.findServer(ack), st);
  t.is(st.onRequest(ack), 'absorbed');
  t.is(st.state, 'confirmed');
  const n = sent.length;
  await sleep(T1 * 3);
  t.is(sent.length, n, 'no retransmission after the ACK');
  t.true(await until(() => st.state === 'terminated'), 'Timer I ended it');
  t.deepEqual(l.stats(), { servers: 0, clients: 0, timers: 0 });
});

test('server INVITE: 2xx enters Accepted (RFC 6026), the ACK to it goes to the TU', async (t) => {
  const { layer: l } = layer();
  const st = l.createServer(req('INVITE', 'z9hG4bKs2'), RCV)!;
  const ok = buildResponse(st.request!, 200, 'OK', { toTag: 'u' }).serialize();
  t.true(st.send(200, ok));
  t.is(st.state, 'accepted');
  t.true(st.send(200, ok), 'a further 2xx passes through');
  t.is(st.onRequest(req('ACK', 'z9hG4bKs2', ';tag=u')), 'ack-2xx');
  t.true(await until(() => st.state === 'terminated'), 'Timer L');
});

test('CANCEL finds its INVITE; RFC 2543 requests match without a magic cookie', (t) => {
  const { layer: l } = layer();
  const st = l.createServer(req('INVITE', 'z9hG4bKs3'), RCV)!;
  t.is(l.findInviteForCancel(req('CANCEL', 'z9hG4bKs3')), st);
  t.is(l.findServer(req('CANCEL', 'z9hG4bKs3')), null, 'the CANCEL is a transaction of its own');
  const old = l.createServer(req('INVITE', null), RCV)!;
  t.is(l.findServer(req('INVITE', null)), old);
  t.is(l.findServer(req('ACK', null, ';tag=x')), old);
  t.not(old, st);
  l.close();
});

test('server non-INVITE: final re-sent on retransmission, Timer J ends it', async (t) => {
  const { layer: l, sent } = layer();
  const st = l.createServer(req('OPTIONS', 'z9hG4bKs4'), RCV)!;
  t.is(st.onRequest(req('OPTIONS', 'z9hG4bKs4')), 'absorbed');
  t.is(sent.length, 0, 'nothing to re-send in Trying');
  st.reply(200, 'OK');
  st.onRequest(req('OPTIONS', 'z9hG4bKs4'));
  await sleep(1);
  t.is(sent.length, 2);
  t.true(await until(() => st.state === 'terminated'));
});

function recorder(): ClientTxUser & { statuses: number[]; timeouts: boolean[] } {
  const statuses: number[] = [];
  const timeouts: boolean[] = [];
  return {
    statuses,
    timeouts,
    clientResponse: (_ct: ClientTransaction, m: SipMessage) => statuses.push(m.status),
    clientTimeout: (_ct: ClientTransaction, p: boolean) => timeouts.push(p),
    clientTransportError: () => {},
  };
}

const TARGET: SendTarget = { transport: 'udp', host: '127.0.0.1', port: 5080 };

test('client INVITE: Timer A retransmits, a non-2xx is ACKed (again on its retransmission) and reported once', async (t) => {
  const { layer: l, sent } = layer();
  const user = recorder();
  const inv = req('INVITE', 'z9hG4bKc1');
  const ct = l.createClient(inv, 'z9hG4bKc1', TARGET, user, { fr: 1000, frInv: 1000 });
  await ct.start();
  t.true(await until(() => sent.filter((s) => s.text.startsWith('INVITE')).length >= 2));
  const busy = buildResponse(inv, 486, 'Busy Here', { toTag: 'u' });
  t.is(l.findClient(busy), ct);
  ct.receive(busy, RCV);
  ct.receive(busy, RCV);
  await sleep(1);
  t.deepEqual(user.statuses, [486]);
  const acks = sent.filter((s) => s.text.startsWith('ACK'));
  t.is(acks.length, 2);
  t.regex(acks[0]!.text, /Via: SIP\/2\.0\/UDP 127\.0\.0\.1:5070;branch=z9hG4bKc1\r\n/);
  t.regex(acks[0]!.text, /To: <sip:bob@example\.com>;tag=u\r\n/);
  t.regex(acks[0]!.text, /CSeq: 1 ACK\r\n/);
  const n = sent.length;
  await sleep(T1 * 4);
  t.is(sent.length, n, 'Timer A stopped');
  t.true(await until(() => ct.state === 'terminated'), 'Timer D');
  t.deepEqual(l.stats(), { servers: 0, clients: 0, timers: 0 });
});

test('client INVITE: fr fires without a reply (408 to the TU), fr_inv after a provisional', async (t) => {
  const { layer: l } = layer();
  const user = recorder();
  const a = l.createClient(req('INVITE', 'z9hG4bKc2'), 'z9hG4bKc2', TARGET, user, {
    fr: 30,
    frInv: 80,
  });
  await a.start();
  t.true(await until(() => user.timeouts.length === 1));
  t.deepEqual(user.timeouts, [false]);
  t.is(a.state, 'terminated');
  const inv = req('INVITE', 'z9hG4bKc3');
  const b = l.createClient(inv, 'z9hG4bKc3', TARGET, user, { fr: 30, frInv: 80 });
  await b.start();
  b.receive(buildResponse(inv, 180, 'Ringing', { toTag: 'u' }), RCV);
  await sleep(45);
  t.deepEqual(user.timeouts, [false], 'fr_inv, not fr, after the 180');
  t.true(await until(() => user.timeouts.length === 2));
  t.deepEqual(user.timeouts, [false, true]);
  t.is(b.state, 'proceeding', 'kept to absorb the final after the CANCEL');
  l.close();
});

test('client non-INVITE: 2xx completes, Timer K ends it', async (t) => {
  const { layer: l } = layer();
  const user = recorder();
  const m = req('MESSAGE', 'z9hG4bKc4');
  const ct = l.createClient(m, 'z9hG4bKc4', TARGET, user, { fr: 500, frInv: 500 });
  await ct.start();
  ct.receive(buildResponse(m, 200, 'OK', { toTag: 'u' }), RCV);
  t.is(ct.state, 'completed');
  t.deepEqual(user.statuses, [200]);
  t.true(await until(() => ct.state === 'terminated'));
  t.deepEqual(l.stats(), { servers: 0, clients: 0, timers: 0 });
});
