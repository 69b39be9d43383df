/**
 * The schema every SQL driver creates, as numbered migrations. Table and column names follow
 * Kamailio's (subscriber, location, grp, address, trusted, version) so operators recognise
 * them; times are integer seconds since the epoch rather than DATETIME, which both SQLite and
 * PostgreSQL compare the same way.
 *
 * `polysip_schema` holds the applied version; a driver runs the missing steps in order inside
 * one transaction on open, so an older file is migrated and a fresh one is created.
 */

export type SqlDialect = 'sqlite' | 'postgres';

export interface Migration {
  readonly version: number;
  readonly statements: (d: SqlDialect) => string[];
}

const id = (d: SqlDialect): string =>
  d === 'sqlite' ? 'id INTEGER PRIMARY KEY AUTOINCREMENT' : 'id BIGSERIAL PRIMARY KEY';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: (d) => [
      `CREATE TABLE subscriber (
        ${id(d)},
        username TEXT NOT NULL,
        domain TEXT NOT NULL DEFAULT '',
        password TEXT NOT NULL DEFAULT '',
        ha1 TEXT NOT NULL DEFAULT '',
        ha1b TEXT NOT NULL DEFAULT '',
        ha1_sha256 TEXT NOT NULL DEFAULT '',
        UNIQUE (username, domain))`,
      `CREATE TABLE location (
        ruid TEXT PRIMARY KEY,
        aor TEXT NOT NULL,
        contact TEXT NOT NULL,
        received TEXT,
        path TEXT,
        expires BIGINT NOT NULL,
        q REAL NOT NULL DEFAULT -1,
        callid TEXT NOT NULL DEFAULT '',
        cseq BIGINT NOT NULL DEFAULT 0,
        cflags INTEGER NOT NULL DEFAULT 0,
        user_agent TEXT NOT NULL DEFAULT '',
        socket TEXT,
        methods TEXT NOT NULL DEFAULT '',
        instance TEXT,
        reg_id INTEGER NOT NULL DEFAULT 0,
        last_modified BIGINT NOT NULL DEFAULT 0)`,
      `CREATE INDEX location_aor_idx ON location (aor)`,
      `CREATE INDEX location_expires_idx ON location (expires)`,
      `CREATE TABLE grp (
        ${id(d)},
        username TEXT NOT NULL,
        domain TEXT NOT NULL DEFAULT '',
        grp TEXT NOT NULL,
        UNIQUE (username, domain, grp))`,
      `CREATE TABLE address (
        ${id(d)},
        grp INTEGER NOT NULL DEFAULT 1,
        ip_addr TEXT NOT NULL,
        mask INTEGER NOT NULL DEFAULT 32,
        port INTEGER NOT NULL DEFAULT 0,
        tag TEXT NOT NULL DEFAULT '')`,
      `CREATE TABLE trusted (
        ${id(d)},
        src_ip TEXT NOT NULL,
        proto TEXT NOT NULL DEFAULT 'any',
        from_pattern TEXT NOT NULL DEFAULT '',
        tag TEXT NOT NULL DEFAULT '',
        priority INTEGER NOT NULL DEFAULT 0)`,
      `CREATE TABLE kv (
        tbl TEXT NOT NULL,
        k TEXT NOT NULL,
        v TEXT NOT NULL,
        expires BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (tbl, k))`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const VERSION_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS polysip_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)';

/** Steps still to run for a database at `current` (0 = empty). */
export function pendingMigrations(current: number): readonly Migration[] {
  return MIGRATIONS.filter((m) => m.version > current);
}

/** Row mapping shared by the SQL drivers (column names → interface fields). */
export const LOCATION_COLUMNS =
  'ruid, aor, contact, received, path, expires, q, callid, cseq, cflags, user_agent, socket, methods, instance, reg_id, last_modified';
