/**
 * Child processes that can never outlive the test or bench run that started them.
 *
 * Every child gets its own process group (detached) so one signal reaches it and anything it
 * forked; every child is in a registry that a process 'exit' hook and SIGINT/SIGTERM/SIGHUP
 * hooks sweep with SIGKILL. Every run has a hard deadline after which the group is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface TrackedResult {
  /** Exit code, or null when the process ended on a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the hard deadline fired and the group was killed. */
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface TrackedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Settles once the process has exited and its output is drained. Never rejects. */
  readonly done: Promise<TrackedResult>;
  readonly alive: boolean;
  /** Output so far (tail-capped). */
  stdout(): string;
  stderr(): string;
  /** Signal the whole group; SIGKILL follows after `graceMs` if it is still alive. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<TrackedResult>;
}

export interface SpawnTrackedOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Hard bound on the lifetime of the process; the group gets SIGKILL when it passes. */
  readonly timeoutMs: number;
  /** Keep at most this many characters of each output stream (the tail). */
  readonly maxOutputChars?: number;
  /** Data for stdin; stdin is closed right after (never a terminal). */
  readonly input?: string | Buffer;
}

const live = new Set<TrackedProcess>();
let hooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group may be gone already; fall back to the leader alone.
    try {
      process.kill(pid, signal);
    } catch {
      /* already exited */
    }
  }
}

/** SIGKILL every tracked child. Synchronous so it is safe inside an 'exit' handler. */
export function killAllTracked(): void {
  for (const p of live) killGroup(p.pid, 'SIGKILL');
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllTracked);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllTracked();
      // Leave the default behaviour intact: re-raise once our listener is gone, unless
      // somebody else also listens and so owns the decision to exit.
      process.off(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

function tailAppend(acc: { s: string }, chunk: string, max: number): void {
  acc.s += chunk;
  if (acc.s.length > max) acc.s = acc.s.slice(acc.s.length - max);
}

export function spawnTracked(
  cmd: string,
  args: readonly string[],
  opts: SpawnTrackedOptions,
): TrackedProcess {
  installHooks();
  const max = opts.maxOutputChars ?? 1 << 20;
  const started = Date.now();
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { s: '' };
  const err = { s: '' };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => tailAppend(out, c, max));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => tailAppend(err, c, max));
  child.stdin!.on('error', () => {
    /* the child may exit before reading its stdin */
  });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else child.stdin!.end();

  let timedOut = false;
  let exited = false;
  let spawnError: Error | null = null;
  child.on('error', (e) => {
    spawnError = e;
  });

  const done = new Promise<TrackedResult>((resolve) => {
    // 'close' waits for the stdio streams too; 'error' alone (ENOENT) may come without it.
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      exited = true;
      clearTimeout(deadline);
      live.delete(handle);
      if (spawnError) tailAppend(err, `\nspawn ${cmd} failed: ${spawnError.message}\n`, max);
      resolve({
        code,
        signal,
        stdout: out.s,
        stderr: err.s,
        timedOut,
        durationMs: Date.now() - started,
      });
    };
    child.on('close', finish);
    child.on('error', () => setImmediate(() => finish(spawnError ? 127 : null, null)));
  });

  const deadline = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  }, opts.timeoutMs);
  // The deadline must not keep an otherwise finished test alive; the exit hook covers it.
  deadline.unref();

  const handle: TrackedProcess = {
    pid: child.pid ?? -1,
    child,
    done,
    get alive() {
      return !exited;
    },
    stdout: () => out.s,
    stderr: () => err.s,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000) {
      if (!exited && child.pid !== undefined) {
        killGroup(child.pid, signal);
        const t = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
        const r = await done;
        clearTimeout(t);
        return r;
      }
      return done;
    },
  };
  if (child.pid !== undefined) live.add(handle);
  return handle;
}
