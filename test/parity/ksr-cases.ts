/**
 * KSR functions driven from a script through real SIP on 127.0.0.1: a test UA sends a request
 * naming a case (test/ksr/cases.{lua,py,js}), and the test asserts the reply bytes or the bytes
 * forwarded to a peer. Written once, run against each language: the reply reasons must be
 * byte-identical, as the ports format values the way Lua's tostring does.
 */
import type { TestFn } from 'ava';
import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../../bin/app.ts';
import { ksrScript, type ParityRun } from './langs.ts';

interface Sent {
  callId: string;
  replies: string[];
  forwarded: string[];
}

interface RequestOptions {
  method?: string;
  ruri?: string;
  headers?: string[];
  body?: string;
  maxForwards?: number;
}

/**
 * Registers the KSR case tests for one language in one placement; titles are prefixed with
 * `[label]` (see ParityRun).
 */
export function defineKsrCases(test: TestFn, run: ParityRun): void {
  const { lang, placement, label } = run;
  const script = ksrScript('cases', lang);
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });

  let app: Polysip | undefined;
  let port = 0;
  let ua: Socket | undefined;
  let peer: Socket | undefined;
  let peerPort = 0;
  let uaPort = 0;
  const uaInbox: Buffer[] = [];
  const peerInbox: Buffer[] = [];
  let seq = 0;

  test.before(async () => {
    app = await startPolysip({
      listen: ['udp:127.0.0.1:0'],
      aliases: ['example.org'],
      script,
      placement,
      allowDestinations: ['127.0.0.0/8'],
      limits: { cpuMs: 50 },
      log: pino({ level: 'debug' }, sink),
    });
    port = app.listeners[0]!.port;
    const u = createSocket('udp4');
    const p = createSocket('udp4');
    ua = u;
    peer = p;
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => p.bind(0, '127.0.0.1', r));
    uaPort = u.address().port;
    peerPort = p.address().port;
    u.on('message', (m) => uaInbox.push(m));
    p.on('message', (m) => peerInbox.push(m));
  });

  test.after.always(async () => {
    ua?.close();
    peer?.close();
    await app?.stop();
  });

  function buildRequest(caseName: string, opts: RequestOptions): { text: string; callId: string } {
    const method = opts.method ?? 'INVITE';
    const callId = `case-${label}-${caseName}-${++seq}@127.0.0.1`;
    const body = opts.body ?? '';
    const lines = [
      `${method} ${opts.ruri ?? `sip:alice@127.0.0.1:${port}`} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uaPort};branch=z9hG4bK-${label}-${seq}-x;rport`,
      `Max-Forwards: ${opts.maxForwards ?? 70}`,
      `From: "Tester" <sip:tester@example.org>;tag=ft${seq}`,
      `To: <sip:alice@127.0.0.1:${port}>`,
      `Call-ID: ${callId}`,
      `CSeq: 1 ${method}`,
      `X-Case: ${caseName}`,
      `X-Peer: sip:127.0.0.1:${peerPort}`,
      'User-Agent: polysip-test',
      ...(opts.headers ?? []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    return { text: lines.join('\r\n'), callId };
  }

  async function send(caseName: string, opts: RequestOptions = {}, waitMs = 1500): Promise<Sent> {
    const { text, callId } = buildRequest(caseName, opts);
    ua!.send(Buffer.from(text, 'latin1'), port, '127.0.0.1');
    const mine = (b: Buffer): boolean => b.toString('latin1').includes(callId);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (uaInbox.some(mine) || peerInbox.some(mine)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 30)); // anything that follows the first answer
    return {
      callId,
      replies: uaInbox.filter(mine).map((b) => b.toString('latin1')),
      forwarded: peerInbox.filter(mine).map((b) => b.toString('latin1')),
    };
  }

  const statusLine = (s: Sent): string => s.replies[0]?.split('\r\n')[0] ?? '(no reply)';
  const title = (s: string): string => `[${label}] ${s}`;

  test.serial(title('is_METHOD family, is_method_in, protocol tests'), async (t) => {
    t.is(
      statusLine(await send('methods')),
      'SIP/2.0 200 INVITE=true ACK=false BYE=false in_IB=true in_RO=false is_method=true UDP=true TCP=false IPv4=true',
    );
    t.is(
      statusLine(await send('methods', { method: 'OPTIONS' })),
      'SIP/2.0 200 INVITE=false ACK=false BYE=false in_IB=false in_RO=true is_method=false UDP=true TCP=false IPv4=true',
    );
  });

  test.serial(title('message, branch and extended flags are real booleans'), async (t) => {
    t.is(statusLine(await send('flags')), 'SIP/2.0 200 false true false true false 1');
  });

  test.serial(title('is_myself family with an alias'), async (t) => {
    t.is(
      statusLine(await send('myself')),
      'SIP/2.0 200 ruri=true furi=true turi=true srcip=true alias=true other=false',
    );
  });

  test.serial(title('KSR.pv getters: strings, ints, nil / "" / "<null>"'), async (t) => {
    const s = await send('pv');
    const reason = statusLine(s).replace('SIP/2.0 200 ', '');
    t.is(
      reason,
      `INVITE|alice|127.0.0.1|tester|alice|${s.callId}|127.0.0.1|number|nil|empty|<null>|polysip-test|string|true`,
    );
  });

  test.serial(title('$var, $avp stack, $shv and unset'), async (t) => {
    t.is(statusLine(await send('vars')), 'SIP/2.0 200 42 two false 0 x');
  });

  test.serial(title('hdr, textops, siputils and corex readers'), async (t) => {
    const s = await send('headers', {
      headers: ['Subject: hello world', 'X-Multi: a', 'X-Multi: b', 'X-Multi: c'],
    });
    t.is(statusLine(s), 'SIP/2.0 200 1 -1 hello world nil b c 1 1 -1 1 -1 1 1 -1');
  });

  test.serial(
    title('rewriting: headers appended/removed, R-URI user and host, $du, stateless forward'),
    async (t) => {
      const s = await send('rewrite', {
        headers: ['Subject: drop me'],
        ruri: 'sip:alice@example.org',
      });
      t.deepEqual(s.replies, []);
      t.is(s.forwarded.length, 1);
      const fwd = s.forwarded[0]!;
      t.true(fwd.startsWith('INVITE sip:bob@127.0.0.1 SIP/2.0\r\n'), fwd.split('\r\n')[0]);
      t.regex(fwd, /\r\nX-Added: yes\r\n/);
      t.regex(fwd, /\r\nX-Appended: 1\r\n/);
      t.notRegex(fwd, /Subject:/);
      // our Via on top with a stateless branch, the caller's Via stamped with rport and received
      const vias = fwd.split('\r\n').filter((l) => /^Via:/i.test(l));
      t.regex(vias[0]!, new RegExp(`^Via: SIP/2.0/UDP 127\\.0\\.0\\.1:${port};branch=z9hG4bK`));
      t.regex(vias[1]!, new RegExp(`rport=${uaPort}`));
      t.regex(fwd, /\r\nMax-Forwards: 69\r\n/);
    },
  );

  test.serial(
    title('forward_uri keeps the R-URI; retransmission gets the same branch'),
    async (t) => {
      const first = await send('forward_uri');
      t.is(first.forwarded.length, 1);
      t.true(first.forwarded[0]!.startsWith(`INVITE sip:alice@127.0.0.1:${port} SIP/2.0`));
      const branch = /branch=([^;\r\n]+)/.exec(first.forwarded[0]!)![1];
      t.truthy(branch);
    },
  );

  test.serial(title('seturi and $du write-through'), async (t) => {
    const s = await send('seturi');
    t.is(s.forwarded.length, 1);
    t.true(s.forwarded[0]!.startsWith('INVITE sip:carol@127.0.0.1 SIP/2.0'));
  });

  test.serial(title('maxfwd: decrement, absent header, zero gives 483'), async (t) => {
    t.is(statusLine(await send('maxfwd', { maxForwards: 70 })), 'SIP/2.0 200 maxfwd=1 lt=-1');
    t.is(statusLine(await send('maxfwd', { maxForwards: 3 })), 'SIP/2.0 200 maxfwd=1 lt=1');
    t.is(statusLine(await send('maxfwd', { maxForwards: 0 })), 'SIP/2.0 483 Too Many Hops');
  });

  test.serial(
    title('KSR.x.exit unwinds through the script catching it; KSR.x.drop ends silently'),
    async (t) => {
      const s = await send('exit_in_pcall');
      t.is(s.replies.length, 0, s.replies.join('\n'));
      const d = await send('drop');
      t.is(d.replies.length, 0);
      t.is(d.forwarded.length, 0);
    },
  );

  test.serial(
    title('a script error answers 500 and logs file:line and Call-ID; next call works'),
    async (t) => {
      const s = await send('error');
      t.is(statusLine(s), 'SIP/2.0 500 Server Internal Error');
      const line = logLines.find((l) => l.callId === s.callId && l.level === 50);
      t.truthy(line, 'an error log line with the Call-ID');
      t.regex(String(line!.msg), new RegExp(`cases\\.${lang}:\\d+`));
      t.is(line!.file, script);
      t.is(typeof line!.line, 'number');
      t.is(statusLine(await send('methods', { method: 'BYE' })).slice(0, 11), 'SIP/2.0 200');
    },
  );

  test.serial(
    title('an infinite loop is aborted within its budget with 500; the next call works'),
    async (t) => {
      const started = Date.now();
      const s = await send('loop', {}, 3000);
      t.is(statusLine(s), 'SIP/2.0 500 Server Internal Error');
      t.true(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      const p = await send('pcall_loop', {}, 3000);
      t.is(statusLine(p), 'SIP/2.0 500 Server Internal Error');
      t.is(statusLine(await send('methods')).slice(0, 11), 'SIP/2.0 200');
    },
  );

  test.serial(title('locals survive an awaited KSR call (forward)'), async (t) => {
    const s = await send('async_locals');
    t.is(s.forwarded.length, 1);
    t.is(statusLine(s), `SIP/2.0 200 ci=${s.callId} ok=1`);
  });

  test.serial(title('KSR.route calls another script function'), async (t) => {
    t.is(statusLine(await send('route')), 'SIP/2.0 200 after=yes');
  });

  test.serial(title('sl_reply_error, get_reply_totag and To-tag of the reply'), async (t) => {
    t.is(statusLine(await send('reply_error')), 'SIP/2.0 500 Server Internal Error');
    const s = await send('totag');
    const tag = /^SIP\/2\.0 200 tag=(\S+)$/.exec(statusLine(s))?.[1];
    t.truthy(tag);
    t.regex(s.replies[0]!, new RegExp(`\r\nTo: [^\r]*;tag=${tag}\r\n`));
  });

  test.serial(
    title('log functions write JSON lines with the Call-ID; get_debug follows the level'),
    async (t) => {
      const s = await send('log');
      t.is(statusLine(s), 'SIP/2.0 200 debug=3');
      const mine = logLines.filter((l) => l.callId === s.callId);
      t.true(mine.some((l) => l.msg === 'info line' && l.level === 30));
      t.true(mine.some((l) => l.msg === 'err line' && l.level === 50));
      t.true(mine.some((l) => l.msg === 'warn line' && l.level === 40));
    },
  );

  test.serial(title('an unknown case answers 404 naming it'), async (t) => {
    t.is(statusLine(await send('no_such_case')), 'SIP/2.0 404 no case no_such_case');
  });
}
