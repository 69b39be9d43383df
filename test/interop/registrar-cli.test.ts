/** The database subcommands, run as a user would: `node bin/polysip.js user add …` on a temp SQLite file. */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { spawnTracked } from '../kit/procs.ts';

const BIN = fileURLToPath(new URL('../../bin/polysip.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'polysip-cli-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

async function cli(db: string, ...args: string[]) {
  const p = spawnTracked(process.execPath, [BIN, ...args, '--db', db], { timeoutMs: 30_000 });
  return p.done;
}

test('user add/passwd/rm/list, acl grant/revoke/show, address add/rm/list, ul show/rm', async (t) => {
  const file = join(dir, 'a', 'polysip.db');
  const db = `sqlite:${file}`;
  let r = await cli(db, 'user', 'list');
  t.is(r.code, 1);
  t.regex(r.stderr, /no database at sqlite:/);

  r = await cli(db, 'user', 'add', 'alice@Example.com', 's3cret');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'added alice@example.com\n');
  const row = () =>
    new Database(file, { readonly: true })
      .prepare("SELECT * FROM subscriber WHERE username = 'alice'")
      .get() as Record<string, string> | undefined;
  const first = row()!;
  t.is(first['domain'], 'example.com');
  t.is(first['password'], '', 'no plain password by default');
  t.is(first['ha1'].length, 32);
  t.is(first['ha1_sha256'].length, 64);

  r = await cli(db, 'user', 'add', 'alice@example.com', 'x');
  t.is(r.code, 1);
  t.regex(r.stderr, /already exists/);
  r = await cli(db, 'user', 'add', 'not a uri', 'x');
  t.is(r.code, 1);
  t.regex(r.stderr, /bad user URI/);
  r = await cli(db, 'user', 'add', 'bob@example.com', '');
  t.is(r.code, 1);
  t.regex(r.stderr, /password must not be empty/);

  r = await cli(db, 'user', 'passwd', 'alice@example.com', 'other');
  t.is(r.code, 0, r.stderr);
  t.not(row()!['ha1'], first['ha1']);
  r = await cli(db, 'user', 'passwd', 'nobody@example.com', 'x');
  t.is(r.code, 1);
  t.regex(r.stderr, /unknown user nobody@example.com/);

  r = await cli(db, 'acl', 'grant', 'alice@example.com', 'intl');
  t.is(r.code, 0, r.stderr);
  r = await cli(db, 'acl', 'grant', 'nobody@example.com', 'intl');
  t.is(r.code, 1);
  t.regex(r.stderr, /unknown user/);
  r = await cli(db, 'acl', 'show');
  t.is(r.stdout, 'alice@example.com intl\n');
  r = await cli(db, 'acl', 'revoke', 'alice@example.com', 'intl');
  t.is(r.code, 0, r.stderr);
  r = await cli(db, 'acl', 'revoke', 'alice@example.com', 'intl');
  t.is(r.code, 1);

  r = await cli(db, 'address', 'add', '1', '10.0.0.0/8', '5060', 'lan');
  t.is(r.code, 0, r.stderr);
  r = await cli(db, 'address', 'add', '1', '300.0.0.1');
  t.is(r.code, 1);
  t.regex(r.stderr, /bad IP address/);
  r = await cli(db, 'address', 'list');
  t.is(r.stdout, '1 10.0.0.0/8 5060 lan\n');
  r = await cli(db, 'address', 'rm', '1', '10.0.0.0/8');
  t.is(r.code, 0, r.stderr);

  const w = new Database(file);
  w.prepare(
    "INSERT INTO location (ruid, aor, contact, expires, callid) VALUES ('r1', 'alice', 'sip:alice@192.0.2.1', ?, 'c')",
  ).run(Math.floor(Date.now() / 1000) + 100);
  w.close();
  r = await cli(db, 'ul', 'show');
  t.regex(r.stdout, /^alice sip:alice@192\.0\.2\.1 expires=(99|100)\n$/);
  r = await cli(db, 'ul', 'rm', 'alice');
  t.is(r.code, 0, r.stderr);
  r = await cli(db, 'ul', 'rm', 'alice');
  t.is(r.code, 1);

  r = await cli(db, 'user', 'list');
  t.is(r.stdout, 'alice@example.com\n');
  r = await cli(db, 'user', 'rm', 'alice@example.com');
  t.is(r.code, 0, r.stderr);
  t.is(row(), undefined);
  r = await cli('mysql://x', 'user', 'list');
  t.is(r.code, 1);
  t.regex(r.stderr, /unsupported database URL/);
});
