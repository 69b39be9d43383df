/**
 * The registrar/auth interop flows, written once and run against SQLite and PostgreSQL
 * (registrar-sqlite.test.ts, registrar-postgres.test.ts): sipp registers with digest, refreshes,
 * unregisters, uses `Contact: *`, fails a password until blocked, and a caller that
 * authenticates (407) reaches a registered sipp UAS through the default script (Lua unless a
 * `script` is given: the SQLite variant runs them for default.lua, default.py and default.js).
 */
import type { TestFn, ExecutionContext } from 'ava';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../../bin/app.ts';
import { subscriberRow } from '../../bin/cli-db.ts';
import type { Placement } from '../../bin/load-script.ts';
import type { ModuleParams } from '../../bin/storage.ts';
import { runSipp, startSippUas, type SippResult } from '../kit/sipp.ts';

export const DOMAIN = 'polysip.test';
const DEFAULT_SCRIPT = fileURLToPath(new URL('../../scripts/default.lua', import.meta.url));
const scenario = (name: string): string =>
  fileURLToPath(new URL(`./scenarios/${name}.xml`, import.meta.url));
const UAS_RR = scenario('uas-rr');

export async function startApp(
  db: string,
  modparams: ModuleParams = {},
  script: string = DEFAULT_SCRIPT,
  placement: Placement = 'in-thread',
): Promise<Polysip> {
  return startPolysip({
    listen: ['udp:127.0.0.1:0'],
    aliases: [DOMAIN],
    script,
    placement,
    allowDestinations: ['127.0.0.0/8'],
    log: pino({ level: 'warn' }),
    db,
    modparams,
  });
}

export async function addUser(app: Polysip, user: string, password: string): Promise<void> {
  await app.storage.store.subscribers.put(subscriberRow({ user, domain: DOMAIN }, password, false));
}

export function sippRegister(
  app: Polysip,
  o: { user: string; password: string; contact: string; expires: number; expect?: '200' | '500' },
): Promise<SippResult> {
  return runSipp({
    scenario: scenario(
      o.expect === '500' ? 'registrar/register-auth-500' : 'registrar/register-auth',
    ),
    remote: `127.0.0.1:${app.listeners[0]!.port}`,
    calls: 1,
    timeoutSec: 15,
    service: o.user,
    extraArgs: [
      '-au',
      o.user,
      '-ap',
      o.password,
      '-key',
      'domain',
      DOMAIN,
      '-key',
      'contact',
      o.contact,
      '-key',
      'expires',
      String(o.expires),
    ],
  });
}

function must(t: ExecutionContext, r: SippResult, what: string): void {
  t.is(r.successful, 1, `${what}: ${r.stderr.slice(-1500)}${r.stdout.slice(-1500)}`);
}

/** Live contacts of an AoR (use_domain 0: the user alone) as contact → seconds left. */
export function bindings(app: Polysip, user: string): Map<string, number> {
  const now = app.storage.usrloc.now();
  return new Map(app.storage.usrloc.get(user).map((b) => [b.contact, b.expires - now]));
}

export async function call(
  app: Polysip,
  o: { caller: string; password: string; callee: string; authUser?: string },
) {
  return runSipp({
    scenario: scenario('registrar/call-auth'),
    remote: `127.0.0.1:${app.listeners[0]!.port}`,
    calls: 1,
    timeoutSec: 20,
    service: o.callee,
    extraArgs: [
      '-au',
      o.authUser ?? o.caller,
      '-ap',
      o.password,
      '-key',
      'domain',
      DOMAIN,
      '-key',
      'caller',
      o.caller,
    ],
  });
}

export function defineRegistrarFlows(
  test: TestFn,
  label: string,
  newDb: () => Promise<string>,
  script: string = DEFAULT_SCRIPT,
  placement: Placement = 'in-thread',
): void {
  test.serial(
    `${label}: REGISTER 401→200, refresh, authenticated call (407→INVITE) to the registered UAS, unregister, Contact: *, survives a restart`,
    async (t) => {
      const db = await newDb();
      const uas = await startSippUas({ scenario: UAS_RR, timeoutSec: 120 });
      let app = await startApp(db, {}, script, placement);
      try {
        await addUser(app, 'alice', 'alice-pw');
        await addUser(app, 'bob', 'bob-pw');
        const contact = `<sip:alice@127.0.0.1:${uas.port}>`;
        must(
          t,
          await sippRegister(app, { user: 'alice', password: 'alice-pw', contact, expires: 300 }),
          'register',
        );
        const afterReg = bindings(app, 'alice');
        t.deepEqual([...afterReg.keys()], [`sip:alice@127.0.0.1:${uas.port}`]);
        t.true(afterReg.get(`sip:alice@127.0.0.1:${uas.port}`)! > 290);

        must(
          t,
          await sippRegister(app, { user: 'alice', password: 'alice-pw', contact, expires: 900 }),
          'refresh',
        );
        t.true(
          bindings(app, 'alice').get(`sip:alice@127.0.0.1:${uas.port}`)! > 890,
          'refreshed expires',
        );

        must(
          t,
          await call(app, { caller: 'bob', password: 'bob-pw', callee: 'alice' }),
          'call bob → alice',
        );
        // A From user that is not the authenticated user is refused (403, sipp's call fails).
        const spoof = await call(app, {
          caller: 'bob',
          authUser: 'alice',
          password: 'alice-pw',
          callee: 'alice',
        });
        t.is(spoof.successful, 0);
        t.is(spoof.stats['FailedUnexpectedMessage(C)'], '1', 'a 403 instead of the 100/180/200');

        // Registrations survive a restart of polysip (the store holds them).
        await app.storage.usrloc.flush();
        await app.stop();
        app = await startApp(db, {}, script, placement);
        t.deepEqual([...bindings(app, 'alice').keys()], [`sip:alice@127.0.0.1:${uas.port}`]);
        must(
          t,
          await call(app, { caller: 'bob', password: 'bob-pw', callee: 'alice' }),
          'call after restart',
        );

        must(
          t,
          await sippRegister(app, { user: 'alice', password: 'alice-pw', contact, expires: 0 }),
          'unregister',
        );
        t.is(bindings(app, 'alice').size, 0);
        const unknown = await call(app, { caller: 'bob', password: 'bob-pw', callee: 'alice' });
        t.is(unknown.successful, 0, 'alice is not registered: 404');

        for (const port of [5070, 5071]) {
          must(
            t,
            await sippRegister(app, {
              user: 'alice',
              password: 'alice-pw',
              contact: `<sip:alice@127.0.0.1:${port}>`,
              expires: 300,
            }),
            `register ${port}`,
          );
        }
        t.is(bindings(app, 'alice').size, 2);
        must(
          t,
          await sippRegister(app, {
            user: 'alice',
            password: 'alice-pw',
            contact: '*',
            expires: 0,
          }),
          'Contact: *',
        );
        t.is(bindings(app, 'alice').size, 0);
        await app.storage.usrloc.flush();
        t.deepEqual(await app.storage.store.location.list('alice'), []);
      } finally {
        await app.stop();
        await uas.stop();
      }
    },
  );

  test.serial(
    `${label}: a wrong password gets 401 again, then the source is blocked (403)`,
    async (t) => {
      const app = await startApp(
        await newDb(),
        { auth_guard: { max_failures: 3, block_time: 60 } },
        script,
        placement,
      );
      try {
        await addUser(app, 'carol', 'carol-pw');
        const remote = `127.0.0.1:${app.listeners[0]!.port}`;
        const wrong = await runSipp({
          scenario: scenario('registrar/register-wrong-password'),
          remote,
          calls: 3,
          maxConcurrent: 1,
          timeoutSec: 15,
          service: 'carol',
          extraArgs: ['-au', 'carol', '-ap', 'not-her-password', '-key', 'domain', DOMAIN],
        });
        t.is(wrong.successful, 3, wrong.stderr.slice(-1500));
        const blocked = await runSipp({
          scenario: scenario('registrar/register-blocked'),
          remote,
          calls: 1,
          timeoutSec: 15,
          service: 'carol',
          extraArgs: ['-key', 'domain', DOMAIN],
        });
        t.is(blocked.successful, 1, blocked.stderr.slice(-1500));
        t.is(bindings(app, 'carol').size, 0);
      } finally {
        await app.stop();
      }
    },
  );
}
