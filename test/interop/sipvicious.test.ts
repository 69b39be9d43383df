/**
 * sipvicious (Debian package: svwar, svcrack) against the DEFAULT script in each language, with
 * the default auth_guard settings (5 failures, 300 s):
 * - svwar (REGISTER, INVITE, OPTIONS) cannot tell subscribers from unknown users: every user
 *   gets the same answer as svwar's random probe, byte for byte once tags, nonces and the
 *   user name are masked, so svwar reports nothing.
 * - svcrack finds a password early in its list (the control: the tool works against us), but
 *   with the password 20th it is blocked after 5 failures and never gets to try it; the real
 *   password from the blocked source is then refused, while a subscriber elsewhere registers.
 *
 * sipvicious 0.3.3 ignores `-b` (it binds the wildcard address) and puts the host's address in
 * Via unless `-x` is given, so every run passes `-x 127.0.0.1` and targets 127.0.0.1 only; the
 * source it attacks from is therefore 127.0.0.1 and the good user comes from 127.0.0.2.
 * svcrack never stops by itself once refused (it keeps sending unauthenticated REGISTERs that
 * get 403), so its runs are stopped once it has tried nothing new for a while.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Polysip } from '../../bin/app.ts';
import { freeUdpPort } from '../kit/ports.ts';
import { spawnTracked, type TrackedResult } from '../kit/procs.ts';
import { runSipp } from '../kit/sipp.ts';
import { DOMAIN, addUser, startApp } from './registrar-flows.ts';

const TARGET = '127.0.0.1';
const PASSWORD = 'zebra-99';
const scriptPath = (ext: string): string =>
  fileURLToPath(new URL(`../../scripts/default.${ext}`, import.meta.url));

const hasSipvicious = ((): boolean => {
  try {
    execFileSync('svwar', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

const dir = mkdtempSync(join(tmpdir(), 'polysip-sipvicious-'));
let files = 0;
function wordlist(words: readonly string[]): string {
  const f = join(dir, `list-${files++}.txt`);
  writeFileSync(f, `${words.join('\n')}\n`);
  return f;
}

async function newDb(): Promise<string> {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'polysip-db-')), 'polysip.db')}`;
}

/**
 * Runs a sipvicious tool against the app, bounded by `timeoutMs`. With `quietMs`, svcrack is
 * stopped once it has tried no new password for that long (it never stops by itself once
 * refused), which keeps the run short without cutting it before the block under load.
 */
async function sipvicious(
  tool: 'svwar' | 'svcrack',
  app: Polysip,
  args: readonly string[],
  timeoutMs: number,
  quietMs?: number,
): Promise<TrackedResult & { output: string }> {
  const port = app.listeners[0]!.port;
  const proc = spawnTracked(
    tool,
    ['-p', String(port), '-x', TARGET, '-P', String(await freeUdpPort()), ...args, TARGET],
    { timeoutMs, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
  );
  if (quietMs !== undefined) {
    const tries = () => (proc.stderr().match(/trying /g) ?? []).length;
    let seen = tries();
    let since = Date.now();
    while (proc.alive) {
      await new Promise((r) => setTimeout(r, 100));
      const n = tries();
      if (n !== seen) [seen, since] = [n, Date.now()];
      else if (Date.now() - since >= quietMs) {
        await proc.stop('SIGTERM', 1000);
        break;
      }
    }
  }
  const r = await proc.done;
  return { ...r, output: r.stdout + r.stderr };
}

/** The responses svwar printed with --debug (Python bytes reprs), decoded. */
function debugResponses(output: string): string[] {
  return [...output.matchAll(/^b'(SIP\/2\.0 .*)'$/gm)].map((m) =>
    m[1]!.replace(/\\r/g, '\r').replace(/\\n/g, '\n').replace(/\\'/g, "'"),
  );
}

/** A response with what varies per request masked: tags, branch, Call-ID, nonce, the user. */
function shape(response: string, user: string): string {
  return response
    .split(user)
    .join('USER')
    .replace(/tag=[^;\s>]+/g, 'tag=T')
    .replace(/branch=[^;\s]+/g, 'branch=B')
    .replace(/rport=\d+/g, 'rport=P')
    .replace(/^Call-ID: .*$/m, 'Call-ID: C')
    .replace(/nonce="[^"]*"/g, 'nonce="N"');
}

async function enumeration(t: ExecutionContext, app: Polysip, users: readonly string[]) {
  const probes: { method: string; domain: string }[] = [
    { method: 'REGISTER', domain: DOMAIN },
    { method: 'INVITE', domain: DOMAIN },
    { method: 'INVITE', domain: 'elsewhere.test' },
    { method: 'OPTIONS', domain: DOMAIN },
  ];
  // As an attacker runs it first: svwar gives up, the random user was challenged like any.
  // One at a time, so these also warm up the engine before the parallel runs below.
  for (const { method, domain } of probes) {
    const plain = await sipvicious(
      'svwar',
      app,
      ['-v', '--debug', '-m', method, '--domain', domain, '-d', wordlist(users)],
      20_000,
    );
    const what = `${method}@${domain}`;
    t.false(plain.timedOut, plain.output);
    t.notRegex(plain.output, /exists|reqauth|noauth|weird/, `${what}: ${plain.output}`);
    t.regex(plain.output, /found nothing/, what);
  }
  // Forced, one subscriber at a time (svwar stops at the first answer equal to its probe's).
  // Each forced run ends on svwar's fixed 3 s read timeout, so they run a few at a time.
  const jobs: (() => Promise<void>)[] = [];
  for (const { method, domain } of probes) {
    for (const user of users) {
      jobs.push(async () => {
        const r = await sipvicious(
          'svwar',
          app,
          ['--force', '--debug', '-m', method, '--domain', domain, '-d', wordlist([user])],
          20_000,
        );
        const what = `${method} ${user}@${domain}`;
        t.notRegex(r.output, /exists|reqauth|noauth|weird/, `${what}: ${r.output}`);
        t.regex(r.output, /found nothing/, what);
        const [probe, answer] = debugResponses(r.output);
        t.truthy(probe && answer, `${what}: two responses expected\n${r.output}`);
        if (!probe || !answer) return;
        const probeUser = /^From: "([^"]+)"/m.exec(probe)?.[1] ?? '';
        t.not(probeUser, '', what);
        t.is(shape(answer, user), shape(probe, probeUser), what);
      });
    }
  }
  await inBatches(jobs, 6);
}

async function inBatches(jobs: readonly (() => Promise<void>)[], n: number): Promise<void> {
  for (let i = 0; i < jobs.length; i += n) await Promise.all(jobs.slice(i, i + n).map((j) => j()));
}

async function crack(t: ExecutionContext, app: Polysip) {
  // The 20th word is the password; the guard (5 failures) stops svcrack long before.
  const guesses = Array.from({ length: 19 }, (_, i) => `guess${i + 1}`);
  const attack = await sipvicious(
    'svcrack',
    app,
    [
      '-vv',
      '-t',
      '0.05',
      '-u',
      'carol',
      '--domain',
      DOMAIN,
      '-d',
      wordlist([...guesses, PASSWORD]),
    ],
    20_000,
    1_500,
  );
  const tried = [...attack.output.matchAll(/trying (\S+)/g)].map((m) => m[1]);
  t.notRegex(attack.output, /The password for/);
  t.false(tried.includes(PASSWORD), attack.output.slice(-3000));
  t.true(tried.includes('guess5'), `the block comes from failures: ${tried.join(' ')}`);
  t.true(tried.length <= 6, `at most one try after the fifth failure: ${tried.join(' ')}`);

  // The right password from the blocked source: refused (403), so svcrack finds nothing.
  const right = await sipvicious(
    'svcrack',
    app,
    ['-vv', '-u', 'carol', '--domain', DOMAIN, '-d', wordlist([PASSWORD])],
    10_000,
    1_500,
  );
  t.false(/trying /.test(right.output), 'refused before any challenge');
  t.notRegex(right.output, /The password for/, right.output.slice(-2000));
  t.deepEqual(app.storage.usrloc.get('carol'), []);

  // A subscriber from another address is not affected.
  const alice = await runSipp({
    scenario: fileURLToPath(new URL('./scenarios/registrar/register-auth.xml', import.meta.url)),
    remote: `${TARGET}:${app.listeners[0]!.port}`,
    localIp: '127.0.0.2',
    calls: 1,
    timeoutSec: 15,
    service: 'alice',
    extraArgs: [
      ...['-au', 'alice', '-ap', 'alice-pw', '-key', 'domain', DOMAIN],
      ...['-key', 'contact', '<sip:alice@127.0.0.2:5099>', '-key', 'expires', '60'],
    ],
  });
  t.is(alice.successful, 1, alice.stderr.slice(-1500));
  t.is(app.storage.usrloc.get('alice').length, 1);
}

const maybe = hasSipvicious ? test.serial : test.serial.skip;

maybe('svcrack finds a password early in its list (the tool works against polysip)', async (t) => {
  const app = await startApp(await newDb(), {}, scriptPath('lua'));
  try {
    await addUser(app, 'carol', PASSWORD);
    const r = await sipvicious(
      'svcrack',
      app,
      ['-u', 'carol', '--domain', DOMAIN, '-d', wordlist(['guess1', 'guess2', PASSWORD])],
      15_000,
    );
    t.false(r.timedOut, r.output);
    t.regex(r.output, new RegExp(`carol\\s*\\|\\s*${PASSWORD}`), r.output);
  } finally {
    await app.stop();
  }
});

maybe('svcrack over INVITE (407 challenges) is blocked after 5 failures as well', async (t) => {
  const app = await startApp(await newDb(), {}, scriptPath('lua'));
  try {
    await addUser(app, 'carol', PASSWORD);
    const guesses = Array.from({ length: 19 }, (_, i) => `guess${i + 1}`);
    const r = await sipvicious(
      'svcrack',
      app,
      [...['-vv', '-t', '0.05', '-m', 'INVITE', '-u', 'carol', '--domain', DOMAIN]].concat([
        '-d',
        wordlist([...guesses, PASSWORD]),
      ]),
      20_000,
      1_500,
    );
    const tried = [...r.output.matchAll(/trying (\S+)/g)].map((m) => m[1]);
    t.deepEqual(tried, guesses.slice(0, 6), r.output.slice(-3000));
  } finally {
    await app.stop();
  }
});

for (const lang of ['lua', 'py', 'js'] as const) {
  maybe(
    `default.${lang}: svwar cannot tell subscribers from unknown users; svcrack is blocked before the password`,
    async (t) => {
      const app = await startApp(await newDb(), {}, scriptPath(lang));
      try {
        await addUser(app, 'alice', 'alice-pw');
        await addUser(app, 'carol', PASSWORD);
        await addUser(app, '1000', 'pw-1000');
        await enumeration(t, app, ['alice', 'carol', '1000']);
        await crack(t, app);
      } finally {
        await app.stop();
      }
    },
  );
}
