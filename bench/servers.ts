/**
 * Servers under test: Kamailio (native cfg or KEMI Lua) and polysip (one engine per target).
 * Each is started on a free loopback port with files in a temp dir, is ready once its UDP
 * port is bound, and is stopped by its process group id. Nothing is installed here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, isBound } from '../test/kit/ports.ts';
import { spawnTracked, type TrackedProcess } from '../test/kit/procs.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type Engine = 'native' | 'lua' | 'python' | 'js';
export type ServerKind = 'polysip' | 'kamailio';

export interface TargetId {
  readonly kind: ServerKind;
  readonly engine: Engine;
  /**
   * polysip only. `in-thread` runs the script in the SIP thread (`--trusted`); `isolated` in a
   * worker (the CLI default). Python always has its own worker whatever the placement.
   */
  readonly placement?: 'in-thread' | 'isolated';
}

export const targetName = (t: TargetId): string =>
  `${t.kind}-${t.engine}${t.placement === 'isolated' ? '-isolated' : ''}`;

export interface RunningServer {
  readonly port: number;
  /** Process group of the server (all its processes). */
  readonly pgid: number;
  stop(): Promise<void>;
}

export type StartResult =
  | { readonly ok: true; readonly server: RunningServer }
  | { readonly ok: false; readonly reason: string };

/** What a scenario hands to a server: its routing logic for each engine. */
export interface RoutingLogic {
  /** Modules, modparams and routes of a native Kamailio cfg (after the global section). */
  readonly kamailioCfg: string;
  /** Modules and modparams Kamailio needs to expose the KSR functions the Lua script calls. */
  readonly kamailioKemiModules: string;
  readonly lua: string;
  readonly python?: string;
  readonly js?: string;
  /** More polysip CLI arguments (database, aliases, modparams). */
  readonly polysipArgs?: readonly string[];
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** What is missing for each kind of target, with the command that installs it. */
export function prerequisites(): {
  sipp: string | null;
  kamailio: string | null;
  polysip: string | null;
} {
  const kamailioLua = [
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib',
    '/usr/local/lib',
  ]
    .map((d) => join(d, 'kamailio/modules/app_lua.so'))
    .some((p) => existsSync(p));
  return {
    sipp: which('sipp') ? null : 'sipp is not installed: apt-get install sip-tester',
    kamailio: !which('kamailio')
      ? 'kamailio is not installed: apt-get install kamailio kamailio-lua-modules'
      : kamailioLua
        ? null
        : 'kamailio app_lua is missing: apt-get install kamailio-lua-modules',
    polysip: existsSync(join(REPO_ROOT, 'bin/polysip.js'))
      ? null
      : 'bin/polysip.js does not exist yet (polysip CLI not written)',
  };
}

async function waitReady(
  proc: TrackedProcess,
  port: number,
  timeoutMs: number,
  extra: () => boolean = () => false,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && proc.alive) {
    if (isBound(port, 'udp') || extra()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return proc.alive && isBound(port, 'udp');
}

function tail(s: string, n = 600): string {
  return s.length > n ? '…' + s.slice(-n) : s;
}

function stopper(proc: TrackedProcess, dir: string): () => Promise<void> {
  return async () => {
    const r = await proc.stop('SIGTERM', 5000);
    // BENCH_DEBUG=1 shows what the server logged (Kamailio errors, polysip warnings).
    if (process.env.BENCH_DEBUG) console.error(r.stderr.slice(-3000));
    rmSync(dir, { recursive: true, force: true });
  };
}

const KAMAILIO_GLOBALS = (port: number): string => `#!KAMAILIO
debug=0
log_stderror=yes
memdbg=5
memlog=5
children=2
disable_tcp=yes
auto_aliases=no
dns=no
rev_dns=no
listen=udp:127.0.0.1:${port}
`;

export async function startKamailio(
  engine: 'native' | 'lua',
  logic: RoutingLogic,
): Promise<StartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-bench-kam-'));
  const port = await freePort();
  let cfg = KAMAILIO_GLOBALS(port);
  if (engine === 'native') {
    cfg += logic.kamailioCfg;
  } else {
    const luaFile = join(dir, 'route.lua');
    writeFileSync(luaFile, logic.lua);
    cfg += `${logic.kamailioKemiModules}
loadmodule "app_lua.so"
modparam("app_lua", "load", "${luaFile}")
cfgengine "lua"
`;
  }
  const cfgFile = join(dir, 'kamailio.cfg');
  writeFileSync(cfgFile, cfg);
  const check = spawnSync('kamailio', ['-c', '-f', cfgFile], { encoding: 'utf8', timeout: 20_000 });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `kamailio -c rejected the cfg: ${tail(check.stderr ?? '', 800)}` };
  }
  // Bounded even if the harness dies without its exit hooks: 30 minutes at most.
  const proc = spawnTracked(
    'kamailio',
    ['-f', cfgFile, '-DD', '-E', '-m', '256', '-M', '16', '-Y', dir, '-w', dir],
    { timeoutMs: 30 * 60_000, cwd: dir, maxOutputChars: 64 * 1024 },
  );
  if (!(await waitReady(proc, port, 15_000))) {
    const r = await proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `kamailio did not come up: ${tail(r.stderr)}` };
  }
  // Workers are forked after the socket is bound; give them a moment to start reading.
  await new Promise((r) => setTimeout(r, 300));
  return { ok: true, server: { port, pgid: proc.pid, stop: stopper(proc, dir) } };
}

const EXT: Record<'lua' | 'python' | 'js', string> = { lua: 'lua', python: 'py', js: 'js' };

export interface PolysipStartOptions {
  readonly placement?: 'in-thread' | 'isolated';
  /** Node options before the CLI path (e.g. `--cpu-prof`, `--cpu-prof-dir=DIR`). */
  readonly nodeArgs?: readonly string[];
  /** The polysip tree to run (default POLYSIP_ROOT). */
  readonly root?: string;
}

/**
 * The polysip tree whose CLI is started: this one, or BENCH_POLYSIP_ROOT (another checkout,
 * e.g. a worktree of an older commit) so before/after runs share one harness.
 */
export const POLYSIP_ROOT = process.env.BENCH_POLYSIP_ROOT
  ? resolve(process.env.BENCH_POLYSIP_ROOT)
  : REPO_ROOT;

export async function startPolysip(
  engine: 'lua' | 'python' | 'js',
  logic: RoutingLogic,
  opts: PolysipStartOptions = {},
): Promise<StartResult> {
  const placement = opts.placement ?? 'in-thread';
  const script = engine === 'lua' ? logic.lua : logic[engine];
  if (script === undefined) return { ok: false, reason: `no ${engine} script for this scenario` };
  const root = opts.root ?? POLYSIP_ROOT;
  const cli = join(root, 'bin/polysip.js');
  if (!existsSync(cli)) return { ok: false, reason: 'bin/polysip.js does not exist yet' };
  const dir = mkdtempSync(join(tmpdir(), 'polysip-bench-ps-'));
  const file = join(dir, `route.${EXT[engine]}`);
  writeFileSync(file, script);
  const port = await freePort();
  const proc = spawnTracked(
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      cli,
      'run',
      '--listen',
      `udp:127.0.0.1:${port}`,
      '--script',
      file,
      '--log-level',
      'warn',
      '--allow-destinations',
      '127.0.0.0/8',
      // No management endpoint: its fixed default port would collide with any other polysip.
      '--management',
      'off',
      ...(placement === 'in-thread' ? ['--trusted'] : []),
      ...(logic.polysipArgs ?? []),
    ],
    { timeoutMs: 30 * 60_000, cwd: root, maxOutputChars: 64 * 1024 },
  );
  // Ready when the CLI says so ("msg":"listening" for our port) or the port is bound.
  const saidListening = (): boolean =>
    proc
      .stdout()
      .split('\n')
      .some((l) => l.includes('"listening"') && l.includes(`"port":${port}`));
  if (!(await waitReady(proc, port, 20_000, saidListening))) {
    const r = await proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    return {
      ok: false,
      reason: `polysip did not come up (exit ${r.code ?? r.signal}): ${tail(r.stderr || r.stdout)}`,
    };
  }
  return { ok: true, server: { port, pgid: proc.pid, stop: stopper(proc, dir) } };
}

export function startTarget(t: TargetId, logic: RoutingLogic): Promise<StartResult> {
  if (t.kind === 'kamailio') {
    if (t.engine !== 'native' && t.engine !== 'lua') {
      return Promise.resolve({ ok: false, reason: `kamailio-${t.engine} is not benchmarked` });
    }
    return startKamailio(t.engine, logic);
  }
  if (t.engine === 'native')
    return Promise.resolve({ ok: false, reason: 'polysip has no native cfg' });
  return startPolysip(t.engine, logic, { placement: t.placement ?? 'in-thread' });
}
