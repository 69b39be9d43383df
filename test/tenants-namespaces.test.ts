/**
 * Tenant namespaces of the modules tenants share, over real UDP on 127.0.0.1: auth_guard
 * counters, group membership, pike_check_ip, and ul.* over the management endpoint. Serial:
 * the built-in htable and pike trackers are one per process.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../bin/app.ts';
import { rpcCall } from '../core/mgmt/server.ts';
import { udpExchange } from './kit/udp-client.ts';

const script = (tag: string): string => `
function ksr_request_route()
  local op = KSR.hdr.get("X-Op") or ""
  if KSR.pv.get("$rm") == "REGISTER" then
    KSR.registrar.save("location", 0)
    return
  end
  if op == "fail" then
    KSR.sl.sl_send_reply(200, "n=" .. KSR.auth_guard.record_failure())
    return
  end
  if op == "blocked" then
    KSR.sl.sl_send_reply(200, "blocked=" .. KSR.auth_guard.is_blocked())
    return
  end
  if op == "group" then
    KSR.sl.sl_send_reply(200, "a=" .. KSR.group.is_user_in("sip:alice@a.example", "vip") ..
      " b=" .. KSR.group.is_user_in("sip:alice@b.example", "vip"))
    return
  end
  if op == "pike1" then
    KSR.sl.sl_send_reply(200, "pike=" .. KSR.pike.pike_check_ip("192.0.2.7"))
    return
  end
  if op == "pike" then
    local r = 0
    for i = 1, 40 do r = KSR.pike.pike_check_ip("192.0.2.7") end
    KSR.sl.sl_send_reply(200, "pike=" .. r)
    return
  end
  KSR.sl.sl_send_reply(200, "${tag}")
end
`;

interface Fixture {
  app: Polysip;
  port: number;
  url: string;
}

async function start(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-tenant-ns-'));
  const file = (n: string): string => join(dir, n);
  for (const n of ['main', 'alpha', 'beta']) writeFileSync(file(`${n}.lua`), script(n));
  const tenant = (name: string, domain: string) => ({
    name,
    domains: [domain],
    sockets: [],
    script: file(`${name}.lua`),
    limits: {},
    trusted: true,
  });
  const app = await startPolysip({
    listen: ['udp:127.0.0.1:0'],
    script: file('main.lua'),
    log: pino({ level: 'silent' }),
    management: { listen: '127.0.0.1:0', token: null },
    tenants: [tenant('alpha', 'a.example'), tenant('beta', 'b.example')],
    dispatch: null,
  });
  return {
    app,
    port: app.listeners[0]!.port,
    url: `http://127.0.0.1:${app.management!.port}/RPC`,
  };
}

let seq = 0;

/** Sends one request; returns the reply's status line without "SIP/2.0 ". */
async function send(port: number, ruri: string, op: string, to = ruri): Promise<string> {
  const n = ++seq;
  const method = op === 'register' ? 'REGISTER' : 'OPTIONS';
  // The same user name in both realms' credentials is what a brute-forcer of one tenant sends.
  const cred =
    op === 'fail' || op === 'blocked'
      ? 'Authorization: Digest username="alice", realm="shared.example", nonce="bm9uY2U", ' +
        'uri="sip:x", response="00000000000000000000000000000000"\r\n'
      : '';
  const msg =
    `${method} ${ruri} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-ns-${n}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=f${n}\r\nTo: <${to}>\r\n` +
    `Call-ID: ns-${n}@127.0.0.1\r\nCSeq: 1 ${method}\r\nX-Op: ${op}\r\n` +
    (method === 'REGISTER' ? 'Contact: <sip:alice@127.0.0.1:5999>;expires=600\r\n' : '') +
    cred +
    'Content-Length: 0\r\n\r\n';
  const r = await udpExchange({ to: { host: '127.0.0.1', port }, message: msg, timeoutMs: 3000 });
  const text = r.responses[0]?.toString('latin1');
  return text ? text.split('\r\n')[0]!.replace(/^SIP\/2\.0 /, '') : '(no answer)';
}

async function withServer(body: (f: Fixture) => Promise<void>): Promise<void> {
  const f = await start();
  try {
    await body(f);
  } finally {
    await f.app.stop();
  }
}

test.serial(
  "one tenant's auth failures do not block another tenant's user of the same name",
  async (t) => {
    await withServer(async (f) => {
      for (let i = 1; i <= 5; i++) t.is(await send(f.port, 'sip:a.example', 'fail'), `200 n=${i}`);
      t.is(await send(f.port, 'sip:a.example', 'blocked'), '200 blocked=1');
      // Same source address, same username and realm in the credentials: beta is unaffected,
      // and so is the main script.
      t.is(await send(f.port, 'sip:b.example', 'blocked'), '200 blocked=-1');
      t.is(await send(f.port, 'sip:127.0.0.1', 'blocked'), '200 blocked=-1');
      t.is(await send(f.port, 'sip:b.example', 'fail'), '200 n=1');
    });
  },
);

test.serial('a tenant sees group membership only of users in its own domains', async (t) => {
  await withServer(async (f) => {
    await f.app.storage.store.groups.add('alice', 'a.example', 'vip');
    await f.app.storage.store.groups.add('alice', 'b.example', 'vip');
    t.is(await send(f.port, 'sip:a.example', 'group'), '200 a=1 b=-1');
    t.is(await send(f.port, 'sip:b.example', 'group'), '200 a=-1 b=1');
    t.is(await send(f.port, 'sip:127.0.0.1', 'group'), '200 a=1 b=1');
  });
});

test.serial('pike_check_ip in one tenant does not block the address for another', async (t) => {
  await withServer(async (f) => {
    t.is(await send(f.port, 'sip:a.example', 'pike'), '200 pike=-1');
    // alpha's 40 hits blocked the address in alpha's tracker only: beta and the main script
    // still see it as ok.
    t.is(await send(f.port, 'sip:b.example', 'pike1'), '200 pike=1');
    t.is(await send(f.port, 'sip:127.0.0.1', 'pike1'), '200 pike=1');
    t.deepEqual(
      await rpcCall(f.url, 'pike.top', ['HOT']),
      [],
      'the shared tracker (pike.top) holds nothing a tenant named',
    );
  });
});

test.serial(
  'ul.dump, ul.lookup and ul.rm take a tenant as TENANT/location or as last param',
  async (t) => {
    await withServer(async (f) => {
      t.is(await send(f.port, 'sip:a.example', 'register', 'sip:alice@a.example'), '200 OK');
      t.is(await send(f.port, 'sip:b.example', 'register', 'sip:alice@b.example'), '200 OK');
      t.is(await send(f.port, 'sip:127.0.0.1', 'register', 'sip:alice@127.0.0.1'), '200 OK');

      const dump = (await rpcCall(f.url, 'ul.dump')) as {
        Domains: { Domain: string; AoRs: { AoR: string }[] }[];
      };
      t.deepEqual(
        dump.Domains.map((d) => [d.Domain, d.AoRs.map((a) => a.AoR)]),
        [
          ['location', ['alice']],
          ['alpha/location', ['alice']],
          ['beta/location', ['alice']],
        ],
      );
      const only = (await rpcCall(f.url, 'ul.dump', ['beta'])) as { Domains: { Domain: string }[] };
      t.deepEqual(
        only.Domains.map((d) => d.Domain),
        ['beta/location'],
      );
      // Kamailio's `ul.dump brief` keeps working, with or without a tenant.
      const brief = (await rpcCall(f.url, 'ul.dump', ['brief', 'beta'])) as {
        Domains: { Domain: string; AoRs: { Contacts: Record<string, unknown>[] }[] }[];
      };
      t.deepEqual(
        brief.Domains.map((d) => [d.Domain, Object.keys(d.AoRs[0]!.Contacts[0]!).sort()]),
        [['beta/location', ['Contact', 'Expires']]],
      );
      const named = (await rpcCall(f.url, 'ul.dump', { tenant: 'alpha' })) as typeof only;
      t.deepEqual(
        named.Domains.map((d) => d.Domain),
        ['alpha/location'],
      );

      type Look = { AoR: string; Contacts: { Contact: string }[] };
      const main = (await rpcCall(f.url, 'ul.lookup', ['location', 'alice'])) as Look;
      t.is(main.AoR, 'alice');
      const a1 = (await rpcCall(f.url, 'ul.lookup', ['alpha/location', 'alice'])) as Look;
      const a2 = (await rpcCall(f.url, 'ul.lookup', ['location', 'alice', 'alpha'])) as Look;
      const a3 = (await rpcCall(f.url, 'ul.lookup', { aor: 'alice', tenant: 'alpha' })) as Look;
      t.deepEqual(a1, a2);
      t.deepEqual(a1, a3);
      t.is(a1.Contacts.length, 1);

      await t.throwsAsync(rpcCall(f.url, 'ul.lookup', ['location', 'alice', 'nobody']), {
        message: /unknown tenant "nobody"/,
      });
      await t.throwsAsync(rpcCall(f.url, 'ul.lookup', ['alpha/location', 'alice', 'beta']), {
        message: /not tenant beta's/,
      });

      t.deepEqual(await rpcCall(f.url, 'ul.rm', ['beta/location', 'alice']), {
        AoR: 'alice',
        removed: 1,
      });
      await t.throwsAsync(rpcCall(f.url, 'ul.lookup', ['alice', 'beta']), { message: /not found/ });
      // alpha's and the main script's alice are still there.
      t.is(((await rpcCall(f.url, 'ul.lookup', ['alice', 'alpha'])) as Look).AoR, 'alice');
      t.is(((await rpcCall(f.url, 'ul.lookup', ['alice'])) as Look).AoR, 'alice');
    });
  },
);
