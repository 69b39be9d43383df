/**
 * Authenticated REGISTERs per second with 100,000 subscribers in SQLite.
 *
 *   node --import tsx bench/register-auth.ts [--subscribers N] [--step-seconds S] [--rates a,b,c]
 *
 * Creates a temp SQLite file with N subscribers (HA1 hashes, as `polysip user add` stores
 * them), starts polysip in-process with the default Lua script, and drives sipp with
 * REGISTER → 401 → REGISTER(digest) → 200, stepping the rate. sipp cannot take the digest
 * user from an injection file, so `--senders` sipp processes (default 4) each register one
 * randomly chosen subscriber; each request still reads its row from the 100k-row table. Prints, per step, the offered rate, calls/s achieved and the failure ratio, then the
 * best rate with under 0.5% failures. Loopback only; everything is removed at the end.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPolysip } from '../bin/app.ts';
import { subscriberRow } from '../bin/cli-db.ts';
import { openSqliteStore } from '../modules/db_sqlite/index.ts';
import { runSipp } from '../test/kit/sipp.ts';

const DOMAIN = 'bench.polysip';
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
};
const subscribers = Number(arg('subscribers', '100000'));
const stepSeconds = Number(arg('step-seconds', '8'));
const senders = Number(arg('senders', '4'));
const rates = arg('rates', '250,500,1000,1500,2000,2500,3000,4000').split(',').map(Number);

const dir = mkdtempSync(join(tmpdir(), 'polysip-bench-reg-'));
const file = join(dir, 'polysip.db');
try {
  // Schema through the driver, rows in one transaction (100k autocommits would take minutes).
  await openSqliteStore({ path: file }).close();
  const db = new Database(file);
  const ins = db.prepare(
    'INSERT INTO subscriber (username, domain, password, ha1, ha1b, ha1_sha256) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const t0 = Date.now();
  db.transaction(() => {
    for (let i = 0; i < subscribers; i++) {
      const user = `u${i}`;
      const s = subscriberRow({ user, domain: DOMAIN }, `pw${i}`, false);
      ins.run(s.username, s.domain, s.password, s.ha1, s.ha1b, s.ha1Sha256);
    }
  })();
  db.close();
  process.stdout.write(`${subscribers} subscribers created in ${Date.now() - t0} ms\n`);

  const app = await startPolysip({
    listen: ['udp:127.0.0.1:0'],
    aliases: [DOMAIN],
    script: fileURLToPath(new URL('../scripts/default.lua', import.meta.url)),
    allowDestinations: ['127.0.0.0/8'],
    log: pino({ level: 'error' }),
    db: `sqlite:${file}`,
    // The bench source sends many failures never; keep the guard out of the way anyway.
    modparams: { auth_guard: { max_failures: 1_000_000 } },
  });
  const port = app.listeners[0]!.port;
  let best: { rate: number; cps: number } | null = null;
  try {
    for (const rate of rates) {
      const per = Math.max(1, Math.round(rate / senders));
      const calls = per * senders * stepSeconds;
      const runs = await Promise.all(
        Array.from({ length: senders }, () => {
          const i = Math.floor(Math.random() * subscribers);
          return runSipp({
            scenario: fileURLToPath(new URL('./register-auth.xml', import.meta.url)),
            remote: `127.0.0.1:${port}`,
            calls: per * stepSeconds,
            rate: per,
            maxConcurrent: Math.max(100, per),
            timeoutSec: stepSeconds * 4 + 10,
            service: `u${i}`,
            extraArgs: [
              '-au',
              `u${i}`,
              '-ap',
              `pw${i}`,
              '-key',
              'domain',
              DOMAIN,
              '-buff_size',
              '4194304',
            ],
          });
        }),
      );
      const r = {
        successful: runs.reduce((a, x) => a + x.successful, 0),
        failed: runs.reduce((a, x) => a + x.failed, 0),
        retransmissions: runs.reduce((a, x) => a + x.retransmissions, 0),
        durationMs: Math.max(...runs.map((x) => x.durationMs)),
      };
      const total = r.successful + r.failed;
      const failRatio = total > 0 ? r.failed / total : 1;
      const cps = r.successful / (r.durationMs / 1000);
      process.stdout.write(
        `rate ${rate}/s: ${r.successful} ok, ${r.failed} failed (${(failRatio * 100).toFixed(2)}%), ` +
          `${cps.toFixed(0)} REGISTER pairs/s achieved, ${r.retransmissions} retransmissions\n`,
      );
      if (failRatio < 0.005 && r.successful === calls) best = { rate, cps };
      else break;
    }
  } finally {
    await app.stop();
  }
  process.stdout.write(
    best
      ? `\nbest: ${best.rate} authenticated registrations/s offered, ${best.cps.toFixed(0)}/s achieved with <0.5% failures (${subscribers} subscribers, SQLite, each = REGISTER+401+REGISTER+200)\n`
      : '\nno step passed with <0.5% failures\n',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
