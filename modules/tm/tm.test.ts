import test from 'ava';
import type { RouteContext } from '../../core/api/context.ts';
import type { SipMessage } from '../../core/sip/types.ts';
import { LAST_ERROR_KEY, type LastError } from '../sl/index.ts';
import { FakeNet, answer, request, startServer, until, type RouteFn } from './test-net.ts';
import {
  tBranchTimeout,
  tCheckStatus,
  tCheckTrans,
  tIsCanceled,
  tOn,
  tRelay,
  tSetFr,
  tGetStatusCode,
} from './tm.ts';
import { getPv } from '../pv/pvapi.ts';
import { module as tmx } from '../tmx/index.ts';
import { callKsr } from '../testkit.ts';
import { parseMessage } from '../../core/sip/parser.ts';
import type { ReceiveInfo } from '../../core/sip/types.ts';

const PEER_RCV: ReceiveInfo = {
  transport: 'udp',
  srcIp: '127.0.0.1',
  srcPort: 5099,
  dstIp: '127.0.0.1',
  dstPort: 5060,
  connectionId: null,
  receivedAt: 0,
};

const UAC = 5070;
const UAS1 = 5080;
const UAS2 = 5090;
const FAST = { t1: 10, t2: 40, t4: 50 };

interface Peer {
  got: SipMessage[];
  statuses(): number[];
  methods(): string[];
}

function record(net: FakeNet, port: number, onMsg?: (m: SipMessage) => void): Peer {
  const got: SipMessage[] = [];
  net.peer(port, (m) => {
    got.push(m);
    onMsg?.(m);
  });
  return {
    got,
    statuses: () => got.filter((m) => !m.isRequest).map((m) => m.status),
    methods: () => got.filter((m) => m.isRequest).map((m) => m.method),
  };
}

/** CANCEL, in-dialog and retransmission handling as Kamailio's default script does it. */
const relayRoute =
  (extra?: (ctx: RouteContext) => unknown): RouteFn =>
  async (ctx) => {
    if (ctx.msg.method === 'CANCEL') {
      if (tCheckTrans(ctx) > 0) await tRelay(ctx);
      return;
    }
    if (ctx.msg.method !== 'ACK' && tCheckTrans(ctx) === 0) return;
    await extra?.(ctx);
    if ((await tRelay(ctx)) < 0) {
      const e = ctx.ext.get(LAST_ERROR_KEY) as LastError | undefined;
      await ctx.core.sendReply(ctx, e?.status ?? 500, e?.reason ?? 'Server Internal Error');
    }
  };

const invite = (
  ruri = `sip:bob@127.0.0.1:${UAS1}`,
  extra: Partial<Parameters<typeof request>[0]> = {},
) => request({ method: 'INVITE', ruri, fromPort: UAC, ...extra });

test('INVITE is relayed statefully: provisional and 2xx upstream, retransmission absorbed', async (t) => {
  const net = new FakeNet();
  const server = startServer(net, { ksr_request_route: relayRoute() }, FAST);
  const uac = record(net, UAC);
  const uas = record(net, UAS1, (m) => {
    if (m.method === 'INVITE') {
      net.inject(answer(m, 180, 'Ringing'), UAS1);
      setTimeout(() => net.inject(answer(m, 200, 'OK'), UAS1), 30);
    }
  });
  const inv = invite();
  net.inject(inv, UAC);
  await until(() => uac.statuses().includes(180), 1000, '180');
  net.inject(inv, UAC); // retransmission while ringing: the 180 again, nothing downstream
  await until(() => uac.statuses().includes(200), 1000, '200');
  // The 180 normally comes within the Trying delay, so no 100 is needed (RFC 3261 §17.2.1);
  // a loaded machine may still see one first.
  t.deepEqual(
    uac.statuses().filter((s) => s !== 100),
    [180, 180, 200],
  );
  t.deepEqual(uas.methods(), ['INVITE']);
  const fwd = uas.got[0]!;
  t.is(fwd.vias().length, 2);
  t.true(fwd.topVia!.branch!.startsWith('z9hG4bKtm'));
  t.is(fwd.maxForwards, 69);
  const ok = uac.got.find((m) => m.status === 200)!;
  t.is(ok.vias().length, 1, 'our Via is removed from the response');
  server.stop();
});

test('a negative final is ACKed hop by hop and the upstream ACK is absorbed', async (t) => {
  const net = new FakeNet();
  const server = startServer(net, { ksr_request_route: relayRoute() }, FAST);
  const uac = record(net, UAC);
  const uas = record(net, UAS1, (m) => {
    if (m.method === 'INVITE') net.inject(answer(m, 486, 'Busy Here'), UAS1);
  });
  const branch = 'z9hG4bKneg1';
  net.inject(invite(undefined, { branch, callId: 'neg', fromTag: 'ft' }), UAC);
  await until(() => uac.statuses().includes(486), 1000, '486');
  await until(() => uas.methods().includes('ACK'), 1000, 'ACK to UAS');
  const ack = uas.got.find((m) => m.method === 'ACK')!;
  t.is(ack.topVia!.branch, uas.got[0]!.topVia!.branch, 'hop-by-hop ACK reuses the INVITE branch');
  t.is(ack.toTag, 'uas1');
  net.inject(
    request({
      method: 'ACK',
      ruri: `sip:bob@127.0.0.1:${UAS1}`,
      fromPort: UAC,
      branch,
      callId: 'neg',
      fromTag: 'ft',
      to: '<sip:bob@example.com>;tag=uas1',
    }),
    UAC,
  );
  await new Promise((r) => setTimeout(r, 30));
  t.deepEqual(uas.methods(), ['INVITE', 'ACK'], 'the upstream ACK does not travel further');
  server.stop();
});

test('CANCEL: 200 to the CANCEL, CANCEL downstream, 487 to the INVITE', async (t) => {
  const net = new FakeNet();
  const server = startServer(net, { ksr_request_route: relayRoute() }, FAST);
  const uac = record(net, UAC);
  const uas = record(net, UAS1, (m) => {
    if (m.method === 'INVITE') net.inject(answer(m, 180, 'Ringing'), UAS1);
    if (m.method === 'CANCEL') {
      net.inject(answer(m, 200, 'OK'), UAS1);
      const inv = uas.got.find((x) => x.method === 'INVITE')!;
      net.inject(answer(inv, 487, 'Request Terminated'), UAS1);
    }
  });
  const branch = 'z9hG4bKcan1';
  net.inject(invite(undefined, { branch, callId: 'can', fromTag: 'ft' }), UAC);
  await until(() => uac.statuses().includes(180), 1000, '180');
  net.inject(
    request({
      method: 'CANCEL',
      ruri: `sip:bob@127.0.0.1:${UAS1}`,
      fromPort: UAC,
      branch,
      callId: 'can',
      fromTag: 'ft',
    }),
    UAC,
  );
  await until(() => uac.statuses().includes(487), 1000, '487');
  const cancelOk = uac.got.find((m) => m.status === 200)!;
  t.is(cancelOk.cseq!.method, 'CANCEL');
  t.deepEqual(uas.methods(), ['INVITE', 'CANCEL', 'ACK']);
  t.is(uas.got[1]!.topVia!.branch, uas.got[0]!.topVia!.branch);
  server.stop();
});

test('parallel fork: the first 2xx wins and the other branch is cancelled', async (t) => {
  const net = new FakeNet();
  const server = startServer(
    net,
    {
      ksr_request_route: relayRoute((ctx) => {
        ctx.branches.push({
          uri: `sip:bob@127.0.0.1:${UAS2}`,
          dstUri: null,
          q: null,
          path: null,
          flags: 0,
          socket: null,
          instance: null,
          ruid: null,
        });
      }),
    },
    FAST,
  );
  const uac = record(net, UAC);
  const uas1 = record(net, UAS1, (m) => {
    if (m.method === 'INVITE') {
      net.inject(answer(m, 180, 'Ringing', 'a'), UAS1);
      setTimeout(() => net.inject(answer(m, 200, 'OK', 'a'), UAS1), 20);
    }
  });
  const uas2 = record(net, UAS2, (m) => {
    if (m.method === 'INVITE') net.inject(answer(m, 180, 'Ringing', 'b'), UAS2);
    if (m.method === 'CANCEL') {
      net.inject(answer(m, 200, 'OK', 'b'), UAS2);
      net.inject(answer(uas2.got[0]!, 487, 'Request Terminated', 'b'), UAS2);
    }
  });
  net.inject(invite(), UAC);
  await until(() => uas2.methods().includes('ACK'), 1000, 'the cancelled branch completes');
  t.deepEqual(uas2.methods(), ['INVITE', 'CANCEL', 'ACK']);
  t.regex(uas2.got[1]!.header('reason') ?? '', /cause=200/);
  t.deepEqual(uas1.methods(), ['INVITE']);
  const finals = uac.statuses().filter((s) => s >= 200);
  t.deepEqual(finals, [200], 'only the 2xx goes upstream');
  server.stop();
});

test('serial failover: a failure route relays to a second UAS after a 503', async (t) => {
  const net = new FakeNet();
  const seen: { code: unknown; canceled: number; status: number; check: number }[] = [];
  const server = startServer(
    net,
    {
      ksr_request_route: relayRoute((ctx) => tOn(ctx, 'failure_route', 'failover')),
      failover: async (ctx) => {
        seen.push({
          code: getPv(ctx, '$T_reply_code'),
          canceled: tIsCanceled(ctx),
          status: tGetStatusCode(ctx),
          check: tCheckStatus(ctx, '5[0-9][0-9]'),
        });
        ctx.msg.setRuri(`sip:bob@127.0.0.1:${UAS2}`);
        await tRelay(ctx);
      },
    },
    FAST,
  );
  const uac = record(net, UAC);
  record(net, UAS1, (m) => {
    if (m.method === 'INVITE') net.inject(answer(m, 503, 'Service Unavailable'), UAS1);
  });
  const uas2 = record(net, UAS2, (m) => {
    if (m.method === 'INVITE') net.inject(answer(m, 200, 'OK', 'b'), UAS2);
  });
  net.inject(invite(), UAC);
  await until(() => uac.statuses().includes(200), 1000, '200 from the second UAS');
  t.deepEqual(seen, [{ code: 503, canceled: -1, status: 503, check: 1 }]);
  t.deepEqual(uas2.methods(), ['INVITE']);
  t.deepEqual(
    uac.statuses().filter((s) => s >= 200),
    [200],
  );
  server.stop();
});

test('408 when the UAS never answers (short fr timer), seen as a branch timeout', async (t) => {
  const net = new FakeNet();
  let timeout = 0;
  const server = startServer(
    net,
    {
      ksr_request_route: relayRoute((ctx) => {
        tSetFr(ctx, 200, 60);
        tOn(ctx, 'failure_route', 'fail');
      }),
      fail: (ctx) => {
        timeout = tBranchTimeout(ctx);
      },
    },
    FAST,
  );
  const uac = record(net, UAC);
  const uas = record(net, UAS1);
  const started = Date.now();
  net.inject(invite(), UAC);
  await until(() => uac.statuses().includes(408), 2000, '408');
  t.true(Date.now() - started < 1000);
  t.is(timeout, 1);
  t.true(uas.methods().length >= 2, 'the INVITE was retransmitted over UDP (Timer A)');
  t.true(uas.methods().every((m) => m === 'INVITE'));
  server.stop();
});

test('transport error: t_relay fails and the script answers 503', async (t) => {
  const net = new FakeNet();
  net.refuse.add(`127.0.0.1:${UAS1}`);
  const server = startServer(net, { ksr_request_route: relayRoute() }, FAST);
  const uac = record(net, UAC);
  net.inject(invite(), UAC);
  await until(() => uac.statuses().includes(503), 1000, '503');
  t.deepEqual(
    uac.statuses().filter((s) => s !== 100),
    [503],
  );
  await until(() => server.transactions.size === 0, 1000, 'the transaction is gone');
  server.stop();
});

test('best response: challenges are aggregated, 4xx beats 5xx', async (t) => {
  const net = new FakeNet();
  const server = startServer(
    net,
    {
      ksr_request_route: relayRoute((ctx) => {
        ctx.branches.push({
          uri: `sip:bob@127.0.0.1:${UAS2}`,
          dstUri: null,
          q: null,
          path: null,
          flags: 0,
          socket: null,
          instance: null,
          ruid: null,
        });
      }),
    },
    FAST,
  );
  const uac = record(net, UAC);
  record(net, UAS1, (m) => {
    if (m.method !== 'INVITE') return;
    const r = answer(m, 401, 'Unauthorized', 'a').toString('latin1');
    net.inject(
      r.replace('Content-Length', 'WWW-Authenticate: Digest realm="a"\r\nContent-Length'),
      UAS1,
    );
  });
  record(net, UAS2, (m) => {
    if (m.method !== 'INVITE') return;
    const r = answer(m, 407, 'Proxy Authentication Required', 'b').toString('latin1');
    net.inject(
      r.replace('Content-Length', 'Proxy-Authenticate: Digest realm="b"\r\nContent-Length'),
      UAS2,
    );
  });
  net.inject(invite(), UAC);
  await until(() => uac.statuses().some((s) => s >= 400), 1000, 'final');
  const fin = uac.got.find((m) => m.status >= 400)!;
  t.is(fin.status, 401);
  t.is(fin.header('www-authenticate'), 'Digest realm="a"');
  t.is(fin.header('proxy-authenticate'), 'Digest realm="b"');
  server.stop();
});

test('a 6xx cancels the other branches and wins', async (t) => {
  const net = new FakeNet();
  const server = startServer(
    net,
    {
      ksr_request_route: relayRoute((ctx) => {
        ctx.branches.push({
          uri: `sip:bob@127.0.0.1:${UAS2}`,
          dstUri: null,
          q: null,
          path: null,
          flags: 0,
          socket: null,
          instance: null,
          ruid: null,
        });
      }),
    },
    FAST,
  );
  const uac = record(net, UAC);
  record(net, UAS1, (m) => {
    if (m.method === 'INVITE')
      setTimeout(() => net.inject(answer(m, 603, 'Decline', 'a'), UAS1), 10);
  });
  const uas2 = record(net, UAS2, (m) => {
    if (m.method === 'INVITE') net.inject(answer(m, 180, 'Ringing', 'b'), UAS2);
    if (m.method === 'CANCEL') {
      net.inject(answer(m, 200, 'OK', 'b'), UAS2);
      net.inject(answer(uas2.got[0]!, 487, 'Request Terminated', 'b'), UAS2);
    }
  });
  net.inject(invite(), UAC);
  await until(() => uac.statuses().some((s) => s >= 300), 1000, 'final');
  t.deepEqual(
    uac.statuses().filter((s) => s >= 300),
    [603],
  );
  await until(() => uas2.methods().includes('CANCEL'), 1000, 'CANCEL');
  server.stop();
});

test('non-INVITE: relayed, final retransmitted on request retransmission, no 100', async (t) => {
  const net = new FakeNet();
  const server = startServer(net, { ksr_request_route: relayRoute() }, FAST);
  const uac = record(net, UAC);
  const uas = record(net, UAS1, (m) => {
    if (m.method === 'MESSAGE') net.inject(answer(m, 202, 'Accepted'), UAS1);
  });
  const msg = request({ method: 'MESSAGE', ruri: `sip:bob@127.0.0.1:${UAS1}`, fromPort: UAC });
  net.inject(msg, UAC);
  await until(() => uac.statuses().includes(202), 1000, '202');
  net.inject(msg, UAC);
  await until(() => uac.statuses().length === 2, 1000, 'the 202 again');
  t.deepEqual(uac.statuses(), [202, 202]);
  t.deepEqual(uas.methods(), ['MESSAGE']);
  server.stop();
});

test('onreply route sees replies and can drop a provisional one; branch route edits a branch', async (t) => {
  const net = new FakeNet();
  const codes: unknown[] = [];
  const server = startServer(
    net,
    {
      ksr_request_route: relayRoute((ctx) => {
        tOn(ctx, 'onreply_route', 'onreply');
        tOn(ctx, 'branch_route', 'branch');
      }),
      onreply: (ctx) => {
        codes.push(getPv(ctx, '$T_reply_code'));
        if (ctx.msg.status === 183) ctx.dropped = true;
      },
      branch: (ctx) => {
        ctx.msg.appendHeader('X-Branch', String(getPv(ctx, '$T_branch_idx')));
      },
    },
    FAST,
  );
  const uac = record(net, UAC);
  const uas = record(net, UAS1, (m) => {
    if (m.method === 'INVITE') {
      net.inject(answer(m, 183, 'Session Progress'), UAS1);
      setTimeout(() => net.inject(answer(m, 200, 'OK'), UAS1), 10);
    }
  });
  net.inject(invite(), UAC);
  await until(() => uac.statuses().includes(200), 1000, '200');
  t.deepEqual(codes, [183, 200]);
  t.deepEqual(
    uac.statuses().filter((s) => s !== 100),
    [200],
    'the 183 was dropped',
  );
  t.is(uas.got[0]!.header('x-branch'), '0');
  server.stop();
});

test('a lost INVITE is retransmitted (Timer A) and the call completes', async (t) => {
  const net = new FakeNet();
  let lostOnce = false;
  net.lose = (data, to) => {
    if (lostOnce || to.port !== UAS1 || !data.toString('latin1').startsWith('INVITE')) return false;
    lostOnce = true;
    return true;
  };
  const server = startServer(net, { ksr_request_route: relayRoute() }, FAST);
  const uac = record(net, UAC);
  const uas = record(net, UAS1, (m) => {
    if (m.method === 'INVITE') net.inject(answer(m, 200, 'OK'), UAS1);
  });
  net.inject(invite(), UAC);
  await until(() => uac.statuses().includes(200), 1000, '200');
  t.true(lostOnce);
  t.deepEqual(uas.methods(), ['INVITE']);
  server.stop();
});

test('t_suspend / t_continue: the transaction resumes in a named function', async (t) => {
  const net = new FakeNet();
  const ids: (string | number | null)[] = [];
  let continued: RouteContext | null = null;
  const server = startServer(
    net,
    {
      ksr_request_route: async (ctx) => {
        if (tCheckTrans(ctx) === 0) return;
        t.is(await callKsr(tmx, 't_suspend', ctx), 1);
        ids.push(getPv(ctx, '$T(id_index)'), getPv(ctx, '$T(id_label)'));
      },
      resume: async (ctx) => {
        continued = ctx;
        t.is(await callKsr(tmx, 't_is_failure_route', ctx), 1);
        await tRelay(ctx);
      },
    },
    FAST,
  );
  const uac = record(net, UAC);
  record(net, UAS1, (m) => {
    if (m.method === 'INVITE') net.inject(answer(m, 200, 'OK'), UAS1);
  });
  net.inject(invite(), UAC);
  await until(() => ids.length === 2, 1000, 'suspended');
  await until(() => uac.statuses().length > 0, 1000, 'the delayed 100 Trying');
  t.deepEqual(uac.statuses(), [100], 'nothing answered within the Trying delay: 100 goes out');
  const [index, label] = ids as [number, number];
  const other = server.newContext(
    parseMessage(Buffer.from(invite(), 'latin1')),
    PEER_RCV,
    'request',
  );
  t.is(await callKsr(tmx, 't_continue', other, index, label + 1, 'resume'), -1, 'wrong label');
  t.is(await callKsr(tmx, 't_continue', other, index, label, 'resume'), 1);
  await until(() => uac.statuses().includes(200), 1000, '200');
  t.truthy(continued);
  server.stop();
});
