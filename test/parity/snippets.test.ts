/**
 * Every KSR function of the core set, called from each language on a real SIP request over
 * UDP: the request body carries a snippet (test/ksr/snippet.{lua,py,js} runs it), the test
 * asserts the reply's status line or the bytes the request has when it reaches a peer. Each test
 * gives the snippet in the three languages and one expected result for all, in each placement.
 */
import test, { type ExecutionContext } from 'ava';
import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../../bin/app.ts';
import { ksrScript, parityRuns, type Lang, type ParityRun } from './langs.ts';

interface Exchange {
  callId: string;
  status: string;
  reply: string | undefined;
  forwarded: string | undefined;
}

interface RunOptions {
  method?: string;
  headers?: string[];
  ruri?: string;
}

/** One polysip running test/ksr/snippet.<lang>, a UA and a peer. */
class Harness {
  app: Polysip | undefined;
  port = 0;
  peerPort = 0;
  uaPort = 0;
  readonly uaInbox: Buffer[] = [];
  readonly peerInbox: Buffer[] = [];
  /** Error-level log lines (pino) of this instance. */
  readonly errors: string[] = [];
  #ua: Socket | undefined;
  #peer: Socket | undefined;
  #seq = 0;

  readonly lang: Lang;
  readonly label: string;
  constructor(readonly parity: ParityRun) {
    this.lang = parity.lang;
    this.label = parity.label;
  }

  async start(): Promise<void> {
    const errors = this.errors;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) errors.push(String((JSON.parse(line) as { msg?: unknown }).msg));
        done();
      },
    });
    this.app = await startPolysip({
      listen: ['udp:127.0.0.1:0'],
      aliases: ['example.org'],
      script: ksrScript('snippet', this.lang),
      placement: this.parity.placement,
      allowDestinations: ['127.0.0.0/8'],
      // Budgets are tested in ksr-cases; here Python compiles a snippet per request while the
      // other engines' tests load the main thread, whose latency the Python budget counts.
      limits: { cpuMs: 1000 },
      log: pino({ level: 'error' }, sink),
    });
    this.port = this.app.listeners[0]!.port;
    const ua = createSocket('udp4');
    const peer = createSocket('udp4');
    this.#ua = ua;
    this.#peer = peer;
    await new Promise<void>((r) => ua.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    this.uaPort = ua.address().port;
    this.peerPort = peer.address().port;
    ua.on('message', (m) => this.uaInbox.push(m));
    peer.on('message', (m) => this.peerInbox.push(m));
    // A fresh interpreter's first routes are slow (lazy compilation; Pyodide's can overrun the
    // CPU budget while the other engines' tests keep the main thread busy): warm up first.
    const warm = this.lang === 'js' ? 'return [200, "warm"];' : 'return 200, "warm"';
    for (let i = 0; i < 5; i++) if ((await this.run(warm)).status === 'SIP/2.0 200 warm') break;
    // The tests below run at once. A JS route waiting on the host (a forward) holds its QuickJS
    // module, so routes arriving meanwhile each get a new one (engines/js/pool.ts): tens of ms
    // apiece on a busy machine, which the first burst pays. Isolated, every forward waits on the
    // worker's own onsend route, so it always suspends: warm the pool with a burst of forwards.
    if (this.lang === 'js') {
      await Promise.all(
        Array.from({ length: 6 }, () => this.run('KSR.forward_uri("$PEER");', {}, 5000)),
      );
    }
  }

  async stop(): Promise<void> {
    this.#ua?.close();
    this.#peer?.close();
    await this.app?.stop();
  }

  /** `$PEER` in the snippet becomes the peer's URI. */
  /**
   * Every test of the file runs at once on up to five servers (an engine × placement each), so
   * an answer may take a while on a loaded machine: waitMs is the limit, not the expected time.
   */
  async run(snippet: string, opts: RunOptions = {}, waitMs = 3000): Promise<Exchange> {
    const seq = ++this.#seq;
    const method = opts.method ?? 'MESSAGE';
    const callId = `snip-${this.label}-${seq}@127.0.0.1`;
    const body = snippet.replaceAll('$PEER', `sip:127.0.0.1:${this.peerPort}`);
    const text = [
      `${method} ${opts.ruri ?? `sip:alice@127.0.0.1:${this.port}`} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.uaPort};branch=z9hG4bK-snip-${this.label}-${seq};rport`,
      'Max-Forwards: 70',
      `From: <sip:tester@example.org>;tag=f${seq}`,
      `To: <sip:alice@127.0.0.1:${this.port}>`,
      `Call-ID: ${callId}`,
      `CSeq: 7 ${method}`,
      ...(opts.headers ?? []),
      `Content-Type: text/x-${this.lang}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    this.#ua!.send(Buffer.from(text), this.port, '127.0.0.1');
    const mine = (b: Buffer): boolean => b.toString('latin1').includes(callId);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && !this.uaInbox.some(mine) && !this.peerInbox.some(mine)) {
      await new Promise((r) => setTimeout(r, 3));
    }
    await new Promise((r) => setTimeout(r, 20));
    const reply = this.uaInbox.find(mine)?.toString('latin1');
    return {
      callId,
      reply,
      status: reply?.split('\r\n')[0] ?? '(none)',
      forwarded: this.peerInbox.find(mine)?.toString('latin1'),
    };
  }
}

// The Python engine writes its strict-argument errors (app_python3 logs them and the call
// returns False) to stderr when the app gives it no logger: keep a copy to assert the text.
const stderrLines: string[] = [];
const realStderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  stderrLines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
  return (realStderrWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;

const harnesses = new Map<string, Harness>();
for (const run of parityRuns()) harnesses.set(run.label, new Harness(run));

test.before(async () => {
  await Promise.all([...harnesses.values()].map((h) => h.start()));
});

test.after.always(async () => {
  process.stderr.write = realStderrWrite;
  await Promise.all([...harnesses.values()].map((h) => h.stop()));
});

type Snippets = Readonly<Record<Lang, string>>;

/** One test per language and placement: the same check on that language's snippet. */
function parity(
  title: string,
  snippets: Snippets | ((h: Harness) => Snippets),
  check: (
    t: ExecutionContext,
    run: (opts?: RunOptions) => Promise<Exchange>,
    h: Harness,
  ) => Promise<void>,
): void {
  for (const [label, h] of harnesses) {
    test(`[${label}] ${title}`, async (t) => {
      const code = (typeof snippets === 'function' ? snippets(h) : snippets)[h.lang];
      await check(t, (opts) => h.run(code, opts), h);
    });
  }
}

const ok = (reason: string): string => `SIP/2.0 200 ${reason}`;

parity(
  'resetbflag, resetxflag and flag range checks',
  {
    lua:
      'KSR.setbflag(2); KSR.resetbflag(2); KSR.corex.setxflag(63); local x = KSR.corex.isxflagset(63); KSR.corex.resetxflag(63)\n' +
      'return 200, tostring(KSR.isbflagset(2)) .. " " .. x .. " " .. KSR.corex.isxflagset(63) .. " " .. tostring(KSR.setbflag(32))',
    py:
      'KSR.setbflag(2); KSR.resetbflag(2); KSR.corex.setxflag(63); x = KSR.corex.isxflagset(63); KSR.corex.resetxflag(63)\n' +
      'return 200, b(KSR.isbflagset(2)) + " " + b(x) + " " + b(KSR.corex.isxflagset(63)) + " " + b(KSR.setbflag(32))',
    js:
      'KSR.setbflag(2); KSR.resetbflag(2); KSR.corex.setxflag(63); var x = KSR.corex.isxflagset(63); KSR.corex.resetxflag(63);\n' +
      'return [200, b(KSR.isbflagset(2)) + " " + x + " " + KSR.corex.isxflagset(63) + " " + b(KSR.setbflag(32))];',
  },
  async (t, run) => {
    t.is((await run()).status, ok('false 1 -1 false'));
  },
);

parity(
  'resetdsturi clears $du; isdsturiset follows',
  {
    lua:
      'KSR.setdsturi("sip:127.0.0.1:9"); local a = KSR.isdsturiset(); KSR.resetdsturi()\n' +
      'return 200, tostring(a) .. " " .. tostring(KSR.isdsturiset()) .. " " .. tostring(KSR.pv.get("$du"))',
    py:
      'KSR.setdsturi("sip:127.0.0.1:9"); a = KSR.isdsturiset(); KSR.resetdsturi()\n' +
      'return 200, b(a) + " " + b(KSR.isdsturiset()) + " " + b(KSR.pv.get("$du"))',
    js:
      'KSR.setdsturi("sip:127.0.0.1:9"); var a = KSR.isdsturiset(); KSR.resetdsturi();\n' +
      'return [200, b(a) + " " + b(KSR.isdsturiset()) + " " + b(KSR.pv.get("$du"))];',
  },
  async (t, run) => {
    t.is((await run()).status, ok('true false nil'));
  },
);

parity(
  'dbg, warn, crit and notice log without failing the route',
  {
    lua: 'KSR.dbg("d\\n"); KSR.warn("w\\n"); KSR.crit("c\\n"); KSR.notice("n\\n"); return 200, "logged"',
    py: 'KSR.dbg("d\\n"); KSR.warn("w\\n"); KSR.crit("c\\n"); KSR.notice("n\\n"); return 200, "logged"',
    js: 'KSR.dbg("d\\n"); KSR.warn("w\\n"); KSR.crit("c\\n"); KSR.notice("n\\n"); return [200, "logged"];',
  },
  async (t, run) => {
    t.is((await run()).status, ok('logged'));
  },
);

const methodFamily = [
  'KSR.is_MESSAGE()',
  'KSR.is_method_in("M")',
  'KSR.is_INFO()',
  'KSR.is_SUBSCRIBE()',
  'KSR.is_NOTIFY()',
  'KSR.is_PUBLISH()',
  'KSR.is_REFER()',
  'KSR.is_PRACK()',
  'KSR.is_UPDATE()',
];
parity(
  'is_method_in letters and the rest of the is_METHOD family',
  {
    lua: `return 200, table.concat({${methodFamily.map((c) => `tostring(${c})`).join(', ')}}, " ")`,
    py: `return 200, " ".join([${methodFamily.map((c) => `b(${c})`).join(', ')}])`,
    js: `return [200, [${methodFamily.map((c) => `b(${c})`).join(', ')}].join(" ")];`,
  },
  async (t, run) => {
    t.is((await run()).status, ok('true true false false false false false false false'));
  },
);

parity(
  'KSR.route runs another function',
  {
    lua: 'KSR.route("helper_route"); return 200, KSR.pv.get("$var(helper)")',
    py: 'KSR.route("helper_route"); return 200, KSR.pv.get("$var(helper)")',
    js: 'KSR.route("helper_route"); return [200, KSR.pv.get("$var(helper)")];',
  },
  async (t, run) => {
    t.is((await run()).status, ok('ran'));
  },
);

parity(
  'KSR.route naming a missing function is an error answered 500',
  {
    lua: 'KSR.route("no_such_route"); return 200, "unreached"',
    py: 'KSR.route("no_such_route"); return 200, "unreached"',
    js: 'KSR.route("no_such_route"); return [200, "unreached"];',
  },
  async (t, run, h) => {
    t.is((await run()).status, 'SIP/2.0 500 Server Internal Error');
    t.true(
      h.errors.some((l) => l.includes("KSR.route: the script has no function 'no_such_route'")),
      h.errors.join('\n'),
    );
  },
);

parity(
  'set_drop marks the message and the script keeps running',
  {
    lua: 'KSR.set_drop(); return 200, "still running"',
    py: 'KSR.set_drop(); return 200, "still running"',
    js: 'KSR.set_drop(); return [200, "still running"];',
  },
  async (t, run) => {
    t.is((await run()).status, ok('still running'));
  },
);

parity(
  'corex.append_branch and $br; send_data reaches the peer',
  {
    lua:
      'KSR.corex.append_branch_uri("sip:bob@127.0.0.1:7"); local br = KSR.pv.get("$br")\n' +
      'KSR.corex.send_data("$PEER", "OPTIONS sip:x@127.0.0.1 SIP/2.0\\r\\nCall-ID: " .. KSR.pv.get("$ci") .. "-data\\r\\n\\r\\n")\n' +
      'return 200, tostring(br)',
    py:
      'KSR.corex.append_branch_uri("sip:bob@127.0.0.1:7"); br = KSR.pv.get("$br")\n' +
      'KSR.corex.send_data("$PEER", "OPTIONS sip:x@127.0.0.1 SIP/2.0\\r\\nCall-ID: " + KSR.pv.get("$ci") + "-data\\r\\n\\r\\n")\n' +
      'return 200, b(br)',
    js:
      'KSR.corex.append_branch_uri("sip:bob@127.0.0.1:7"); var br = KSR.pv.get("$br");\n' +
      'KSR.corex.send_data("$PEER", "OPTIONS sip:x@127.0.0.1 SIP/2.0\\r\\nCall-ID: " + KSR.pv.get("$ci") + "-data\\r\\n\\r\\n");\n' +
      'return [200, b(br)];',
  },
  async (t, run, h) => {
    const r = await run();
    t.is(r.status, ok('sip:bob@127.0.0.1:7'));
    t.true(h.peerInbox.some((b) => b.toString('latin1').includes(`${r.callId}-data`)));
  },
);

parity(
  'pv: $ml $mb $rb $Ts $TV $proto $Ri $Rp $rs/$rr absent on requests',
  {
    lua:
      'local ml = KSR.pv.get("$ml"); local mb = KSR.pv.get("$mb")\n' +
      'return 200, table.concat({type(ml), tostring(#mb == ml), type(KSR.pv.get("$Ts")), type(KSR.pv.get("$TV(s)")), KSR.pv.get("$proto"), KSR.pv.get("$Ri"), type(KSR.pv.get("$Rp")), tostring(KSR.pv.get("$rs"))}, " ")',
    py:
      'ml = KSR.pv.get("$ml"); mb = KSR.pv.get("$mb")\n' +
      'return 200, " ".join([ltype(ml), b(len(mb.encode("latin-1")) == ml), ltype(KSR.pv.get("$Ts")), ltype(KSR.pv.get("$TV(s)")), KSR.pv.get("$proto"), KSR.pv.get("$Ri"), ltype(KSR.pv.get("$Rp")), b(KSR.pv.get("$rs"))])',
    js:
      'var ml = KSR.pv.get("$ml"); var mb = KSR.pv.get("$mb");\n' +
      'return [200, [ltype(ml), b(mb.length == ml), ltype(KSR.pv.get("$Ts")), ltype(KSR.pv.get("$TV(s)")), KSR.pv.get("$proto"), KSR.pv.get("$Ri"), ltype(KSR.pv.get("$Rp")), b(KSR.pv.get("$rs"))].join(" ")];',
  },
  async (t, run) => {
    t.is((await run()).status, ok('number true number number udp 127.0.0.1 number nil'));
  },
);

parity(
  'pv writes: $rU $rd $fU $tU $fn write through to the forwarded request',
  {
    lua:
      'KSR.pv.sets("$rU", "carol"); KSR.pv.sets("$rd", "127.0.0.1"); KSR.pv.sets("$fU", "frank"); KSR.pv.sets("$tU", "tina")\n' +
      'KSR.pv.sets("$fn", "Frank F"); KSR.pv.sets("$du", "$PEER"); KSR.forward()',
    py:
      'KSR.pv.sets("$rU", "carol"); KSR.pv.sets("$rd", "127.0.0.1"); KSR.pv.sets("$fU", "frank"); KSR.pv.sets("$tU", "tina")\n' +
      'KSR.pv.sets("$fn", "Frank F"); KSR.pv.sets("$du", "$PEER"); KSR.forward()',
    js:
      'KSR.pv.sets("$rU", "carol"); KSR.pv.sets("$rd", "127.0.0.1"); KSR.pv.sets("$fU", "frank"); KSR.pv.sets("$tU", "tina");\n' +
      'KSR.pv.sets("$fn", "Frank F"); KSR.pv.sets("$du", "$PEER"); KSR.forward();',
  },
  async (t, run) => {
    const r = await run();
    t.truthy(r.forwarded);
    const f = r.forwarded!;
    t.true(f.startsWith('MESSAGE sip:carol@127.0.0.1'), f.split('\r\n')[0]);
    t.regex(f, /\r\nFrom: "Frank F" <sip:frank@example\.org>;tag=/);
    t.regex(f, /\r\nTo: <sip:tina@127\.0\.0\.1:\d+>\r\n/);
  },
);

parity(
  'hdr: insert, append_after, rmappend, rminsert, remove, get/gete/getw',
  {
    lua:
      'KSR.hdr.insert("X-First: 1\\r\\n"); KSR.hdr.append_after("X-After: 2\\r\\n", "Call-ID")\n' +
      'KSR.hdr.rmappend("X-Old", "X-New: 3\\r\\n"); KSR.hdr.rminsert("X-Old2", "X-Top: 4\\r\\n"); KSR.hdr.remove("X-Gone")\n' +
      'KSR.pv.sets("$var(g)", KSR.hdr.gete("X-Absent") .. "|" .. KSR.hdr.getw("X-Absent")); KSR.hdr.append("X-G: " .. KSR.pv.get("$var(g)") .. "\\r\\n")\n' +
      'KSR.forward_uri("$PEER")',
    py:
      'KSR.hdr.insert("X-First: 1\\r\\n"); KSR.hdr.append_after("X-After: 2\\r\\n", "Call-ID")\n' +
      'KSR.hdr.rmappend("X-Old", "X-New: 3\\r\\n"); KSR.hdr.rminsert("X-Old2", "X-Top: 4\\r\\n"); KSR.hdr.remove("X-Gone")\n' +
      'KSR.pv.sets("$var(g)", KSR.hdr.gete("X-Absent") + "|" + KSR.hdr.getw("X-Absent")); KSR.hdr.append("X-G: " + KSR.pv.get("$var(g)") + "\\r\\n")\n' +
      'KSR.forward_uri("$PEER")',
    js:
      'KSR.hdr.insert("X-First: 1\\r\\n"); KSR.hdr.append_after("X-After: 2\\r\\n", "Call-ID");\n' +
      'KSR.hdr.rmappend("X-Old", "X-New: 3\\r\\n"); KSR.hdr.rminsert("X-Old2", "X-Top: 4\\r\\n"); KSR.hdr.remove("X-Gone");\n' +
      'KSR.pv.sets("$var(g)", KSR.hdr.gete("X-Absent") + "|" + KSR.hdr.getw("X-Absent")); KSR.hdr.append("X-G: " + KSR.pv.get("$var(g)") + "\\r\\n");\n' +
      'KSR.forward_uri("$PEER");',
  },
  async (t, run) => {
    const r = await run({ headers: ['X-Old: a', 'X-Old2: b', 'X-Gone: c'] });
    const f = r.forwarded!;
    t.truthy(f);
    const names = f
      .split('\r\n\r\n')[0]!
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(':')[0]);
    t.true(
      names.indexOf('X-Top') < names.indexOf('X-First') ||
        names[0] === 'X-Top' ||
        names[1] === 'X-Top',
      names.join(','),
    );
    t.is(names.indexOf('X-After'), names.indexOf('Call-ID') + 1);
    t.true(names.includes('X-New'));
    t.false(names.includes('X-Old'));
    t.false(names.includes('X-Old2'));
    t.false(names.includes('X-Gone'));
    t.regex(f, /\r\nX-G: \|<null>\r\n/);
  },
);

parity(
  'textops: search_body, remove_hf, subst, replace, is_privacy',
  {
    lua:
      'local sb = KSR.textops.search_body("KSR%.forward_uri") ; local priv = KSR.textops.is_privacy("id")\n' +
      'KSR.textops.remove_hf("X-Remove"); KSR.textops.subst("/^Subject: old/Subject: new/"); KSR.textops.replace("tag=f", "tag=g")\n' +
      'KSR.hdr.append("X-R: " .. sb .. " " .. priv .. "\\r\\n"); KSR.forward_uri("$PEER")',
    py:
      'sb = KSR.textops.search_body("KSR%.forward_uri") ; priv = KSR.textops.is_privacy("id")\n' +
      'KSR.textops.remove_hf("X-Remove"); KSR.textops.subst("/^Subject: old/Subject: new/"); KSR.textops.replace("tag=f", "tag=g")\n' +
      'KSR.hdr.append("X-R: " + b(sb) + " " + b(priv) + "\\r\\n"); KSR.forward_uri("$PEER")',
    js:
      'var sb = KSR.textops.search_body("KSR%.forward_uri") ; var priv = KSR.textops.is_privacy("id");\n' +
      'KSR.textops.remove_hf("X-Remove"); KSR.textops.subst("/^Subject: old/Subject: new/"); KSR.textops.replace("tag=f", "tag=g");\n' +
      'KSR.hdr.append("X-R: " + sb + " " + priv + "\\r\\n"); KSR.forward_uri("$PEER");',
  },
  async (t, run) => {
    const r = await run({ headers: ['X-Remove: x', 'Subject: old subject', 'Privacy: id'] });
    const f = r.forwarded!;
    t.truthy(f);
    t.notRegex(f, /\r\nX-Remove:/);
    t.regex(f, /\r\nSubject: new subject\r\n/);
    t.regex(f, /;tag=g\d+/);
    t.regex(f, /\r\nX-R: 1 1\r\n/);
  },
);

parity(
  'siputils: is_first_hop, uri_param, add_uri_param, is_uri_user_e164',
  {
    lua:
      'local fh = KSR.siputils.is_first_hop(); local up = KSR.siputils.uri_param("foo"); local np = KSR.siputils.uri_param("nope")\n' +
      'local pv = KSR.siputils.uri_param_value("k", "v")\n' +
      'KSR.siputils.add_uri_param("added=1"); local e = KSR.siputils.is_uri_user_e164("sip:+4930123456@example.org")\n' +
      'return 200, table.concat({fh, up, np, pv, e, KSR.pv.get("$ru")}, " ")',
    py:
      'fh = KSR.siputils.is_first_hop(); up = KSR.siputils.uri_param("foo"); np = KSR.siputils.uri_param("nope")\n' +
      'pv = KSR.siputils.uri_param_value("k", "v")\n' +
      'KSR.siputils.add_uri_param("added=1"); e = KSR.siputils.is_uri_user_e164("sip:+4930123456@example.org")\n' +
      'return 200, " ".join(b(v) for v in [fh, up, np, pv, e, KSR.pv.get("$ru")])',
    js:
      'var fh = KSR.siputils.is_first_hop(); var up = KSR.siputils.uri_param("foo"); var np = KSR.siputils.uri_param("nope");\n' +
      'var pv = KSR.siputils.uri_param_value("k", "v");\n' +
      'KSR.siputils.add_uri_param("added=1"); var e = KSR.siputils.is_uri_user_e164("sip:+4930123456@example.org");\n' +
      'return [200, [fh, up, np, pv, e, KSR.pv.get("$ru")].join(" ")];',
  },
  async (t, run) => {
    // uri_param(name) asks for a parameter without a value, as Kamailio's does
    const r = await run({ ruri: 'sip:alice@127.0.0.1;foo;k=v' });
    t.is(r.status, ok('1 1 -1 1 1 sip:alice@127.0.0.1;foo;k=v;added=1'));
  },
);

const sanity: Snippets = {
  lua: 'if KSR.sanity.sanity_check(1511, 7) < 0 then KSR.x.exit() end; return 200, "sane"',
  py: 'if KSR.sanity.sanity_check(1511, 7) < 0:\n    KSR.x.exit()\nreturn 200, "sane"',
  js: 'if (KSR.sanity.sanity_check(1511, 7) < 0) KSR.x.exit(); return [200, "sane"];',
};
parity('sanity_check answers a bad CSeq method itself and returns -1', sanity, async (t, run) => {
  const r = await run({ headers: ['Expires: -5'] });
  t.is(r.status.slice(0, 11), 'SIP/2.0 400');
  t.is((await run()).status, ok('sane'));
});

parity(
  'sl.send_reply without a transaction replies statelessly',
  {
    lua: 'KSR.sl.send_reply(202, "Accepted here"); KSR.x.exit()',
    py: 'KSR.sl.send_reply(202, "Accepted here"); KSR.x.exit()',
    js: 'KSR.sl.send_reply(202, "Accepted here"); KSR.x.exit();',
  },
  async (t, run) => {
    t.is((await run()).status, 'SIP/2.0 202 Accepted here');
  },
);

/** Where the engine's error text went: the app log (Lua, JS) or the Python engine's lines. */
function logged(h: Harness, text: string): boolean {
  return h.errors.some((l) => l.includes(text)) || stderrLines.some((l) => l.includes(text));
}

parity(
  'a wrong argument type is an error naming the function and the argument (Python: logged, the call returns False)',
  {
    lua: 'local rc = KSR.sl.sl_send_reply("abc", "x"); return 200, "returned " .. tostring(rc)',
    py: 'rc = KSR.sl.sl_send_reply("abc", "x"); return 200, "returned " + b(rc)',
    js: 'var rc = KSR.sl.sl_send_reply("abc", "x"); return [200, "returned " + b(rc)];',
  },
  async (t, run, h) => {
    const r = await run();
    // app_python3 logs the error and the call returns False; Lua and JS raise it (500).
    t.is(r.status, h.lang === 'py' ? ok('returned false') : 'SIP/2.0 500 Server Internal Error');
    const text = 'KSR.sl.sl_send_reply: argument 1 (code) must be an int, got string "abc"';
    t.true(logged(h, text), `"${text}" in the log:\n${h.errors.join('\n')}`);
  },
);

parity(
  'nil / None / null for a string argument is "missing", with the same message',
  {
    lua: 'local rc = KSR.pv.sets("$var(x)", nil); return 200, "returned " .. tostring(rc)',
    py: 'rc = KSR.pv.sets("$var(x)", None); return 200, "returned " + b(rc)',
    js: 'var rc = KSR.pv.sets("$var(x)", null); return [200, "returned " + b(rc)];',
  },
  async (t, run, h) => {
    const r = await run();
    t.is(r.status, h.lang === 'py' ? ok('returned false') : 'SIP/2.0 500 Server Internal Error');
    const text = 'KSR.pv.sets: argument 2 (sval) is missing (expected a string)';
    t.true(logged(h, text), `"${text}" in the log:\n${h.errors.join('\n')}`);
  },
);

parity(
  'return types: strings, ints, nil / None / null and real booleans',
  {
    lua:
      'local v = {KSR.pv.get("$rU"), KSR.pv.get("$sp"), KSR.pv.get("$du"), KSR.is_MESSAGE(), KSR.hdr.is_present("Call-ID"), KSR.hdr.get("X-None"), KSR.isflagset(9)}\n' +
      'local out = {}; for i = 1, 7 do out[i] = type(v[i]) .. ":" .. tostring(v[i]) end\n' +
      'return 200, table.concat(out, " ")',
    py:
      'v = [KSR.pv.get("$rU"), KSR.pv.get("$sp"), KSR.pv.get("$du"), KSR.is_MESSAGE(), KSR.hdr.is_present("Call-ID"), KSR.hdr.get("X-None"), KSR.isflagset(9)]\n' +
      'return 200, " ".join(ltype(x) + ":" + b(x) for x in v)',
    js:
      'var v = [KSR.pv.get("$rU"), KSR.pv.get("$sp"), KSR.pv.get("$du"), KSR.is_MESSAGE(), KSR.hdr.is_present("Call-ID"), KSR.hdr.get("X-None"), KSR.isflagset(9)];\n' +
      'return [200, v.map(function (x) { return ltype(x) + ":" + b(x); }).join(" ")];',
  },
  async (t, run, h) => {
    const r = await run();
    t.is(
      r.status,
      ok(`string:alice number:${h.uaPort} nil:nil boolean:true number:1 nil:nil boolean:false`),
    );
  },
);

parity(
  'argument types: a boolean is an int (1/0) everywhere; ints and strings pass unchanged',
  {
    lua:
      'KSR.setflag(true); KSR.pv.seti("$var(i)", -7); KSR.pv.sets("$var(s)", "12")\n' +
      'return 200, table.concat({tostring(KSR.isflagset(1)), tostring(KSR.isflagset(0)), type(KSR.pv.get("$var(i)")), KSR.pv.get("$var(i)"), type(KSR.pv.get("$var(s)")), KSR.pv.get("$var(s)")}, " ")',
    py:
      'KSR.setflag(True); KSR.pv.seti("$var(i)", -7); KSR.pv.sets("$var(s)", "12")\n' +
      'return 200, " ".join([b(KSR.isflagset(1)), b(KSR.isflagset(0)), ltype(KSR.pv.get("$var(i)")), b(KSR.pv.get("$var(i)")), ltype(KSR.pv.get("$var(s)")), KSR.pv.get("$var(s)")])',
    js:
      'KSR.setflag(true); KSR.pv.seti("$var(i)", -7); KSR.pv.sets("$var(s)", "12");\n' +
      'return [200, [b(KSR.isflagset(1)), b(KSR.isflagset(0)), ltype(KSR.pv.get("$var(i)")), KSR.pv.get("$var(i)"), ltype(KSR.pv.get("$var(s)")), KSR.pv.get("$var(s)")].join(" ")];',
  },
  async (t, run) => {
    t.is((await run()).status, ok('true false number -7 string 12'));
  },
);

parity(
  't_on_failure naming a missing function is refused when armed, a real one is armed',
  {
    lua:
      'local bad = KSR.tm.t_on_failure("no_such_function"); local isb = KSR.tm.t_is_set("failure_route")\n' +
      'local good = KSR.tm.t_on_failure("helper_route")\n' +
      'return 200, table.concat({bad, isb, good, KSR.tm.t_is_set("failure_route")}, " ")',
    py:
      'bad = KSR.tm.t_on_failure("no_such_function"); isb = KSR.tm.t_is_set("failure_route")\n' +
      'good = KSR.tm.t_on_failure("helper_route")\n' +
      'return 200, " ".join(b(v) for v in [bad, isb, good, KSR.tm.t_is_set("failure_route")])',
    js:
      'var bad = KSR.tm.t_on_failure("no_such_function"); var isb = KSR.tm.t_is_set("failure_route");\n' +
      'var good = KSR.tm.t_on_failure("helper_route");\n' +
      'return [200, [bad, isb, good, KSR.tm.t_is_set("failure_route")].join(" ")];',
  },
  async (t, run) => {
    t.is((await run()).status, ok('-1 -1 1 1'));
  },
);

parity(
  'ksr_onsend_route sees $snd(...) and a drop there keeps the request home',
  {
    lua: 'local rc = KSR.forward_uri("$PEER"); return 200, rc .. " " .. KSR.pv.get("$shv(snd)")',
    py: 'rc = KSR.forward_uri("$PEER"); return 200, b(rc) + " " + KSR.pv.get("$shv(snd)")',
    js: 'var rc = KSR.forward_uri("$PEER"); return [200, rc + " " + KSR.pv.get("$shv(snd)")];',
  },
  async (t, run, h) => {
    const r = await run({ headers: ['X-Drop-On-Send: yes'] });
    t.is(r.status, ok(`-1 udp:127.0.0.1:${h.peerPort}`));
    t.is(r.forwarded, undefined);
  },
);

parity(
  'a snippet that does not compile answers 400',
  { lua: 'return 200 200', py: 'return 200 200', js: 'return [200 200];' },
  async (t, run) => {
    t.is((await run()).status.slice(0, 24), 'SIP/2.0 400 bad snippet:');
  },
);
