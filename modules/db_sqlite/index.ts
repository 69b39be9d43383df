/**
 * The embedded store: one SQLite file through better-sqlite3 (synchronous, so subscriber and
 * location reads on the hot path are plain prepared-statement calls). The file and its folder
 * are created when missing; the schema is created or migrated on open.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LOCATION_COLUMNS, VERSION_TABLE_SQL, pendingMigrations } from '../../core/store/schema.ts';
import {
  locationValues,
  rowToAddress,
  rowToLocation,
  rowToSubscriber,
  subscriberFromColumns,
  rowToTrusted,
} from '../../core/store/rows.ts';
import {
  StoreClosedError,
  StoreUnavailableError,
  type AddressEntry,
  type LocationRecord,
  type Store,
  type Subscriber,
  type TrustedEntry,
} from '../../core/store/types.ts';

type Row = Record<string, unknown>;

export interface SqliteStoreOptions {
  /** File path (created with its folder when missing), or ':memory:'. */
  readonly path: string;
  /** Open an existing file only (CLI commands that must not create a database). */
  readonly mustExist?: boolean;
}

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  const path = opts.path === ':memory:' ? ':memory:' : resolve(opts.path);
  if (path !== ':memory:' && !opts.mustExist) mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: opts.mustExist === true });
  } catch (e) {
    throw new StoreUnavailableError(`cannot open SQLite database ${path}: ${(e as Error).message}`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  let closed = false;
  // Statements are prepared once; `guard` turns a use after close into a coded error.
  const st = (sql: string): Database.Statement => db.prepare(sql);
  const guard = <A extends unknown[], R>(fn: (...a: A) => R) => {
    return (...a: A): R => {
      if (closed) throw new StoreClosedError('the SQLite store is closed');
      return fn(...a);
    };
  };

  const q = {
    // The hot read of every authenticated request: only the columns not already known, as
    // an array (no per-row object keyed by column name).
    subGet: st(
      'SELECT password, ha1, ha1b, ha1_sha256 FROM subscriber WHERE username = ? AND domain = ?',
    ).raw(true),
    subPut: st(
      `INSERT INTO subscriber (username, domain, password, ha1, ha1b, ha1_sha256) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (username, domain) DO UPDATE SET password = excluded.password, ha1 = excluded.ha1,
       ha1b = excluded.ha1b, ha1_sha256 = excluded.ha1_sha256`,
    ),
    subDel: st('DELETE FROM subscriber WHERE username = ? AND domain = ?'),
    subAll: st('SELECT * FROM subscriber ORDER BY domain, username'),
    subDom: st('SELECT * FROM subscriber WHERE domain = ? ORDER BY username'),
    locPut: st(
      `INSERT OR REPLACE INTO location (${LOCATION_COLUMNS}) VALUES (${LOCATION_COLUMNS.split(',')
        .map(() => '?')
        .join(', ')})`,
    ),
    locDel: st('DELETE FROM location WHERE ruid = ?'),
    locDelAor: st('DELETE FROM location WHERE aor = ?'),
    locExpire: st('DELETE FROM location WHERE expires < ?'),
    locAll: st(`SELECT ${LOCATION_COLUMNS} FROM location ORDER BY aor, last_modified`),
    locAor: st(`SELECT ${LOCATION_COLUMNS} FROM location WHERE aor = ? ORDER BY last_modified`),
    grpAdd: st('INSERT OR IGNORE INTO grp (username, domain, grp) VALUES (?, ?, ?)'),
    grpDel: st('DELETE FROM grp WHERE username = ? AND domain = ? AND grp = ?'),
    grpIs: st('SELECT 1 FROM grp WHERE username = ? AND domain = ? AND grp = ? LIMIT 1'),
    grpAll: st('SELECT username, domain, grp FROM grp ORDER BY domain, username, grp'),
    grpUser: st(
      'SELECT username, domain, grp FROM grp WHERE username = ? AND domain = ? ORDER BY grp',
    ),
    addrAdd: st('INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES (?, ?, ?, ?, ?)'),
    addrDel: st('DELETE FROM address WHERE grp = ? AND ip_addr = ? AND mask = ?'),
    addrDelPort: st('DELETE FROM address WHERE grp = ? AND ip_addr = ? AND mask = ? AND port = ?'),
    addrAll: st('SELECT * FROM address ORDER BY grp, id'),
    trAdd: st(
      'INSERT INTO trusted (src_ip, proto, from_pattern, tag, priority) VALUES (?, ?, ?, ?, ?)',
    ),
    trAll: st('SELECT * FROM trusted ORDER BY priority DESC, id'),
    kvGet: st('SELECT v, expires FROM kv WHERE tbl = ? AND k = ?'),
    kvSet: st(
      `INSERT INTO kv (tbl, k, v, expires) VALUES (?, ?, ?, ?)
       ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v, expires = excluded.expires`,
    ),
    kvDel: st('DELETE FROM kv WHERE tbl = ? AND k = ?'),
    kvAll: st('SELECT k, v, expires FROM kv WHERE tbl = ? ORDER BY k'),
  };
  const now = (): number => Math.floor(Date.now() / 1000);

  return {
    driver: 'sqlite',
    description: `sqlite:${path}`,
    subscribers: {
      // Not through `guard`: its rest/spread arguments cost more than the read on this path.
      get: (u: string, d: string) => {
        if (closed) throw new StoreClosedError('the SQLite store is closed');
        const r = q.subGet.get(u, d) as unknown[] | undefined;
        return r ? subscriberFromColumns(u, d, r) : null;
      },
      put: guard((s: Subscriber) => {
        q.subPut.run(s.username, s.domain, s.password, s.ha1, s.ha1b, s.ha1Sha256);
      }),
      remove: guard((u: string, d: string) => q.subDel.run(u, d).changes > 0),
      list: guard((d?: string) =>
        ((d === undefined ? q.subAll.all() : q.subDom.all(d)) as Row[]).map(rowToSubscriber),
      ),
    },
    location: {
      upsert: guard((r: LocationRecord) => {
        q.locPut.run(...locationValues(r));
      }),
      remove: guard((ruid: string) => {
        q.locDel.run(ruid);
      }),
      removeAor: guard((aor: string) => q.locDelAor.run(aor).changes),
      removeExpired: guard((t: number) => q.locExpire.run(t).changes),
      list: guard((aor?: string) =>
        ((aor === undefined ? q.locAll.all() : q.locAor.all(aor)) as Row[]).map(rowToLocation),
      ),
    },
    groups: {
      add: guard((u: string, d: string, g: string) => {
        q.grpAdd.run(u, d, g);
      }),
      remove: guard((u: string, d: string, g: string) => q.grpDel.run(u, d, g).changes > 0),
      isMember: guard((u: string, d: string, g: string) => q.grpIs.get(u, d, g) !== undefined),
      list: guard((u?: string, d?: string) =>
        ((u === undefined ? q.grpAll.all() : q.grpUser.all(u, d ?? '')) as Row[]).map((r) => ({
          username: String(r['username']),
          domain: String(r['domain']),
          group: String(r['grp']),
        })),
      ),
    },
    addresses: {
      add: guard((e: AddressEntry) => {
        q.addrAdd.run(e.group, e.ip, e.mask, e.port, e.tag);
      }),
      remove: guard(
        (g: number, ip: string, mask: number, port?: number) =>
          (port === undefined ? q.addrDel.run(g, ip, mask) : q.addrDelPort.run(g, ip, mask, port))
            .changes,
      ),
      list: guard(() => (q.addrAll.all() as Row[]).map(rowToAddress)),
      addTrusted: guard((e: TrustedEntry) => {
        q.trAdd.run(e.srcIp, e.proto, e.fromPattern, e.tag, e.priority);
      }),
      listTrusted: guard(() => (q.trAll.all() as Row[]).map(rowToTrusted)),
    },
    kv: {
      get: guard((t: string, k: string) => {
        const r = q.kvGet.get(t, k) as Row | undefined;
        if (!r) return null;
        const exp = Number(r['expires']);
        return exp !== 0 && exp < now() ? null : String(r['v']);
      }),
      set: guard((t: string, k: string, v: string, expires = 0) => {
        q.kvSet.run(t, k, v, expires);
      }),
      remove: guard((t: string, k: string) => q.kvDel.run(t, k).changes > 0),
      list: guard((t: string) =>
        (q.kvAll.all(t) as Row[])
          .map((r) => ({
            key: String(r['k']),
            value: String(r['v']),
            expires: Number(r['expires']),
          }))
          .filter((r) => r.expires === 0 || r.expires >= now()),
      ),
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  db.exec(VERSION_TABLE_SQL);
  const row = db.prepare('SELECT version FROM polysip_schema WHERE id = 1').get() as
    { version: number } | undefined;
  const current = row?.version ?? 0;
  const steps = pendingMigrations(current);
  if (steps.length === 0) return;
  db.transaction(() => {
    for (const m of steps) for (const sql of m.statements('sqlite')) db.exec(sql);
    db.prepare(
      'INSERT INTO polysip_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
    ).run(steps[steps.length - 1]!.version);
  })();
}
