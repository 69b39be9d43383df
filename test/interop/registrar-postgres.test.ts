/**
 * The registrar flows against a private PostgreSQL, plus an outage: PostgreSQL stops while
 * polysip runs; a REGISTER that needs the subscriber table gets 500, a known user's refresh
 * is kept in memory, nothing crashes, and after the restart the queued writes land.
 */
import test from 'ava';
import { startPostgres, type PrivatePostgres } from '../kit/postgres.ts';
import {
  addUser,
  bindings,
  defineRegistrarFlows,
  sippRegister,
  startApp,
} from './registrar-flows.ts';

let server: PrivatePostgres | null = null;
test.before(async () => {
  server = await startPostgres();
});
test.after.always(async () => {
  await server?.stop();
});

const newDb = (): Promise<string> => server!.createDatabase('reg');

defineRegistrarFlows(test, 'postgres', newDb);

test.serial(
  'postgres: restarted mid-test: 500 for requests needing it, no lost registration, reconnection',
  async (t) => {
    const db = await newDb();
    const app = await startApp(db, { usrloc: { retry_interval: 0.2 } });
    try {
      await addUser(app, 'dave', 'dave-pw');
      await addUser(app, 'erin', 'erin-pw');
      const contact = '<sip:dave@127.0.0.1:5090>';
      const r1 = await sippRegister(app, {
        user: 'dave',
        password: 'dave-pw',
        contact,
        expires: 300,
      });
      t.is(r1.successful, 1, r1.stderr.slice(-1000));

      await server!.halt();
      // erin was never read: her REGISTER needs the database → 500.
      const r2 = await sippRegister(app, {
        user: 'erin',
        password: 'erin-pw',
        contact: '<sip:erin@127.0.0.1:5091>',
        expires: 300,
        expect: '500',
      });
      t.is(r2.successful, 1, `erin gets 500: ${r2.stderr.slice(-1000)}`);
      // dave was read recently: his refresh succeeds from the cache and is kept in memory.
      const r3 = await sippRegister(app, {
        user: 'dave',
        password: 'dave-pw',
        contact: '<sip:dave@127.0.0.1:5092>',
        expires: 300,
      });
      t.is(r3.successful, 1, r3.stderr.slice(-1000));
      t.is(bindings(app, 'dave').size, 2);
      t.true(app.storage.usrloc.pendingWrites > 0, 'the write waits for the database');

      await server!.start();
      await app.storage.usrloc.flush();
      const rows = await app.storage.store.location.list('dave');
      t.deepEqual(rows.map((r) => r.contact).sort(), [
        'sip:dave@127.0.0.1:5090',
        'sip:dave@127.0.0.1:5092',
      ]);
      const r4 = await sippRegister(app, {
        user: 'erin',
        password: 'erin-pw',
        contact: '<sip:erin@127.0.0.1:5091>',
        expires: 300,
      });
      t.is(r4.successful, 1, `erin after reconnection: ${r4.stderr.slice(-1000)}`);
    } finally {
      await app.stop();
    }
  },
);
