/**
 * samples/multi-tenant/ as shipped: `polysip run --config` on it (only the sockets moved to
 * free loopback ports and the database to memory) serves both tenants, the Lua one and the
 * Python one, each with its own answer and its own digest realm, and the main script for the
 * rest.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { rpcCall } from '../core/mgmt/server.ts';
import { spawnTracked } from './kit/procs.ts';
import { udpExchange } from './kit/udp-client.ts';

const BIN = fileURLToPath(new URL('../bin/polysip.js', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../samples/multi-tenant/polysip.yaml', import.meta.url));

interface Announced {
  msg?: string;
  transport?: string;
  port?: number;
}

let seq = 0;
function request(port: number, method: string, ruri: string, to: string): string {
  const n = ++seq;
  return (
    `${method} ${ruri} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-mt-${n}\r\n` +
    `Max-Forwards: 70\r\nFrom: <${to}>;tag=f${n}\r\nTo: <${to}>\r\n` +
    `Call-ID: mt-${n}@127.0.0.1\r\nCSeq: 1 ${method}\r\n` +
    (method === 'REGISTER' ? `Contact: <sip:u@127.0.0.1:5999>;expires=60\r\n` : '') +
    `Content-Length: 0\r\n\r\n`
  );
}

async function ask(port: number, method: string, ruri: string, to = ruri): Promise<string> {
  const r = await udpExchange({
    to: { host: '127.0.0.1', port },
    message: request(port, method, ruri, to),
    timeoutMs: 10_000,
  });
  return r.responses[0]?.toString('latin1') ?? '(no answer)';
}

test('the multi-tenant sample answers for its Lua and its Python tenant', async (t) => {
  const p = spawnTracked(
    process.execPath,
    [
      BIN,
      'run',
      '--config',
      SAMPLE,
      '--listen',
      'udp:127.0.0.1:0',
      '--management',
      '127.0.0.1:0',
      '--db',
      'sqlite::memory:',
      '--log-level',
      'warn',
    ],
    { timeoutMs: 180_000 },
  );
  try {
    let sip = 0;
    let mgmt = 0;
    // Python's worker makes the start slow on a loaded machine: wait up to two minutes.
    for (let i = 0; i < 1200 && (sip === 0 || mgmt === 0) && p.alive; i++) {
      for (const line of p.stdout().split('\n')) {
        if (!line.startsWith('{')) continue;
        const a = JSON.parse(line) as Announced;
        if (a.msg === 'listening' && a.transport === 'udp') sip = a.port ?? 0;
        if (a.msg === 'management listening') mgmt = a.port ?? 0;
      }
      if (sip === 0 || mgmt === 0) await new Promise((r) => setTimeout(r, 100));
    }
    t.true(sip > 0 && mgmt > 0, `the server started: ${p.stderr()}`);

    const status = (reply: string): string => reply.split('\r\n')[0]!;
    t.is(status(await ask(sip, 'OPTIONS', 'sip:acme.example')), 'SIP/2.0 200 acme (lua)');
    t.is(status(await ask(sip, 'OPTIONS', 'sip:globex.example')), 'SIP/2.0 200 globex (python)');

    // Each tenant challenges REGISTERs for its own realm.
    const acme = await ask(sip, 'REGISTER', 'sip:acme.example', 'sip:alice@acme.example');
    t.regex(acme, /^SIP\/2\.0 401 /);
    t.regex(acme, /\r\nWWW-Authenticate: Digest realm="acme\.example"/i);
    const globex = await ask(sip, 'REGISTER', 'sip:globex.example', 'sip:bob@globex.example');
    t.regex(globex, /^SIP\/2\.0 401 /);
    t.regex(globex, /\r\nWWW-Authenticate: Digest realm="globex\.example"/i);

    const list = (await rpcCall(`http://127.0.0.1:${mgmt}/RPC`, 'tenant.list')) as {
      name: string;
      engine: string;
      routed: boolean;
      version: number;
    }[];
    t.deepEqual(
      list.map((x) => [x.name, x.routed, x.version]),
      [
        ['acme', true, 1],
        ['globex', true, 1],
      ],
    );
    t.regex(list[0]!.engine, /^lua/);
    t.regex(list[1]!.engine, /^python/);
  } finally {
    const r = await p.stop('SIGTERM', 5000);
    t.false(r.timedOut);
  }
});
