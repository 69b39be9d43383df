/**
 * What a first-time user runs, as README.md and samples/ write it: `user add`, `npm start`
 * with the flags the README shows, a REGISTER from a phone, Ctrl-C; the documented sample
 * config with its tenant; and the command name the docs use. Each command is spawned as a
 * user would run it, only moved to free loopback ports and a temporary database.
 */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked, type TrackedProcess } from './kit/procs.ts';
import { registerWithDigest } from './kit/register.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin/polysip.js');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'polysip-first-run-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

interface LogLine {
  msg?: string;
  transport?: string;
  port?: number;
  script?: string;
  db?: string;
  domains?: string[];
  signal?: string;
}

/** The lines of the README's sh code blocks, comments and continuation backslashes removed. */
function shellLines(md: string): string[] {
  const out: string[] = [];
  for (const block of md.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    for (const line of block[1]!.split('\n')) {
      const cmd = line.replace(/\s+#.*$/, '').trim();
      if (cmd !== '') out.push(cmd);
    }
  }
  return out;
}

/** `npx polysip ARGS` / `npm start -- ARGS` as the README writes them → argv for bin/polysip.js. */
function argvOf(cmd: string): string[] {
  const words = cmd.split(/\s+/);
  if (words[0] === 'npx' && words[1] === 'polysip') return words.slice(2);
  if (words[0] === 'npm' && words[1] === 'start')
    return ['run', ...words.slice(words[2] === '--' ? 3 : 2)];
  throw new Error(`not a polysip command: ${cmd}`);
}

function logLines(p: TrackedProcess): LogLine[] {
  return p
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

async function started(p: TrackedProcess): Promise<{ port: number; start: LogLine }> {
  for (let i = 0; i < 1200 && p.alive; i++) {
    const ls = logLines(p);
    const port = ls.find((x) => x.msg === 'listening' && x.transport === 'udp')?.port;
    const start = ls.find((x) => x.msg?.startsWith('polysip started'));
    if (port && start) return { port, start };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not start: ${p.stderr()}`);
}

const cli = (args: string[], env?: NodeJS.ProcessEnv) =>
  spawnTracked(process.execPath, [BIN, ...args], { timeoutMs: 60_000, env, cwd: ROOT }).done;

const serverArgs = (db: string): string[] => [
  '--listen',
  'udp:127.0.0.1:0',
  '--management',
  'off',
  '--db',
  db,
];

test('README: user add alice@example.com, npm start as shown, a REGISTER is challenged then registered', async (t) => {
  const lines = shellLines(README);
  const add = lines.find((l) => l.startsWith('npx polysip user add alice@example.com '));
  const start = lines.find((l) => l.startsWith('npm start --'));
  t.truthy(add, 'the README adds alice@example.com');
  t.truthy(start, 'the README shows how to start the server for her domain');
  t.true(lines.includes('npm ci && npm start'), 'the set-up command is unchanged');
  const password = argvOf(add!)[3]!;
  const db = `sqlite:${join(dir, 'readme.db')}`;

  // The default configuration serves 127.0.0.1 only: user add says so, and how to fix it.
  const added = await cli([...argvOf(add!), '--db', db]);
  t.is(added.code, 0, added.stderr);
  t.is(added.stdout, 'added alice@example.com\n');
  t.is(
    added.stderr,
    'polysip: warning: example.com is not a domain the default configuration serves ' +
      '(127.0.0.1); start the server with --alias example.com (or list it under aliases: in ' +
      'polysip.yaml), or REGISTERs for alice@example.com get 403 Not relaying\n',
  );
  const quiet = await cli(['user', 'add', 'bob@127.0.0.1', 'pw', '--db', db]);
  t.is(quiet.stderr, '', 'no warning for a served domain');

  const p = spawnTracked(process.execPath, [BIN, ...argvOf(start!), ...serverArgs(db)], {
    timeoutMs: 120_000,
    cwd: ROOT,
  });
  try {
    const s = await started(p);
    t.is(s.start.script, join(ROOT, 'scripts/default.lua'));
    t.is(s.start.db, db);
    t.deepEqual(s.start.domains, ['127.0.0.1', 'example.com']);
    const r = await registerWithDigest({ port: s.port, aor: 'alice@example.com', password });
    t.deepEqual(r.statuses, ['SIP/2.0 401 Unauthorized', 'SIP/2.0 200 OK']);
    t.is(r.realm, 'example.com');
  } finally {
    const end = await p.stop('SIGTERM', 10_000);
    t.is(end.code, 0, end.stderr);
    t.deepEqual(
      logLines(p)
        .filter((l) => l.signal !== undefined)
        .map((l) => l.msg),
      ['stopping', 'stopped'],
    );
  }
});

test('npm start on the defaults logs the domains it serves: another domain is not its own', async (t) => {
  const db = `sqlite:${join(dir, 'defaults.db')}`;
  t.is((await cli(['user', 'add', 'alice@example.com', 'secret', '--db', db])).code, 0);
  const p = spawnTracked(process.execPath, [BIN, 'run', ...serverArgs(db)], {
    timeoutMs: 120_000,
    cwd: ROOT,
  });
  try {
    const s = await started(p);
    t.deepEqual(s.start.domains, ['127.0.0.1']);
    t.regex(s.start.msg!, /serving 127\.0\.0\.1 \(add domains with --alias\)$/);
    const r = await registerWithDigest({
      port: s.port,
      aor: 'alice@example.com',
      password: 'secret',
    });
    t.deepEqual(r.statuses, ['SIP/2.0 401 Unauthorized', 'SIP/2.0 403 Not relaying']);
  } finally {
    await p.stop('SIGTERM', 10_000);
  }
});

test('samples/polysip.yaml: its secret is documented and named when unset; acme registers its own users', async (t) => {
  const sample = join(ROOT, 'samples/polysip.yaml');
  t.regex(README, /POLYSIP_AUTH_SECRET/, 'the README says the sample needs the variable');
  const { POLYSIP_AUTH_SECRET: _unset, ...without } = process.env;
  const db = `sqlite:${join(dir, 'sample.db')}`;
  const bare = await cli(['run', '--config', sample, ...serverArgs(db)], without);
  t.is(bare.code, 1);
  t.regex(
    bare.stderr,
    /polysip\.yaml:\d+: modules\.auth\.secret: environment variable POLYSIP_AUTH_SECRET is not set .*export POLYSIP_AUTH_SECRET=/,
  );

  const env = { ...without, POLYSIP_AUTH_SECRET: 'first-run-test' };
  const added = await cli(
    ['user', 'add', 'alice@acme.example', 'secret', '--config', sample, '--db', db],
    env,
  );
  t.is(added.code, 0, added.stderr);
  t.is(added.stderr, '', 'acme.example is a domain the sample serves');
  const p = spawnTracked(process.execPath, [BIN, 'run', '--config', sample, ...serverArgs(db)], {
    timeoutMs: 120_000,
    env,
    cwd: ROOT,
  });
  try {
    const s = await started(p);
    t.deepEqual(s.start.domains, ['127.0.0.1', 'example.com', 'acme.example']);
    const r = await registerWithDigest({
      port: s.port,
      aor: 'alice@acme.example',
      password: 'secret',
    });
    t.deepEqual(r.statuses, ['SIP/2.0 401 Unauthorized', 'SIP/2.0 200 OK']);
    t.is(r.realm, 'acme.example');
  } finally {
    await p.stop('SIGTERM', 10_000);
  }
});

test('samples/multi-tenant/README.md: its user add lines add users of domains the sample serves', async (t) => {
  const md = readFileSync(join(ROOT, 'samples/multi-tenant/README.md'), 'utf8');
  const adds = shellLines(md).filter((l) => l.startsWith('npx polysip user add '));
  t.is(adds.length, 2);
  const db = `sqlite:${join(dir, 'multi.db')}`;
  for (const line of adds) {
    const r = await cli([...argvOf(line), '--db', db]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stderr, '', line);
  }
});

function docFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (/\.(md|ya?ml)$/.test(e.name)) out.push(f);
    }
  };
  walk(join(ROOT, 'samples'));
  walk(join(ROOT, 'docs'));
  return out;
}

test('the docs run the command as npm installs it: npx polysip, which resolves in the checkout', async (t) => {
  const bare: string[] = [];
  for (const f of docFiles()) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        // `polysip run|ctl|user…` as a command to type, not after npx: not on the PATH.
        if (
          /(^|[\s`(#])polysip (run|ctl|user|acl|address|ul)\b/.test(
            line.replace(/npx polysip /g, ''),
          )
        )
          bare.push(`${f.slice(ROOT.length)}:${i + 1}: ${line.trim()}`);
      });
  }
  t.deepEqual(bare, []);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  t.is(pkg.bin['polysip'], 'bin/polysip.js');
  // --offline: npx must find the checkout's own bin, never ask the registry.
  const r = await spawnTracked('npx', ['--offline', 'polysip', 'ctl', '--help'], {
    timeoutMs: 60_000,
    cwd: ROOT,
  }).done;
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^Usage: polysip ctl /);
});
