/** The shared store suite against a private PostgreSQL, plus an outage/reconnect test. */
import test from 'ava';
import { defineStoreSuite } from '../../core/store/suite.ts';
import { startPostgres, type PrivatePostgres } from '../../test/kit/postgres.ts';
import { openPostgresStore } from './index.ts';

let server: PrivatePostgres | null = null;

test.before(async () => {
  server = await startPostgres();
});
test.after.always(async () => {
  await server?.stop();
});

const freshDb = (): Promise<string> => server!.createDatabase('t');

defineStoreSuite(test, 'postgres', async () => {
  const url = await freshDb();
  const store = await openPostgresStore({ url });
  return {
    store,
    reopen: () => openPostgresStore({ url }),
    cleanup: () => store.close(),
  };
});

test.serial(
  'postgres: a restarted server gives coded errors, a log line, then reconnects',
  async (t) => {
    const url = await freshDb();
    const lines: string[] = [];
    const store = await openPostgresStore({
      url,
      log: (level, msg) => lines.push(`${level} ${msg}`),
    });
    try {
      await store.kv.set('t', 'k', 'v1');
      await server!.halt();
      const e = await t.throwsAsync(async () => store.kv.get('t', 'k'));
      t.is((e as Error & { code: string }).code, 'POLYSIP_ERR_STORE_UNAVAILABLE');
      t.true(
        lines.some((l) => l.startsWith('error') && /unavailable/.test(l)),
        lines.join('\n'),
      );
      await server!.start();
      t.is(await store.kv.get('t', 'k'), 'v1');
      t.true(
        lines.some((l) => /restored/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await store.close();
    }
  },
);

test.serial(
  'postgres: a URL that cannot be reached is refused at open with the password masked',
  async (t) => {
    const e = await t.throwsAsync(
      openPostgresStore({ url: 'postgres://u:secretpw@127.0.0.1:1/none' }),
    );
    t.regex(e!.message, /u:\*\*\*@/);
    t.notRegex(e!.message, /secretpw/);
  },
);
