/**
 * The management listener over 127.0.0.1: JSON-RPC round trips (also through `polysip ctl`),
 * hot reload refused for a broken script with file:line while the old version keeps
 * answering, a self-test that refuses a version, rollback, the token, and /metrics after traffic.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../bin/app.ts';
import { RpcError, rpcCall } from '../core/mgmt/server.ts';
import { freeTcpPort } from './kit/ports.ts';
import { udpExchange } from './kit/udp-client.ts';

const POLYSIP = fileURLToPath(new URL('../bin/polysip.js', import.meta.url));
const run = promisify(execFile);

const answering = (reason: string): string =>
  `function ksr_request_route()\n  KSR.sl.sl_send_reply(200, "${reason}")\nend\n`;

interface Fixture {
  app: Polysip;
  dir: string;
  file: string;
  url: string;
}

async function start(
  opts: { token?: string; graceMs?: number; watch?: boolean } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-mgmt-'));
  const file = join(dir, 'route.lua');
  writeFileSync(file, answering('v1'));
  const app = await startPolysip({
    listen: ['udp:127.0.0.1:0'],
    script: file,
    log: pino({ level: 'silent' }),
    management: { listen: '127.0.0.1:0', token: opts.token ?? null },
    reloadGraceMs: opts.graceMs ?? 50,
    watch: opts.watch ?? false,
  });
  return { app, dir, file, url: `http://127.0.0.1:${app.management!.port}/RPC` };
}

let seq = 0;
async function options(app: Polysip): Promise<string> {
  const port = app.listeners[0]!.port;
  const n = ++seq;
  const msg =
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-mgmt-${n}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=a${n}\r\nTo: <sip:127.0.0.1>\r\n` +
    `Call-ID: mgmt-${n}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
  const r = await udpExchange({ to: { host: '127.0.0.1', port }, message: msg, timeoutMs: 2000 });
  const first = r.responses[0]?.toString('latin1').split('\r\n')[0] ?? '(no answer)';
  return first;
}

test('JSON-RPC round trip with Kamailio command names', async (t) => {
  const f = await start();
  try {
    t.regex((await rpcCall(f.url, 'core.version')) as string, /^polysip \d+\.\d+\.\d+/);
    const up = (await rpcCall(f.url, 'core.uptime')) as { uptime: number };
    t.true(up.uptime >= 0);
    t.deepEqual(await rpcCall(f.url, 'tm.stats'), {
      current: 0,
      servers: 0,
      clients: 0,
      timers: 0,
    });
    const v = (await rpcCall(f.url, 'script.version')) as { version: number; state: string }[];
    t.deepEqual(
      v.map((x) => [x.version, x.state]),
      [[1, 'active']],
    );
    // usrloc: a binding put through its API is seen, looked up and removed over RPC
    const ul = f.app.storage.usrloc;
    ul.put({
      ruid: 'r1',
      aor: 'alice',
      contact: 'sip:alice@127.0.0.1:5099',
      received: null,
      path: null,
      expires: ul.now() + 600,
      q: -1,
      callId: 'c1',
      cseq: 1,
      cflags: 0,
      userAgent: 'test',
      socket: null,
      methods: '',
      instance: null,
      regId: 0,
      lastModified: ul.now(),
    } as Parameters<typeof ul.put>[0]);
    const dump = (await rpcCall(f.url, 'ul.dump')) as { Domains: { AoRs: { AoR: string }[] }[] };
    t.deepEqual(
      dump.Domains[0]!.AoRs.map((a) => a.AoR),
      ['alice'],
    );
    const look = (await rpcCall(f.url, 'ul.lookup', ['location', 'alice'])) as {
      Contacts: { Contact: string }[];
    };
    t.is(look.Contacts[0]!.Contact, 'sip:alice@127.0.0.1:5099');
    t.deepEqual(await rpcCall(f.url, 'ul.rm', ['location', 'alice']), { AoR: 'alice', removed: 1 });
    const gone = await t.throwsAsync(rpcCall(f.url, 'ul.lookup', ['alice']), {
      instanceOf: RpcError,
    });
    t.regex(gone!.message, /not found/);
    t.deepEqual(await rpcCall(f.url, 'tenant.list'), []);
    const missing = await t.throwsAsync(rpcCall(f.url, 'no.such'), { instanceOf: RpcError });
    t.is(missing!.rpcCode, -32601);
    // malformed bodies get JSON-RPC errors, a batch gets an array
    const bad = await fetch(f.url, { method: 'POST', body: '{' });
    t.is(((await bad.json()) as { error: { code: number } }).error.code, -32700);
    const batch = await fetch(f.url, {
      method: 'POST',
      body: JSON.stringify([
        { jsonrpc: '2.0', method: 'tm.stats', id: 1 },
        { jsonrpc: '2.0', method: 'core.uptime' },
        { jsonrpc: '1.0', method: 'tm.stats', id: 3 },
      ]),
    });
    const arr = (await batch.json()) as {
      id: number;
      result?: unknown;
      error?: { code: number };
    }[];
    t.is(arr.length, 2);
    t.truthy(arr[0]!.result);
    t.is(arr[1]!.error?.code, -32600);
  } finally {
    await f.app.stop();
  }
});

test('polysip ctl talks to the management listener like kamcmd', async (t) => {
  const f = await start();
  try {
    const v = await run(process.execPath, [POLYSIP, 'ctl', '--url', f.url, 'core.version']);
    t.regex(v.stdout, /^polysip \d/);
    const r = await run(process.execPath, [POLYSIP, 'ctl', '--url', f.url, 'reload']);
    t.is((JSON.parse(r.stdout) as { version: number }).version, 2);
    writeFileSync(f.file, 'function ksr_request_route()\n  local x = = 1\nend\n');
    const e = await t.throwsAsync(
      run(process.execPath, [POLYSIP, 'ctl', '--url', f.url, 'reload']),
    );
    t.regex(
      (e as unknown as { stderr: string }).stderr,
      new RegExp(`${f.file.replace(/[.]/g, '\\.')}:2`),
    );
  } finally {
    await f.app.stop();
  }
});

test('polysip ctl as a user reads it: server down, help, a broken reload said once', async (t) => {
  type Failed = { stderr: string; code: number };
  // Nothing listens on a port found free a moment ago.
  const down = `http://127.0.0.1:${await freeTcpPort()}/RPC`;
  const off = (await t.throwsAsync(
    run(process.execPath, [POLYSIP, 'ctl', '--url', down, 'core.version']),
  )) as unknown as Failed;
  t.is(off.code, 1);
  t.is(
    off.stderr,
    `polysip ctl: no polysip management server is running at ${down} (connection refused).` +
      ' Is the server started (npx polysip run)? Otherwise give --url or --config.\n',
  );

  const f = await start();
  try {
    const help = await run(process.execPath, [POLYSIP, 'ctl', '--url', f.url, 'help']);
    const listed = help.stdout.trimEnd().split('\n');
    for (const m of ['core.version', 'script.reload', 'system.listMethods', 'ul.dump']) {
      t.true(listed.includes(m), `${m} in ${help.stdout}`);
    }
    t.deepEqual(listed, [...listed].sort());
    t.deepEqual(await rpcCall(f.url, 'system.listMethods'), listed);
    const unknown = (await t.throwsAsync(
      run(process.execPath, [POLYSIP, 'ctl', '--url', f.url, 'no.such']),
    )) as unknown as Failed;
    t.is(
      unknown.stderr,
      'polysip ctl: Method not found: no.such (`polysip ctl help` lists the methods)\n',
    );

    writeFileSync(f.file, 'function ksr_request_route()\n  local x = = 1\nend\n');
    const e = (await t.throwsAsync(
      run(process.execPath, [POLYSIP, 'ctl', '--url', f.url, 'reload']),
    )) as unknown as Failed;
    t.is(e.stderr, `polysip ctl: ${f.file}:2: unexpected symbol near '='\n`);
    const e2 = (await t.throwsAsync(
      run(process.execPath, [POLYSIP, 'ctl', '--url', f.url, 'reload', 'nosuch']),
    )) as unknown as Failed;
    t.is(e2.stderr, 'polysip ctl: unknown tenant "nosuch" (no tenants are configured)\n');
  } finally {
    await f.app.stop();
  }
});

test('a broken script is refused with file:line and the old version keeps answering; rollback', async (t) => {
  const f = await start();
  try {
    t.is(await options(f.app), 'SIP/2.0 200 v1');
    // syntax error on line 3
    writeFileSync(
      f.file,
      'function ksr_request_route()\n  KSR.sl.sl_send_reply(200, "v2")\n  if then\nend\n',
    );
    const e = await t.throwsAsync(rpcCall(f.url, 'script.reload'), { instanceOf: RpcError });
    t.regex(e!.message, new RegExp(`route\\.lua:3`));
    t.deepEqual(e!.data, { file: f.file, line: 3, version: 1 });
    t.is(await options(f.app), 'SIP/2.0 200 v1');
    // a script without the request route
    writeFileSync(f.file, 'function other() end\n');
    const e2 = await t.throwsAsync(rpcCall(f.url, 'script.reload'), { instanceOf: RpcError });
    t.regex(e2!.message, /ksr_request_route/);
    // a failing self-test refuses the version, at the line of the error
    writeFileSync(
      f.file,
      answering('v2') +
        'function ksr_selftest()\n  if KSR.is_OPTIONS() then\n    error("boom")\n  end\nend\n',
    );
    const e3 = await t.throwsAsync(rpcCall(f.url, 'script.reload'), { instanceOf: RpcError });
    t.regex(e3!.message, /route\.lua:6.*ksr_selftest failed.*boom/);
    t.is(await options(f.app), 'SIP/2.0 200 v1');
    // a good one goes live, with a passing self-test
    writeFileSync(
      f.file,
      answering('v2') + 'function ksr_selftest()\n  KSR.sl.sl_send_reply(200, "ok")\nend\n',
    );
    const ok = (await rpcCall(f.url, 'script.reload')) as { version: number; previous: number };
    t.is(ok.previous, 1);
    t.is(await options(f.app), 'SIP/2.0 200 v2');
    // rollback returns to v1, once
    const back = (await rpcCall(f.url, 'script.rollback')) as { version: number };
    t.is(back.version, 1);
    t.is(await options(f.app), 'SIP/2.0 200 v1');
    await t.throwsAsync(rpcCall(f.url, 'script.rollback'), { message: /no previous version/ });
    // the rolled-back-from version is freed after its grace period
    await new Promise((r) => setTimeout(r, 120));
    const states = ((await rpcCall(f.url, 'script.version')) as { state: string }[]).map(
      (v) => v.state,
    );
    t.deepEqual(states, ['active']);
  } finally {
    await f.app.stop();
  }
});

test('/metrics has the counters after traffic; a token is required when set', async (t) => {
  const f = await start({ token: 'tok3n' });
  try {
    const base = `http://127.0.0.1:${f.app.management!.port}`;
    t.is((await fetch(`${base}/metrics`)).status, 401);
    await t.throwsAsync(rpcCall(f.url, 'core.version'), { message: /unauthorized/ });
    t.regex((await rpcCall(f.url, 'core.version', [], 'tok3n')) as string, /polysip/);
    for (let i = 0; i < 3; i++) t.is(await options(f.app), 'SIP/2.0 200 v1');
    writeFileSync(f.file, 'function ksr_request_route()\n  error("bad")\nend\n');
    await rpcCall(f.url, 'script.reload', [], 'tok3n');
    t.is(await options(f.app), 'SIP/2.0 500 Server Internal Error');
    const res = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer tok3n' } });
    t.is(res.status, 200);
    const text = await res.text();
    t.regex(text, /^polysip_sip_requests_received_total\{method="OPTIONS"\} 4$/m);
    t.regex(text, /^polysip_sip_replies_sent_total\{code="200"\} 3$/m);
    t.regex(text, /^polysip_sip_replies_sent_total\{code="500"\} 1$/m);
    t.regex(text, /^polysip_script_errors_total\{tenant="",engine="lua"\} 1$/m);
    t.regex(text, /^polysip_script_reloads_total\{kind="reload",result="ok"\} 1$/m);
    t.regex(
      text,
      /^polysip_route_duration_seconds_count\{tenant="",engine="lua",route="ksr_request_route"\} 4$/m,
    );
    t.regex(text, /^polysip_transactions_in_flight\{kind="server"\} \d+$/m);
    t.regex(text, /^polysip_registrations 0$/m);
    const stats = (await rpcCall(
      f.url,
      'stats.get_statistics',
      ['requests_received'],
      'tok3n',
    )) as string[];
    t.deepEqual(stats, ['polysip_sip_requests_received_total{method=OPTIONS} = 4']);
  } finally {
    await f.app.stop();
  }
});

test('the file watcher (opt-in) reloads on save and refuses a broken save', async (t) => {
  const f = await start({ watch: true });
  try {
    writeFileSync(f.file, answering('v2'));
    const deadline = Date.now() + 5000;
    while (f.app.scripts.current().version === 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    t.is(f.app.scripts.current().version, 2);
    t.is(await options(f.app), 'SIP/2.0 200 v2');
    writeFileSync(f.file, 'function ksr_request_route(\n');
    await new Promise((r) => setTimeout(r, 600));
    t.is(f.app.scripts.current().version, 2);
    t.is(await options(f.app), 'SIP/2.0 200 v2');
  } finally {
    await f.app.stop();
  }
});

test('htable and pike functions are served on the management endpoint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-mgmt-'));
  const file = join(dir, 'route.lua');
  // The script stores one item per request and counts the source with pike.
  writeFileSync(
    file,
    'function ksr_request_route()\n' +
      '  KSR.htable.sht_sets("mgmt", "seen", KSR.pv.get("$ci"))\n' +
      '  KSR.pike.pike_check_req()\n' +
      '  KSR.sl.sl_send_reply(200, "stored")\n' +
      'end\n',
  );
  const app = await startPolysip({
    listen: ['udp:127.0.0.1:0'],
    script: file,
    log: pino({ level: 'silent' }),
    management: { listen: '127.0.0.1:0', token: null },
    modparams: { htable: { htable: 'mgmt=>size=4' } },
  });
  const url = `http://127.0.0.1:${app.management!.port}/RPC`;
  try {
    t.is(await options(app), 'SIP/2.0 200 stored');
    const got = (await rpcCall(url, 'htable.get', ['mgmt', 'seen'])) as unknown;
    t.regex(JSON.stringify(got), /"value":"mgmt-\d+@127\.0\.0\.1"/);
    await rpcCall(url, 'htable.sets', ['mgmt', 'k', 'v']);
    t.regex(JSON.stringify(await rpcCall(url, 'htable.dump', ['mgmt'])), /"k"[^}]*"v"/);
    const err = await rpcCall(url, 'htable.get', ['no_such_table', 'k']).catch((e: unknown) => e);
    t.true(err instanceof RpcError);
    const top = (await rpcCall(url, 'pike.top', ['ALL'])) as { ip: string; status: string }[];
    t.true(
      top.some((r) => r.ip === '127.0.0.1' && r.status === 'OK'),
      JSON.stringify(top),
    );
    t.deepEqual(await rpcCall(url, 'pike.top'), [], 'nothing is blocked');
  } finally {
    await app.stop();
  }
});
