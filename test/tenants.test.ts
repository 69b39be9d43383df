/**
 * Tenants on one server, over real UDP on 127.0.0.1: requests reach the tenant their socket
 * (first) or R-URI domain names, else the main script; each tenant sees only its own
 * registrations, htables, $shv and subscribers; a tenant that loops, throws, allocates
 * without bound or piles up suspended routes does not stop another from answering; reload and
 * rollback are per tenant; log lines carry the tenant. Serial: the built-in htable is one per
 * process and a stopping server clears it, so two servers at once would disturb each other.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { buildRegistry, loadScript, startPolysip, type Polysip } from '../bin/app.ts';
import type { TenantConfig } from '../bin/config.ts';
import { subscriberRow } from '../bin/cli-db.ts';
import { rpcCall } from '../core/mgmt/server.ts';
import { freeUdpPort } from './kit/ports.ts';
import { udpExchange } from './kit/udp-client.ts';

const POLYSIP = fileURLToPath(new URL('../bin/polysip.js', import.meta.url));
const run = promisify(execFile);

/** One routing script for every tenant, answering with its tag so a reply names its tenant. */
const luaScript = (tag: string): string => `
function ksr_request_route()
  local op = KSR.hdr.get("X-Op") or ""
  if KSR.pv.get("$rm") == "REGISTER" then
    KSR.registrar.save("location", 0)
    return
  end
  if op == "lookup" then
    if KSR.registrar.registered("location") == 1 then
      KSR.sl.sl_send_reply(200, "found ${tag}")
    else
      KSR.sl.sl_send_reply(404, "not found ${tag}")
    end
    return
  end
  if op == "set" then
    KSR.pv.sets("$shv(color)", "${tag}")
    KSR.htable.sht_sets("colors", "c", "${tag}")
    KSR.sl.sl_send_reply(200, "set ${tag}")
    return
  end
  if op == "get" then
    KSR.sl.sl_send_reply(200, "shv=" .. tostring(KSR.pv.get("$shv(color)")) ..
      " sht=" .. tostring(KSR.htable.sht_get("colors", "c")))
    return
  end
  if op == "subscriber" then
    KSR.sl.sl_send_reply(200, "sub=" .. KSR.auth_db.is_subscriber("sip:alice@a.example", "subscriber", 0))
    return
  end
  if op == "auth" then
    KSR.sl.sl_send_reply(200, "auth=" .. KSR.auth_db.auth_check("a.example", "subscriber", 0))
    return
  end
  if op == "loop" then
    while true do end
  end
  if op == "bomb" then
    local keep, i = {}, 0
    while true do i = i + 1; keep[i] = { i, tostring(i), {} } end
  end
  if op == "throw" then
    error("boom ${tag}")
  end
  if op == "wait" then
    KSR.htable.sht_lock("gate", "k")
    KSR.sl.sl_send_reply(200, "passed ${tag}")
    return
  end
  if op == "log" then
    KSR.info("hello from ${tag}\\n")
  end
  KSR.sl.sl_send_reply(200, "${tag}")
end
`;

const jsScript = (tag: string): string => `
function ksr_request_route() {
  if (KSR.hdr.get("X-Op") === "bomb") {
    const keep = [];
    for (let i = 0; ; i++) keep.push({ i, s: "k" + i });
  }
  KSR.sl.sl_send_reply(200, "${tag}");
}
`;

/**
 * A memory bomb in fengari can only be stopped by ending its worker: run it only when the
 * isolated placement really isolates Lua (bin/load-script.ts), else it would take the test
 * process down. Skipped (visibly) until then.
 */
const luaIsolated = await (async () => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-tenants-'));
  writeFileSync(join(dir, 'probe.lua'), luaScript('probe'));
  const s = await loadScript(join(dir, 'probe.lua'), buildRegistry(), undefined, 1, 'isolated');
  const isolated = s.engine.endsWith('/isolated');
  s.dispose();
  return isolated;
})();

function writeScript(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

interface Fixture {
  app: Polysip;
  dir: string;
  /** The main listener (domain rules and the main script). */
  port: number;
  /** The second listener, owned by tenant beta when it has a socket rule. */
  port2: number;
  url: string;
  logs: Record<string, unknown>[];
  file(name: string): string;
  stop(): Promise<void>;
}

interface TenantSpec {
  name: string;
  domains?: string[];
  /** true: the second listener is this tenant's socket. */
  ownsSecondSocket?: boolean;
  engine?: 'lua' | 'js';
  limits?: TenantConfig['limits'];
  trusted?: boolean;
}

async function start(tenants: TenantSpec[], cpuMs = 100, dispatch?: string): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-tenants-'));
  const file = (name: string): string => join(dir, name);
  writeFileSync(file('main.lua'), luaScript('main'));
  const port2 = await freeUdpPort();
  const configs: TenantConfig[] = tenants.map((t) => {
    const script = file(`${t.name}.${t.engine ?? 'lua'}`);
    writeFileSync(script, t.engine === 'js' ? jsScript(t.name) : luaScript(t.name));
    return {
      name: t.name,
      domains: t.domains ?? [],
      sockets: t.ownsSecondSocket ? [`udp:127.0.0.1:${port2}`] : [],
      script,
      limits: t.limits ?? {},
      trusted: t.trusted ?? false,
    };
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const app = await startPolysip({
    listen: ['udp:127.0.0.1:0', `udp:127.0.0.1:${port2}`],
    script: file('main.lua'),
    log: pino({ level: 'info' }, sink),
    limits: { cpuMs },
    management: { listen: '127.0.0.1:0', token: null },
    reloadGraceMs: 50,
    tenants: configs,
    dispatch: dispatch === undefined ? null : writeScript(file('dispatch.lua'), dispatch),
  });
  return {
    app,
    dir,
    port: app.listeners[0]!.port,
    port2,
    url: `http://127.0.0.1:${app.management!.port}/RPC`,
    logs,
    file,
    stop: () => app.stop(),
  };
}

let seq = 0;

interface Send {
  port: number;
  ruri: string;
  op?: string;
  method?: string;
  extra?: string;
  timeoutMs?: number;
}

function request(s: Send): string {
  const n = ++seq;
  const method = s.method ?? 'OPTIONS';
  const to = method === 'REGISTER' ? 'sip:alice@a.example' : s.ruri;
  return (
    `${method} ${s.ruri} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-ten-${n}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=f${n}\r\nTo: <${to}>\r\n` +
    `Call-ID: ten-${n}@127.0.0.1\r\nCSeq: 1 ${method}\r\n` +
    (s.op ? `X-Op: ${s.op}\r\n` : '') +
    (method === 'REGISTER' ? 'Contact: <sip:alice@127.0.0.1:5999>;expires=600\r\n' : '') +
    (s.extra ?? '') +
    `Content-Length: 0\r\n\r\n`
  );
}

/** The reply's status line, without "SIP/2.0 " ("(no answer)" after the timeout). */
async function send(s: Send): Promise<string> {
  const r = await udpExchange({
    to: { host: '127.0.0.1', port: s.port },
    message: request(s),
    timeoutMs: s.timeoutMs ?? 3000,
  });
  const text = r.responses[0]?.toString('latin1');
  return text ? text.split('\r\n')[0]!.replace(/^SIP\/2\.0 /, '') : '(no answer)';
}

async function withFixture(
  t: ExecutionContext,
  tenants: TenantSpec[],
  body: (f: Fixture) => Promise<void>,
  cpuMs?: number,
  dispatch?: string,
): Promise<void> {
  const f = await start(tenants, cpuMs, dispatch);
  try {
    await body(f);
  } finally {
    await f.stop();
  }
  t.pass();
}

test.serial(
  'requests reach the tenant of their socket, then of their R-URI domain, else the main script',
  async (t) => {
    await withFixture(
      t,
      [
        { name: 'alpha', domains: ['a.example'] },
        { name: 'beta', domains: ['b.example'], ownsSecondSocket: true },
      ],
      async (f) => {
        t.is(await send({ port: f.port, ruri: 'sip:a.example' }), '200 alpha');
        t.is(await send({ port: f.port, ruri: 'sip:bob@A.Example' }), '200 alpha', 'host case');
        t.is(await send({ port: f.port, ruri: 'sip:b.example' }), '200 beta');
        t.is(await send({ port: f.port, ruri: 'sip:other.example' }), '200 main');
        t.is(await send({ port: f.port, ruri: 'sip:127.0.0.1' }), '200 main');
        // The socket rule wins over the domain: a.example arriving on beta's socket is beta's.
        t.is(await send({ port: f.port2, ruri: 'sip:a.example' }), '200 beta');
        t.is(await send({ port: f.port2, ruri: 'sip:other.example' }), '200 beta');

        const list = (await rpcCall(f.url, 'tenant.list')) as Record<string, unknown>[];
        t.is(list.length, 2);
        t.like(list[0], {
          name: 'alpha',
          routed: true,
          match: { domains: ['a.example'], sockets: [] },
          placement: 'isolated',
          version: 1,
          inFlight: 0,
        });
        t.like(list[1], {
          name: 'beta',
          routed: true,
          match: { domains: ['b.example'], sockets: [`udp:127.0.0.1:${f.port2}`] },
        });
        t.regex(String(list[0]!['engine']), /^lua/);
      },
    );
  },
);

test.serial('a socket rule that names no listener refuses to start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-tenants-'));
  writeFileSync(join(dir, 'main.lua'), luaScript('main'));
  writeFileSync(join(dir, 'x.lua'), luaScript('x'));
  await t.throwsAsync(
    startPolysip({
      listen: ['udp:127.0.0.1:0'],
      script: join(dir, 'main.lua'),
      log: pino({ level: 'silent' }),
      tenants: [
        {
          name: 'x',
          domains: [],
          sockets: ['udp:127.0.0.1:9'],
          script: join(dir, 'x.lua'),
          limits: {},
          trusted: false,
        },
      ],
    }),
    { message: /tenant "x": socket udp:127.0.0.1:9 is not a listening socket/ },
  );
});

test.serial(
  'a tenant sees only its own registrations, htables, $shv and subscribers',
  async (t) => {
    await withFixture(
      t,
      [
        { name: 'alpha', domains: ['a.example'] },
        { name: 'beta', domains: ['b.example'] },
      ],
      async (f) => {
        // alice registers through alpha; the AoR key is the user alone (use_domain 0), so only
        // the tenant namespace keeps beta and the main script from seeing her.
        t.is(await send({ port: f.port, ruri: 'sip:a.example', method: 'REGISTER' }), '200 OK');
        t.is(
          await send({ port: f.port, ruri: 'sip:alice@a.example', op: 'lookup' }),
          '200 found alpha',
        );
        t.is(
          await send({ port: f.port, ruri: 'sip:alice@b.example', op: 'lookup' }),
          '404 not found beta',
        );
        t.is(
          await send({ port: f.port, ruri: 'sip:alice@127.0.0.1', op: 'lookup' }),
          '404 not found main',
        );
        t.deepEqual(
          f.app.storage.usrloc.entries().map(([aor]) => aor),
          ['alpha/alice'],
          'stored under the tenant prefix',
        );

        // htable and $shv: each writer reads back its own value, the others see nothing.
        t.is(await send({ port: f.port, ruri: 'sip:a.example', op: 'set' }), '200 set alpha');
        t.is(
          await send({ port: f.port, ruri: 'sip:a.example', op: 'get' }),
          '200 shv=alpha sht=alpha',
        );
        t.is(await send({ port: f.port, ruri: 'sip:b.example', op: 'get' }), '200 shv=0 sht=nil');
        t.is(await send({ port: f.port, ruri: 'sip:127.0.0.1', op: 'get' }), '200 shv=0 sht=nil');
        t.is(await send({ port: f.port, ruri: 'sip:b.example', op: 'set' }), '200 set beta');
        t.is(
          await send({ port: f.port, ruri: 'sip:a.example', op: 'get' }),
          '200 shv=alpha sht=alpha',
        );
        t.is(
          await send({ port: f.port, ruri: 'sip:b.example', op: 'get' }),
          '200 shv=beta sht=beta',
        );

        // Subscribers: alice@a.example exists; only alpha (which owns a.example) and the main
        // script may see or authenticate her.
        await f.app.storage.store.subscribers.put(
          subscriberRow({ user: 'alice', domain: 'a.example' }, 'secret', false),
        );
        t.is(await send({ port: f.port, ruri: 'sip:a.example', op: 'subscriber' }), '200 sub=1');
        t.is(await send({ port: f.port, ruri: 'sip:b.example', op: 'subscriber' }), '200 sub=-1');
        t.is(await send({ port: f.port, ruri: 'sip:127.0.0.1', op: 'subscriber' }), '200 sub=1');
        const cred =
          'Proxy-Authorization: Digest username="alice", realm="a.example", nonce="bm9uY2U", ' +
          'uri="sip:a.example", response="00000000000000000000000000000000"\r\n';
        // beta: the user is unknown to it (-3) before any password check; alpha finds her and
        // refuses the (bogus) nonce or response instead.
        t.is(
          await send({ port: f.port, ruri: 'sip:b.example', op: 'auth', extra: cred }),
          '200 auth=-3',
        );
        const alpha = await send({ port: f.port, ruri: 'sip:a.example', op: 'auth', extra: cred });
        t.regex(alpha, /^200 auth=-\d$/);
        t.not(alpha, '200 auth=-3');
      },
    );
  },
);

test.serial(
  'a tenant that loops, throws or allocates without bound leaves the others answering',
  async (t) => {
    await withFixture(
      t,
      [
        { name: 'alpha', domains: ['a.example'] },
        { name: 'beta', domains: ['b.example'] },
        // QuickJS's heap limit holds in the SIP thread, so this one can be trusted (in-thread).
        {
          name: 'gamma',
          domains: ['c.example'],
          engine: 'js',
          trusted: true,
          limits: { memoryBytes: 8 << 20, cpuMs: 10_000 },
        },
      ],
      async (f) => {
        for (let round = 0; round < 2; round++) {
          // Generous timeouts: an in-thread runaway holds the SIP thread for its whole budget,
          // and this machine may be loaded; what is asserted is that everyone gets an answer.
          const [loop, other, thrown, bomb, other2] = await Promise.all([
            send({ port: f.port, ruri: 'sip:a.example', op: 'loop', timeoutMs: 20000 }),
            send({ port: f.port, ruri: 'sip:b.example', timeoutMs: 20000 }),
            send({ port: f.port, ruri: 'sip:a.example', op: 'throw', timeoutMs: 20000 }),
            send({ port: f.port, ruri: 'sip:c.example', op: 'bomb', timeoutMs: 20000 }),
            send({ port: f.port, ruri: 'sip:b.example', timeoutMs: 20000 }),
          ]);
          t.is(loop, '500 Server Internal Error', `round ${round}: the loop is cut by its budget`);
          t.is(thrown, '500 Server Internal Error', `round ${round}: the error answers 500`);
          t.is(bomb, '500 Server Internal Error', `round ${round}: the heap limit ends the bomb`);
          t.is(other, '200 beta', `round ${round}: beta answered meanwhile`);
          t.is(other2, '200 beta');
          // The broken tenants keep serving their ordinary requests.
          t.is(await send({ port: f.port, ruri: 'sip:a.example' }), '200 alpha');
          t.is(await send({ port: f.port, ruri: 'sip:c.example' }), '200 gamma');
        }
        const errors = f.logs.filter((l) => /script (error|aborted)/.test(String(l['msg'])));
        t.true(errors.some((l) => l['tenant'] === 'alpha' && /boom alpha/.test(String(l['msg']))));
        t.true(errors.some((l) => l['tenant'] === 'alpha' && l['reason'] === 'cpu'));
        t.true(errors.some((l) => l['tenant'] === 'gamma' && l['reason'] === 'memory'));
        t.false(errors.some((l) => l['tenant'] === 'beta'));
      },
      200,
    );
  },
);

(luaIsolated ? test.serial : test.serial.skip)(
  'an isolated Lua tenant that allocates without bound ends only its worker',
  async (t) => {
    await withFixture(
      t,
      [
        // A CPU budget long enough for the heap limit to be what stops it.
        {
          name: 'alpha',
          domains: ['a.example'],
          limits: { memoryBytes: 16 << 20, cpuMs: 60_000 },
        },
        { name: 'beta', domains: ['b.example'] },
      ],
      async (f) => {
        const [bomb, other] = await Promise.all([
          send({ port: f.port, ruri: 'sip:a.example', op: 'bomb', timeoutMs: 40000 }),
          send({ port: f.port, ruri: 'sip:b.example', timeoutMs: 20000 }),
        ]);
        t.is(bomb, '500 Server Internal Error');
        t.is(other, '200 beta');
        t.is(await send({ port: f.port, ruri: 'sip:a.example', timeoutMs: 20000 }), '200 alpha');
        t.true(f.logs.some((l) => l['tenant'] === 'alpha' && l['reason'] === 'memory'));
      },
    );
  },
);

test.serial(
  'max_suspended: a tenant with that many routes in flight answers 503 + Retry-After; others unaffected',
  async (t) => {
    await withFixture(
      t,
      [
        { name: 'alpha', domains: ['a.example'], limits: { maxSuspended: 2 } },
        { name: 'beta', domains: ['b.example'] },
      ],
      async (f) => {
        // The first route takes the slot lock and keeps it; the next two wait on it (suspended).
        t.is(await send({ port: f.port, ruri: 'sip:a.example', op: 'wait' }), '200 passed alpha');
        // An isolated route may end a moment after its reply left.
        const settle = async (n: number): Promise<void> => {
          for (let i = 0; i < 500 && f.app.server.inFlight('alpha') !== n; i++) {
            await new Promise((r) => setTimeout(r, 10));
          }
        };
        await settle(0);
        t.is(f.app.server.inFlight('alpha'), 0);
        const waiting = [
          send({ port: f.port, ruri: 'sip:a.example', op: 'wait', timeoutMs: 400 }),
          send({ port: f.port, ruri: 'sip:a.example', op: 'wait', timeoutMs: 400 }),
        ];
        await settle(2);
        t.is(f.app.server.inFlight('alpha'), 2);
        const r = await udpExchange({
          to: { host: '127.0.0.1', port: f.port },
          message: request({ port: f.port, ruri: 'sip:a.example' }),
          timeoutMs: 3000,
        });
        const reply = r.responses[0]?.toString('latin1') ?? '';
        t.regex(reply, /^SIP\/2\.0 503 Service Unavailable\r\n/);
        t.regex(reply, /\r\nRetry-After: 5\r\n/);
        t.is(await send({ port: f.port, ruri: 'sip:b.example' }), '200 beta');
        t.is(await send({ port: f.port, ruri: 'sip:127.0.0.1' }), '200 main');
        t.deepEqual(await Promise.all(waiting), ['(no answer)', '(no answer)']);
        const list = (await rpcCall(f.url, 'tenant.list')) as { name: string; inFlight: number }[];
        t.is(list.find((x) => x.name === 'alpha')?.inFlight, 2);
        t.true(
          f.logs.some(
            (l) => l['tenant'] === 'alpha' && /too many routes in flight/.test(String(l['msg'])),
          ),
        );
      },
    );
  },
);

test.serial('reload and rollback are per tenant, over RPC and polysip ctl', async (t) => {
  await withFixture(
    t,
    [
      { name: 'alpha', domains: ['a.example'] },
      { name: 'beta', domains: ['b.example'] },
    ],
    async (f) => {
      const versions = async (tenant?: string): Promise<number[]> =>
        (
          (await rpcCall(f.url, 'script.version', tenant === undefined ? [] : [tenant])) as {
            version: number;
            state: string;
          }[]
        )
          .filter((v) => v.state === 'active')
          .map((v) => v.version);
      writeFileSync(f.file('alpha.lua'), luaScript('alpha-v2'));
      const r = (await rpcCall(f.url, 'script.reload', ['alpha'])) as {
        ok: boolean;
        version: number;
      };
      t.like(r, { ok: true, version: 2 });
      t.is(await send({ port: f.port, ruri: 'sip:a.example' }), '200 alpha-v2');
      t.is(await send({ port: f.port, ruri: 'sip:b.example' }), '200 beta');
      t.is(await send({ port: f.port, ruri: 'sip:127.0.0.1' }), '200 main');
      t.deepEqual(await versions('alpha'), [2]);
      t.deepEqual(await versions('beta'), [1], "beta's version is unchanged");
      t.deepEqual(await versions(), [1], "the main script's version is unchanged");

      // A broken version of beta is refused; beta keeps serving version 1.
      writeFileSync(f.file('beta.lua'), 'function ksr_request_route(\n');
      await t.throwsAsync(rpcCall(f.url, 'script.reload', { tenant: 'beta' }), {
        message: /beta\.lua:\d+/,
      });
      t.is(await send({ port: f.port, ruri: 'sip:b.example' }), '200 beta');
      await t.throwsAsync(rpcCall(f.url, 'script.reload', ['nosuch']), {
        message: /unknown tenant "nosuch"/,
      });

      t.like(await rpcCall(f.url, 'script.rollback', ['alpha']), { ok: true, version: 1 });
      t.is(await send({ port: f.port, ruri: 'sip:a.example' }), '200 alpha');
      t.deepEqual(await versions('beta'), [1]);

      // polysip ctl reload TENANT (the positional argument is the tenant).
      writeFileSync(f.file('alpha.lua'), luaScript('alpha-v3'));
      const out = await run(process.execPath, [POLYSIP, 'ctl', '--url', f.url, 'reload', 'alpha']);
      t.like(JSON.parse(out.stdout) as object, { ok: true, version: 3 });
      t.is(await send({ port: f.port, ruri: 'sip:a.example' }), '200 alpha-v3');
      const list = (await rpcCall(f.url, 'tenant.list')) as { name: string; version: number }[];
      t.deepEqual(
        list.map((x) => [x.name, x.version]),
        [
          ['alpha', 3],
          ['beta', 1],
        ],
      );
      // A file as the only positional parameter still means the main script (as before tenants).
      t.like(await rpcCall(f.url, 'script.reload', [f.file('main.lua')]), { ok: true, version: 2 });
      t.deepEqual(await versions('alpha'), [3]);
      const metrics = await f.app.metrics.text();
      t.regex(
        metrics,
        /^polysip_script_reloads_total\{kind="reload",result="ok",tenant="alpha"\} 2$/m,
      );
      t.regex(
        metrics,
        /^polysip_script_reloads_total\{kind="rollback",result="ok",tenant="alpha"\} 1$/m,
      );
      t.regex(
        metrics,
        /^polysip_script_reloads_total\{kind="reload",result="refused",tenant="beta"\} 1$/m,
      );
      t.regex(metrics, /^polysip_script_reloads_total\{kind="reload",result="ok"\} 1$/m);
    },
  );
});

test.serial('log lines carry the tenant', async (t) => {
  await withFixture(t, [{ name: 'alpha', domains: ['a.example'] }], async (f) => {
    t.is(await send({ port: f.port, ruri: 'sip:a.example', op: 'log' }), '200 alpha');
    t.is(await send({ port: f.port, ruri: 'sip:127.0.0.1', op: 'log' }), '200 main');
    const alpha = f.logs.find((l) => l['msg'] === 'hello from alpha');
    const main = f.logs.find((l) => l['msg'] === 'hello from main');
    t.like(alpha, { tenant: 'alpha', version: 1 });
    t.like(main, { tenant: '', version: 1 });
    t.regex(String(alpha?.['callId']), /^ten-\d+@127\.0\.0\.1$/);
    writeFileSync(f.file('alpha.lua'), luaScript('alpha-v2'));
    await rpcCall(f.url, 'script.reload', ['alpha']);
    t.like(
      f.logs.find((l) => l['msg'] === 'script reloaded'),
      { tenant: 'alpha', version: 2 },
    );
  });
});

const DISPATCH = (marker: string): string => `
-- ${marker}
function ksr_request_route()
  local u = KSR.pv.get("$rU")
  if u == "a-user" then KSR.pv.sets("$var(tenant)", "alpha") end
  if u == "b-user" then KSR.pv.sets("$var(tenant)", "${marker === 'v2' ? 'alpha' : 'beta'}") end
  if u == "ghost" then KSR.pv.sets("$var(tenant)", "nosuch") end
  if u == "crash" then error("dispatch boom") end
end
`;

test.serial(
  'a dispatch script picks the tenant when no socket or domain rule matched',
  async (t) => {
    await withFixture(
      t,
      [
        { name: 'alpha', domains: ['a.example'] },
        { name: 'beta', domains: ['b.example'] },
      ],
      async (f) => {
        t.is(await send({ port: f.port, ruri: 'sip:a-user@127.0.0.1' }), '200 alpha');
        t.is(await send({ port: f.port, ruri: 'sip:b-user@127.0.0.1' }), '200 beta');
        t.is(await send({ port: f.port, ruri: 'sip:other@127.0.0.1' }), '200 main');
        // Rules come first: the dispatch script is not asked for a.example.
        t.is(await send({ port: f.port, ruri: 'sip:b-user@a.example' }), '200 alpha');
        // An unknown name or a failing dispatch script leaves the request to the main script.
        t.is(await send({ port: f.port, ruri: 'sip:ghost@127.0.0.1' }), '200 main');
        t.is(await send({ port: f.port, ruri: 'sip:crash@127.0.0.1' }), '200 main');
        t.true(
          f.logs.some((l) => l['dispatch'] === true && /dispatch boom/.test(String(l['err']))),
        );
        t.true(
          f.logs.some((l) => l['tenant'] === 'nosuch' && /named no tenant/.test(String(l['msg']))),
        );
        // The dispatch script reloads like a tenant's, under the name @dispatch.
        writeFileSync(f.file('dispatch.lua'), DISPATCH('v2'));
        t.like(await rpcCall(f.url, 'script.reload', ['@dispatch']), { ok: true, version: 2 });
        t.is(await send({ port: f.port, ruri: 'sip:b-user@127.0.0.1' }), '200 alpha');
      },
      undefined,
      DISPATCH('v1'),
    );
  },
);
