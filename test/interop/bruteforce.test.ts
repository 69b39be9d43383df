/**
 * Brute-force defence (samples/brute-force): wrong-password REGISTERs from one sipp source are
 * challenged again until MAX_FAILURES (5), then refused with 403, also for other users from
 * that source and for the attacked user from elsewhere; a correct user from another source
 * still registers. Loopback only, bounded runs.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPolysip } from '../../bin/app.ts';
import { subscriberRow } from '../../bin/cli-db.ts';
import { module as htable } from '../../modules/htable/index.ts';
import { runSipp } from '../kit/sipp.ts';

const DOMAIN = 'polysip.test';
const SCRIPT = fileURLToPath(new URL('../../samples/brute-force/brute-force.lua', import.meta.url));
const scenario = (name: string): string =>
  fileURLToPath(new URL(`./scenarios/registrar/${name}.xml`, import.meta.url));

test.serial(
  'a password guesser is blocked after 5 failures; a good user elsewhere registers',
  async (t) => {
    const app = await startPolysip({
      listen: ['udp:127.0.0.1:0'],
      aliases: [DOMAIN],
      script: SCRIPT,
      allowDestinations: ['127.0.0.0/8'],
      log: pino({ level: 'warn' }),
    });
    try {
      for (const [user, pw] of [
        ['carol', 'carol-pw'],
        ['alice', 'alice-pw'],
      ] as const) {
        await app.storage.store.subscribers.put(subscriberRow({ user, domain: DOMAIN }, pw, false));
      }
      const remote = `127.0.0.1:${app.listeners[0]!.port}`;
      const guess = (calls: number) =>
        runSipp({
          scenario: scenario('register-wrong-password'),
          remote,
          localIp: '127.0.0.2',
          calls,
          maxConcurrent: 1,
          timeoutSec: 15,
          service: 'carol',
          extraArgs: ['-au', 'carol', '-ap', 'guess', '-key', 'domain', DOMAIN],
        });
      const register = (user: string, pw: string, localIp: string) =>
        runSipp({
          scenario: scenario('register-auth'),
          remote,
          localIp,
          calls: 1,
          timeoutSec: 15,
          service: user,
          extraArgs: [
            ...['-au', user, '-ap', pw, '-key', 'domain', DOMAIN],
            ...['-key', 'contact', `<sip:${user}@${localIp}:5099>`, '-key', 'expires', '60'],
          ],
        });

      // Failures 1..4: challenged again (401), as any wrong password.
      const first = await guess(4);
      t.is(first.successful, 4, first.stderr.slice(-1500));
      t.is(htable.htables.table('ipban').get('127.0.0.2'), 4);
      t.is(htable.htables.table('userban').get('carol'), 4);

      // Failure 5 reaches the limit: 403 instead of the 401 the scenario waits for.
      const fifth = await guess(1);
      t.is(fifth.successful, 0);
      t.is(fifth.stats['FailedUnexpectedMessage(C)'], '1');

      // The source is blocked outright: a first REGISTER (no credentials) gets 403.
      const blocked = await runSipp({
        scenario: scenario('register-blocked'),
        remote,
        localIp: '127.0.0.2',
        calls: 1,
        timeoutSec: 15,
        service: 'mallory',
        extraArgs: ['-key', 'domain', DOMAIN],
      });
      t.is(blocked.successful, 1, blocked.stderr.slice(-1500));

      // Even the right password for the attacked user is refused while the user is blocked.
      const carol = await register('carol', 'carol-pw', '127.0.0.3');
      t.is(carol.successful, 0);
      t.is(carol.stats['FailedUnexpectedMessage(C)'], '1', 'a 403 instead of the 200');

      // Another user from another source is unaffected.
      const alice = await register('alice', 'alice-pw', '127.0.0.3');
      t.is(alice.successful, 1, alice.stderr.slice(-1500) + alice.stdout.slice(-1500));
      t.is(app.storage.usrloc.get('alice').length, 1);
      t.is(app.storage.usrloc.get('carol').length, 0);

      // Lifting the block (what `htable.delete ipban … / userban …` does) lets carol back in.
      htable.htables.table('userban').remove('carol');
      const again = await register('carol', 'carol-pw', '127.0.0.3');
      t.is(again.successful, 1, again.stderr.slice(-1500));
    } finally {
      await app.stop();
    }
  },
);
