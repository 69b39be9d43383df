/**
 * Composition of the storage-backed modules: opens the store a database URL names and builds
 * usrloc, registrar, auth, auth_guard, auth_db, group and permissions from it and from the
 * module parameters (keyed by Kamailio modparam names).
 */
import { randomBytes } from 'node:crypto';
import type { PolysipModule } from '../core/api/module.ts';
import { StoreClosedError, StoreUrlError, type Store } from '../core/store/types.ts';
import { createAuthModules } from '../modules/auth/index.ts';
import { createAuthDbModule } from '../modules/auth_db/index.ts';
import { openSqliteStore } from '../modules/db_sqlite/index.ts';
import { openPostgresStore } from '../modules/db_postgres/index.ts';
import { createGroupModule } from '../modules/group/index.ts';
import { createPermissionsModule } from '../modules/permissions/index.ts';
import { createRegistrarModule } from '../modules/registrar/index.ts';
import { createUsrloc, createUsrlocModule, type Usrloc } from '../modules/usrloc/index.ts';

/** The CLI's default: one SQLite file under ./var of the working directory. */
export const DEFAULT_DB_URL = 'sqlite:./var/polysip.db';

/** Module parameters: `{ registrar: { max_expires: 3600 }, auth_db: { calculate_ha1: 1 } }`. */
export type ModuleParams = Readonly<Record<string, Readonly<Record<string, string | number>>>>;

export type StoreLog = (level: 'info' | 'warn' | 'error', msg: string) => void;

/**
 * `sqlite:PATH` (relative to the working directory; `sqlite::memory:` for a throw-away one),
 * a bare path ending in .db/.sqlite, or `postgres://…` / `postgresql://…`.
 */
export async function openStore(
  url: string,
  opts: { log?: StoreLog; mustExist?: boolean } = {},
): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(url)) return openPostgresStore({ url, log: opts.log });
  let path: string | null = null;
  if (/^sqlite:/i.test(url)) path = url.slice('sqlite:'.length);
  else if (/\.(db|sqlite3?)$/i.test(url) && !url.includes('://')) path = url;
  if (path === null || path === '') {
    throw new StoreUrlError(
      `unsupported database URL "${url}" (use sqlite:PATH or postgres://user@host:port/db)`,
    );
  }
  return openSqliteStore({ path, mustExist: opts.mustExist === true });
}

export interface StorageModules {
  readonly store: Store;
  readonly usrloc: Usrloc;
  readonly modules: readonly PolysipModule[];
  /** Stops timers, persists what is pending, closes the store. */
  stop(): Promise<void>;
}

/** Parses repeated `module.param=value` CLI arguments into ModuleParams. */
export function parseModparams(list: readonly string[]): ModuleParams {
  const out: Record<string, Record<string, string | number>> = {};
  for (const item of list) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(item);
    if (!m) throw new Error(`bad --modparam "${item}" (expected module.param=value)`);
    const v = m[3]!;
    (out[m[1]!] ??= {})[m[2]!] = /^-?\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}

export async function createStorageModules(opts: {
  store: Store;
  params?: ModuleParams;
  log?: StoreLog;
}): Promise<StorageModules> {
  const { store } = opts;
  const params = opts.params ?? {};
  const log = opts.log ?? (() => {});
  const sync = store.driver === 'sqlite';
  // The nonce secret lives in the store, so nonces survive restarts and work on every node
  // that shares the database; a configured secret wins.
  let secret = params['auth']?.['secret'] as string | undefined;
  if (secret === undefined) {
    secret = (await store.kv.get('auth', 'secret')) ?? undefined;
    if (secret === undefined) {
      secret = randomBytes(32).toString('hex');
      await store.kv.set('auth', 'secret', secret);
    }
  }
  const usrloc = createUsrloc({ store, params: params['usrloc'], log });
  const loaded = await usrloc.load();
  if (loaded > 0) log('info', `usrloc: ${loaded} binding(s) loaded from ${store.description}`);
  const auth = createAuthModules({
    params: { ...params['auth'], secret },
    guard: params['auth_guard'],
  });
  const perms = createPermissionsModule({
    store,
    params: params['permissions'],
    log: (m) => log('warn', m),
  });
  await perms.permissions.reload();
  const modules: PolysipModule[] = [
    createUsrlocModule(usrloc),
    createRegistrarModule({ usrloc, params: params['registrar'] }),
    auth.auth,
    auth.guard,
    createAuthDbModule({ store, auth: auth.api, params: params['auth_db'], syncStore: sync }),
    createGroupModule({ store }),
    perms.module,
  ];
  let stopped = false;
  return {
    store,
    usrloc,
    modules,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const m of modules) await m.stop?.();
      await store.close();
    },
  };
}

/** A store that refuses everything: for building declarations only (docs, stubs). */
function declarationsOnlyStore(): Store {
  const no = (): never => {
    throw new StoreClosedError('no database: declarations only');
  };
  const table = new Proxy({}, { get: () => no });
  return {
    driver: 'none',
    description: 'none',
    subscribers: table as Store['subscribers'],
    location: table as Store['location'],
    groups: table as Store['groups'],
    addresses: table as Store['addresses'],
    kv: table as Store['kv'],
    close: async () => {},
  };
}

/** The storage modules' KSR declarations without a database (gen-docs, stub generation). */
export function storageDeclarations(): PolysipModule[] {
  const store = declarationsOnlyStore();
  const usrloc = createUsrloc({ store: null });
  void usrloc.stop();
  const auth = createAuthModules();
  void auth.auth.stop?.();
  const perms = createPermissionsModule({ store, params: { reload_interval: 0 } });
  return [
    createUsrlocModule(usrloc),
    createRegistrarModule({ usrloc }),
    auth.auth,
    auth.guard,
    createAuthDbModule({ store, auth: auth.api }),
    createGroupModule({ store }),
    perms.module,
  ];
}
