/**
 * Run a command in a fresh network namespace where only `lo` exists (and is up), so a test
 * that sends arbitrary bytes (the torture corpus) cannot reach anything off this machine.
 * As root `unshare -n` is enough; otherwise a user namespace (`unshare -rn`) is tried.
 */
import { spawnSync } from 'node:child_process';
import { spawnTracked, type TrackedResult } from './procs.ts';

let cached: string[] | null | undefined;

/** The unshare flags that work here, or null when no namespace can be made. */
function unshareFlags(): string[] | null {
  if (cached !== undefined) return cached;
  cached = null;
  const candidates = process.getuid?.() === 0 ? [['-n'], ['-rn']] : [['-rn'], ['-n']];
  for (const flags of candidates) {
    const r = spawnSync('unshare', [...flags, 'sh', '-c', 'ip link set lo up'], {
      timeout: 5000,
      stdio: 'ignore',
    });
    if (r.status === 0) {
      cached = flags;
      break;
    }
  }
  return cached;
}

/** Can this process create a network namespace with a working `lo`? */
export function hasNetns(): boolean {
  return unshareFlags() !== null;
}

export interface NetnsRunOptions {
  /** Hard bound; the namespace's process group is killed when it passes. */
  readonly timeoutMs: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string | Buffer;
}

/**
 * Run `cmd args…` inside a new network namespace with only `lo` up. Resolves with the exit
 * status and output; rejects only when namespaces are unavailable (check hasNetns first).
 */
export async function runInNetns(
  cmd: string,
  args: readonly string[],
  opts: NetnsRunOptions,
): Promise<TrackedResult> {
  const flags = unshareFlags();
  if (flags === null) throw new Error('network namespaces are not available (unshare failed)');
  const proc = spawnTracked(
    'unshare',
    [...flags, 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', cmd, ...args],
    {
      timeoutMs: opts.timeoutMs,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      ...(opts.input !== undefined ? { input: opts.input } : {}),
    },
  );
  return proc.done;
}
