/**
 * `polysip run` as a user starts it: without --trusted the script runs isolated in a worker, and
 * the server behaves as it does in-thread. The default Lua script answers REGISTER with 401; a
 * script error answers 500 and logs file:line with the Call-ID; a route over its CPU budget
 * answers 500; a pattern match no hook can stop ends only the worker (in the SIP thread it would
 * hang the server: that is what shows the placement); SIGHUP reloads the script.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked, type TrackedProcess } from './kit/procs.ts';
import { udpExchange } from './kit/udp-client.ts';

const BIN = fileURLToPath(new URL('../bin/polysip.js', import.meta.url));

interface LogLine {
  level?: number;
  msg?: string;
  transport?: string;
  port?: number;
  callId?: string;
  file?: string;
  line?: number;
}

function start(args: string[]): TrackedProcess {
  return spawnTracked(
    process.execPath,
    [
      BIN,
      'run',
      '--listen',
      'udp:127.0.0.1:0',
      '--management',
      'off',
      '--db',
      'sqlite::memory:',
    ].concat(args),
    { timeoutMs: 120_000 },
  );
}

function lines(p: TrackedProcess): LogLine[] {
  return p
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

async function sipPort(p: TrackedProcess): Promise<number> {
  for (let i = 0; i < 600 && p.alive; i++) {
    const l = lines(p).find((x) => x.msg === 'listening' && x.transport === 'udp');
    if (l?.port) return l.port;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not start: ${p.stderr()}`);
}

let seq = 0;
async function ask(
  port: number,
  method: string,
  headers: string[] = [],
): Promise<{ status: string; callId: string }> {
  const n = ++seq;
  const callId = `cli-${process.pid}-${n}@127.0.0.1`;
  const msg =
    `${method} sip:127.0.0.1 SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-cli-${n}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=f${n}\r\nTo: <sip:alice@127.0.0.1>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 ${method}\r\n` +
    (method === 'REGISTER' ? 'Contact: <sip:alice@127.0.0.1:5999>;expires=60\r\n' : '') +
    headers.map((h) => `${h}\r\n`).join('') +
    'Content-Length: 0\r\n\r\n';
  const r = await udpExchange({ to: { host: '127.0.0.1', port }, message: msg, timeoutMs: 5000 });
  const status = r.responses[0]?.toString('latin1').split('\r\n')[0] ?? '(no answer)';
  return { status, callId };
}

test('npm start (no --trusted): the default Lua script, isolated, answers REGISTER with 401', async (t) => {
  const p = start([]);
  try {
    const port = await sipPort(p);
    t.is((await ask(port, 'REGISTER')).status, 'SIP/2.0 401 Unauthorized');
  } finally {
    await p.stop('SIGTERM', 5000);
  }
});

const script = (reason: string): string => `
function ksr_request_route()
  local c = KSR.hdr.get("X-Case")
  if c == "error" then
    local t = nil
    return t.field
  elseif c == "spin" then
    while true do end
  elseif c == "pattern" then
    string.find(string.rep("a", 30), string.rep("a?", 30) .. string.rep("a", 30) .. "b")
  end
  KSR.sl.sl_send_reply(200, "${reason}")
end
`;

test('isolated by default: script errors, CPU budget, a worker-only abort, and SIGHUP reload', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-cli-'));
  const file = join(dir, 'route.lua');
  writeFileSync(file, script('v1'));
  const p = start(['--script', file, '--cpu-ms', '100']);
  try {
    const port = await sipPort(p);
    t.is((await ask(port, 'OPTIONS')).status, 'SIP/2.0 200 v1');

    const err = await ask(port, 'OPTIONS', ['X-Case: error']);
    t.is(err.status, 'SIP/2.0 500 Server Internal Error');
    let logged: LogLine | undefined;
    for (let i = 0; i < 50 && logged === undefined; i++) {
      logged = lines(p).find((l) => l.callId === err.callId && l.level === 50);
      if (logged === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    t.truthy(logged, 'an error line with the Call-ID');
    t.regex(String(logged?.msg), /route\.lua:6:/);
    t.is(logged?.file, file);
    t.is(logged?.line, 6);

    const t0 = performance.now();
    t.is(
      (await ask(port, 'OPTIONS', ['X-Case: spin'])).status,
      'SIP/2.0 500 Server Internal Error',
    );
    t.is(
      (await ask(port, 'OPTIONS', ['X-Case: pattern'])).status,
      'SIP/2.0 500 Server Internal Error',
    );
    t.true(performance.now() - t0 < 5000);
    t.is((await ask(port, 'OPTIONS')).status, 'SIP/2.0 200 v1', 'still serving');

    writeFileSync(file, script('v2'));
    process.kill(p.pid, 'SIGHUP');
    let status = '';
    for (let i = 0; i < 100 && status !== 'SIP/2.0 200 v2'; i++) {
      status = (await ask(port, 'OPTIONS')).status;
      if (status !== 'SIP/2.0 200 v2') await new Promise((r) => setTimeout(r, 100));
    }
    t.is(status, 'SIP/2.0 200 v2', 'SIGHUP reloaded the script');
  } finally {
    await p.stop('SIGTERM', 5000);
  }
});
