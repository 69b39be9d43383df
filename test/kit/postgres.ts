/**
 * A private PostgreSQL server for tests: a temp data dir (initdb), listening on 127.0.0.1 on
 * a free port only, started as the `postgres` OS user when we run as root (PostgreSQL refuses
 * to run as root), stopped and removed at the end. `restart()` stops and starts the same
 * cluster on the same port (outage tests).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freeTcpPort, waitUntilBound } from './ports.ts';
import { spawnTracked, type TrackedProcess } from './procs.ts';

export interface PrivatePostgres {
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown) and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  /** Stops the server only (for outage tests); `start()` brings it back. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data dir; idempotent. */
  stop(): Promise<void>;
  /** Creates an empty database named `<prefix><pid>_<n>` (unique per call) and returns its URL. */
  createDatabase(prefix: string): Promise<string>;
}

/** The folder with initdb and postgres, or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  const env = process.env['POLYSIP_PG_BIN'];
  if (env && existsSync(join(env, 'postgres'))) return env;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : null;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function waitReady(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end && alive()) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (e) {
      last = (e as Error).message;
      await c.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`private PostgreSQL did not become ready: ${last || 'process exited'}`);
}

export async function startPostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin)');
  const dir = mkdtempSync(join(tmpdir(), 'polysip-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(sock);
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(sock, uid, gid);
  }
  const [icmd, iargs] = asPostgres(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--locale=C',
  ]);
  execFileSync(icmd, iargs, { stdio: 'pipe', timeout: 60_000 });
  const port = await freeTcpPort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let proc: TrackedProcess | null = null;

  const start = async (): Promise<void> => {
    const [cmd, args] = asPostgres(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      sock,
      '-F',
      '-c',
      'max_connections=50',
    ]);
    const p = spawnTracked(cmd, args, { timeoutMs: 30 * 60_000, maxOutputChars: 64 * 1024 });
    proc = p;
    const bound = await waitUntilBound(port, 'tcp', 15_000, () => p.alive);
    if (!bound) throw new Error(`private PostgreSQL failed to start: ${p.stderr().slice(-1000)}`);
    await waitReady(url, 15_000, () => p.alive);
  };
  const halt = async (): Promise<void> => {
    const p = proc;
    proc = null;
    // SIGINT = fast shutdown: clients are disconnected at once, as in a real restart.
    if (p) await p.stop('SIGINT', 10_000);
  };
  let stopped = false;
  let databases = 0;
  try {
    await start();
  } catch (e) {
    await halt();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    port,
    start,
    halt,
    async createDatabase(prefix) {
      const name = `${prefix}${process.pid}_${++databases}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async restart(downMs = 0) {
      await halt();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
