import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defineStoreSuite } from '../../core/store/suite.ts';
import { SCHEMA_VERSION } from '../../core/store/schema.ts';
import { openSqliteStore } from './index.ts';

defineStoreSuite(test, 'sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-sqlite-'));
  const path = join(dir, 'nested', 'polysip.db');
  const store = openSqliteStore({ path });
  return {
    store,
    reopen: async () => openSqliteStore({ path }),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test('sqlite: creates the file and its folder, records the schema version', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-sqlite-'));
  try {
    const path = join(dir, 'a', 'b', 'x.db');
    const store = openSqliteStore({ path });
    await store.close();
    t.true(existsSync(path));
    const db = new Database(path, { readonly: true });
    t.is(
      (db.prepare('SELECT version FROM polysip_schema').get() as { version: number }).version,
      SCHEMA_VERSION,
    );
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: mustExist refuses a missing file with a coded error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-sqlite-'));
  try {
    const e = t.throws(() => openSqliteStore({ path: join(dir, 'none.db'), mustExist: true }));
    t.is((e as Error & { code: string }).code, 'POLYSIP_ERR_STORE_UNAVAILABLE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: answers synchronously (hot path needs no await)', async (t) => {
  const store = openSqliteStore({ path: ':memory:' });
  const v = store.subscribers.get('x', 'y');
  t.is(v, null);
  await store.close();
});
