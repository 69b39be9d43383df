/**
 * The PostgreSQL store (pg): same schema as SQLite, every method async. The pool reconnects by
 * itself: a query while the server is away fails with StoreUnavailableError (callers answer
 * 500 and log), and the next query after it is back opens a fresh connection.
 */
import pg from 'pg';
import { LOCATION_COLUMNS, VERSION_TABLE_SQL, pendingMigrations } from '../../core/store/schema.ts';
import {
  locationValues,
  rowToAddress,
  rowToLocation,
  rowToSubscriber,
  rowToTrusted,
} from '../../core/store/rows.ts';
import { StoreClosedError, StoreUnavailableError, type Store } from '../../core/store/types.ts';

type Row = Record<string, unknown>;

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db` */
  readonly url: string;
  readonly maxConnections?: number;
  /** Where connection trouble is reported (one line per event). */
  readonly log?: (level: 'warn' | 'error' | 'info', msg: string) => void;
}

export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** The `?, ?, …` of the SQLite text as `$1, $2, …`. */
function placeholders(n: number, from = 1): string {
  return Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const log = opts.log ?? (() => {});
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.maxConnections ?? 8,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client whose server went away emits here; without a listener Node would crash.
  pool.on('error', (e) => log('warn', `postgres: idle connection lost: ${e.message}`));
  let closed = false;
  let healthy = true;

  const query = async (sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> => {
    if (closed) throw new StoreClosedError('the PostgreSQL store is closed');
    try {
      const r = await pool.query<Row>(sql, params);
      if (!healthy) {
        healthy = true;
        log('info', `postgres: connection to ${maskUrl(opts.url)} restored`);
      }
      return r;
    } catch (e) {
      const err = e as Error & { code?: string };
      // SQL errors (a class-23 constraint, a syntax error) are bugs or bad input, not outages.
      if (typeof err.code === 'string' && /^(22|23|42)/.test(err.code)) throw err;
      if (healthy) log('error', `postgres: ${maskUrl(opts.url)} unavailable: ${err.message}`);
      healthy = false;
      throw new StoreUnavailableError(`PostgreSQL unavailable: ${err.message}`);
    }
  };

  try {
    await migrate(pool);
  } catch (e) {
    await pool.end().catch(() => {});
    throw new StoreUnavailableError(
      `cannot open PostgreSQL database ${maskUrl(opts.url)}: ${(e as Error).message}`,
    );
  }

  const locCols = LOCATION_COLUMNS.split(',').length;
  const now = (): number => Math.floor(Date.now() / 1000);

  return {
    driver: 'postgres',
    description: maskUrl(opts.url),
    subscribers: {
      async get(u, d) {
        const r = await query('SELECT * FROM subscriber WHERE username = $1 AND domain = $2', [
          u,
          d,
        ]);
        return r.rows[0] ? rowToSubscriber(r.rows[0]) : null;
      },
      async put(s) {
        await query(
          `INSERT INTO subscriber (username, domain, password, ha1, ha1b, ha1_sha256) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (username, domain) DO UPDATE SET password = excluded.password, ha1 = excluded.ha1,
           ha1b = excluded.ha1b, ha1_sha256 = excluded.ha1_sha256`,
          [s.username, s.domain, s.password, s.ha1, s.ha1b, s.ha1Sha256],
        );
      },
      async remove(u, d) {
        const r = await query('DELETE FROM subscriber WHERE username = $1 AND domain = $2', [u, d]);
        return (r.rowCount ?? 0) > 0;
      },
      async list(d) {
        const r =
          d === undefined
            ? await query('SELECT * FROM subscriber ORDER BY domain, username')
            : await query('SELECT * FROM subscriber WHERE domain = $1 ORDER BY username', [d]);
        return r.rows.map(rowToSubscriber);
      },
    },
    location: {
      async upsert(rec) {
        await query(
          `INSERT INTO location (${LOCATION_COLUMNS}) VALUES (${placeholders(locCols)})
           ON CONFLICT (ruid) DO UPDATE SET ${LOCATION_COLUMNS.split(',')
             .map((c) => c.trim())
             .filter((c) => c !== 'ruid')
             .map((c) => `${c} = excluded.${c}`)
             .join(', ')}`,
          locationValues(rec),
        );
      },
      async remove(ruid) {
        await query('DELETE FROM location WHERE ruid = $1', [ruid]);
      },
      async removeAor(aor) {
        return (await query('DELETE FROM location WHERE aor = $1', [aor])).rowCount ?? 0;
      },
      async removeExpired(t) {
        return (await query('DELETE FROM location WHERE expires < $1', [t])).rowCount ?? 0;
      },
      async list(aor) {
        const r =
          aor === undefined
            ? await query(`SELECT ${LOCATION_COLUMNS} FROM location ORDER BY aor, last_modified`)
            : await query(
                `SELECT ${LOCATION_COLUMNS} FROM location WHERE aor = $1 ORDER BY last_modified`,
                [aor],
              );
        return r.rows.map(rowToLocation);
      },
    },
    groups: {
      async add(u, d, g) {
        await query(
          'INSERT INTO grp (username, domain, grp) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [u, d, g],
        );
      },
      async remove(u, d, g) {
        const r = await query('DELETE FROM grp WHERE username = $1 AND domain = $2 AND grp = $3', [
          u,
          d,
          g,
        ]);
        return (r.rowCount ?? 0) > 0;
      },
      async isMember(u, d, g) {
        const r = await query(
          'SELECT 1 FROM grp WHERE username = $1 AND domain = $2 AND grp = $3 LIMIT 1',
          [u, d, g],
        );
        return r.rows.length > 0;
      },
      async list(u, d) {
        const r =
          u === undefined
            ? await query('SELECT username, domain, grp FROM grp ORDER BY domain, username, grp')
            : await query(
                'SELECT username, domain, grp FROM grp WHERE username = $1 AND domain = $2 ORDER BY grp',
                [u, d ?? ''],
              );
        return r.rows.map((row) => ({
          username: String(row['username']),
          domain: String(row['domain']),
          group: String(row['grp']),
        }));
      },
    },
    addresses: {
      async add(e) {
        await query(
          'INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES ($1, $2, $3, $4, $5)',
          [e.group, e.ip, e.mask, e.port, e.tag],
        );
      },
      async remove(g, ip, mask, port) {
        const r =
          port === undefined
            ? await query('DELETE FROM address WHERE grp = $1 AND ip_addr = $2 AND mask = $3', [
                g,
                ip,
                mask,
              ])
            : await query(
                'DELETE FROM address WHERE grp = $1 AND ip_addr = $2 AND mask = $3 AND port = $4',
                [g, ip, mask, port],
              );
        return r.rowCount ?? 0;
      },
      async list() {
        return (await query('SELECT * FROM address ORDER BY grp, id')).rows.map(rowToAddress);
      },
      async addTrusted(e) {
        await query(
          'INSERT INTO trusted (src_ip, proto, from_pattern, tag, priority) VALUES ($1, $2, $3, $4, $5)',
          [e.srcIp, e.proto, e.fromPattern, e.tag, e.priority],
        );
      },
      async listTrusted() {
        return (await query('SELECT * FROM trusted ORDER BY priority DESC, id')).rows.map(
          rowToTrusted,
        );
      },
    },
    kv: {
      async get(t, k) {
        const r = await query('SELECT v, expires FROM kv WHERE tbl = $1 AND k = $2', [t, k]);
        const row = r.rows[0];
        if (!row) return null;
        const exp = Number(row['expires']);
        return exp !== 0 && exp < now() ? null : String(row['v']);
      },
      async set(t, k, v, expires = 0) {
        await query(
          `INSERT INTO kv (tbl, k, v, expires) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v, expires = excluded.expires`,
          [t, k, v, expires],
        );
      },
      async remove(t, k) {
        return (
          ((await query('DELETE FROM kv WHERE tbl = $1 AND k = $2', [t, k])).rowCount ?? 0) > 0
        );
      },
      async list(t) {
        const r = await query('SELECT k, v, expires FROM kv WHERE tbl = $1 ORDER BY k', [t]);
        return r.rows
          .map((row) => ({
            key: String(row['k']),
            value: String(row['v']),
            expires: Number(row['expires']),
          }))
          .filter((row) => row.expires === 0 || row.expires >= now());
      },
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Two nodes starting together must not both create the tables.
    await client.query('SELECT pg_advisory_xact_lock(7270111)');
    await client.query(VERSION_TABLE_SQL);
    const r = await client.query<{ version: number }>(
      'SELECT version FROM polysip_schema WHERE id = 1',
    );
    const steps = pendingMigrations(r.rows[0]?.version ?? 0);
    for (const m of steps) for (const sql of m.statements('postgres')) await client.query(sql);
    if (steps.length > 0) {
      await client.query(
        'INSERT INTO polysip_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
        [steps[steps.length - 1]!.version],
      );
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
