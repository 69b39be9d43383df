/**
 * SIPp 3.6.1 driver for interop tests and the bench.
 *
 * Results come from sipp's statistics CSV (`-trace_stat -stf FILE -fd 1`): the last row holds
 * the cumulative "(C)" counters, it is rewritten every second and once more when sipp ends
 * (also on SIGTERM), so it is readable even from a run that was stopped. Response times come
 * from `-trace_rtt -rtt_freq 1` (one line per measured response, millisecond resolution).
 * sipp's CPU time comes from the shell `times` builtin of a tiny bash wrapper, which is
 * exact, unlike sampling /proc until the process vanishes.
 *
 * Only loopback addresses are accepted, every run is bounded by sipp's own `-timeout` plus a
 * hard SIGKILL deadline, and each run's files live in a temp dir that is removed afterwards.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { freePort, freeUdpPort, waitUntilBound } from './ports.ts';
import { spawnTracked, type TrackedProcess } from './procs.ts';

export type SippTransport = 'udp' | 'tcp' | 'tls';

export interface SippOptions {
  /** A built-in scenario name ('uac', 'uas', 'regexp', 'branchc', …) or a path to an XML file. */
  readonly scenario: 'uac' | 'uas' | (string & {});
  /** 'host:port' of the peer ('[::1]:5060' for IPv6). Loopback only. */
  readonly remote?: string;
  /** Local address sipp binds and advertises; 127.0.0.1 (or ::1 when remote is IPv6). */
  readonly localIp?: string;
  /** 0 or absent = a free port picked here (sipp itself would take 5060). */
  readonly localPort?: number;
  readonly transport?: SippTransport;
  /** -m: stop after this many calls. */
  readonly calls?: number;
  /** -r: calls per rate period. */
  readonly rate?: number;
  /** -rp in milliseconds (sipp's default is 1000). */
  readonly ratePeriodMs?: number;
  /** -l: at most this many simultaneous calls. */
  readonly maxConcurrent?: number;
  /** Hard bound: sipp's -timeout, and SIGKILL a few seconds after it. */
  readonly timeoutSec: number;
  readonly extraArgs?: readonly string[];
  /** -s: user part of the Request-URI. */
  readonly service?: string;
  /** Record every response time (-trace_rtt) into `responseTimesMs`. */
  readonly traceRtt?: boolean;
  /** Keep the temp dir with sipp's files (its path is in the result) for debugging. */
  readonly keepFiles?: boolean;
}

export interface SippResult {
  /** sipp's exit code (0 all calls ok, 1 some failed, 97/99 special, 255 fatal); -1 if killed. */
  readonly exitCode: number;
  readonly successful: number;
  /** Failed calls, plus calls asked for with `calls` that never completed (a timeout). */
  readonly failed: number;
  readonly retransmissions: number;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** User + system CPU seconds used by sipp; absent when it had to be SIGKILLed. */
  readonly cpuSeconds?: number;
  /** Calls created by this sipp (outgoing for a UAC, incoming for a UAS). */
  readonly created: number;
  /** sipp's global -timeout fired, or the hard deadline killed it. */
  readonly timedOut: boolean;
  /** Last row of the statistics CSV, by column name (everything sipp counts). */
  readonly stats: Readonly<Record<string, string>>;
  /** With `traceRtt`: response times in ms, in the order sipp measured them. */
  readonly responseTimesMs: readonly number[];
  /** With `keepFiles`: the directory holding sipp's files. */
  readonly dir?: string;
}

const BUILTIN = new Set([
  'uac',
  'uas',
  'regexp',
  'branchc',
  'branchs',
  '3pcc-C-A',
  '3pcc-C-B',
  '3pcc-A',
  '3pcc-B',
  'uac_pcap',
]);

/** The bash wrapper: run sipp, publish its PID, and record its CPU times when it ends. */
const WRAPPER = [
  'd="$1"; shift',
  '"$@" </dev/null & p=$!',
  'echo "$p" > "$d/sipp.pid"',
  'wait "$p"; rc=$?',
  'times > "$d/times"',
  'exit "$rc"',
].join('\n');

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '::1' || h === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Split 'host:port' / '[v6]:port'; throws on a non-loopback host. */
export function parseRemote(remote: string): { host: string; port: number; v6: boolean } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(remote) ?? /^([^:]+):(\d+)$/.exec(remote);
  if (!m) throw new Error(`sipp remote must be host:port, got ${JSON.stringify(remote)}`);
  const host = m[1]!;
  if (!isLoopbackHost(host)) throw new Error(`refusing non-loopback sipp remote ${remote}`);
  return { host, port: Number(m[2]), v6: host.includes(':') };
}

function num(stats: Record<string, string>, key: string): number {
  const v = Number(stats[key]);
  return Number.isFinite(v) ? v : 0;
}

/** Last data row of a sipp statistics CSV keyed by header; {} when absent or empty. */
export function parseStatCsv(text: string): Record<string, string> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return {};
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const out: Record<string, string> = {};
  head.forEach((h, i) => {
    if (h !== '') out[h] = last[i] ?? '';
  });
  return out;
}

/** Response times (ms) from sipp's `_rtt.csv` ("Date_ms;response_time_ms;rtd_no"). */
export function parseRttCsv(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const v = Number(line.split(';')[1]);
    if (line.trim() !== '' && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** Children's user+sys seconds from bash `times` (second line). */
export function parseTimes(text: string): number | undefined {
  const vals = [...text.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return vals.length >= 4 ? vals[2]! + vals[3]! : undefined;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

interface Prepared {
  readonly dir: string;
  readonly args: string[];
  readonly localPort: number;
}

async function prepare(opts: SippOptions): Promise<Prepared> {
  if (!(opts.timeoutSec > 0)) throw new Error('runSipp: timeoutSec must be > 0');
  const remote = opts.remote !== undefined ? parseRemote(opts.remote) : null;
  const localIp = opts.localIp ?? (remote?.v6 ? '::1' : '127.0.0.1');
  if (!isLoopbackHost(localIp)) throw new Error(`refusing non-loopback sipp localIp ${localIp}`);
  const family = localIp.includes(':') ? 6 : 4;
  const transport = opts.transport ?? 'udp';
  const localPort =
    opts.localPort && opts.localPort > 0
      ? opts.localPort
      : transport === 'udp'
        ? await freeUdpPort(family)
        : await freePort(family);
  const dir = mkdtempSync(join(tmpdir(), 'polysip-sipp-'));
  const args: string[] = [];
  if (BUILTIN.has(opts.scenario) && !opts.scenario.endsWith('.xml')) {
    args.push('-sn', opts.scenario);
  } else {
    args.push('-sf', isAbsolute(opts.scenario) ? opts.scenario : resolve(opts.scenario));
  }
  if (remote) args.push(opts.remote!);
  args.push('-i', localIp, '-p', String(localPort));
  args.push('-t', transport === 'udp' ? 'u1' : transport === 'tcp' ? 't1' : 'l1');
  if (opts.calls !== undefined) args.push('-m', String(opts.calls));
  if (opts.rate !== undefined) args.push('-r', String(opts.rate));
  if (opts.ratePeriodMs !== undefined) args.push('-rp', String(opts.ratePeriodMs));
  if (opts.maxConcurrent !== undefined) args.push('-l', String(opts.maxConcurrent));
  if (opts.service !== undefined) args.push('-s', opts.service);
  // The control socket would otherwise scan from 8888 upwards on every run.
  args.push('-cp', String(await freeUdpPort(4)));
  // Without -timeout_error sipp only stops creating calls at the timeout and then waits for the
  // running ones, which never end when the peer is silent.
  args.push('-timeout', `${opts.timeoutSec}s`, '-timeout_error');
  args.push('-max_socket', '1024', '-nostdin');
  args.push('-trace_stat', '-stf', join(dir, 'stat.csv'), '-fd', '1');
  if (opts.traceRtt) args.push('-trace_rtt', '-rtt_freq', '1');
  if (opts.extraArgs) args.push(...opts.extraArgs);
  return { dir, args, localPort };
}

function launch(p: Prepared, timeoutSec: number): TrackedProcess {
  return spawnTracked('bash', ['-c', WRAPPER, 'bash', p.dir, 'sipp', ...p.args], {
    cwd: p.dir, // -trace_rtt writes <scenario>_<pid>_rtt.csv into the working directory
    timeoutMs: (timeoutSec + 5) * 1000,
    maxOutputChars: 256 * 1024,
  });
}

async function collect(
  p: Prepared,
  proc: TrackedProcess,
  opts: Pick<SippOptions, 'calls' | 'keepFiles'>,
): Promise<SippResult> {
  const r = await proc.done;
  const stats = parseStatCsv(readOr(join(p.dir, 'stat.csv')));
  let rtts: number[] = [];
  for (const f of readdirSync(p.dir)) {
    if (f.endsWith('_rtt.csv')) rtts = rtts.concat(parseRttCsv(readOr(join(p.dir, f))));
  }
  const cpuSeconds = parseTimes(readOr(join(p.dir, 'times')));
  const successful = num(stats, 'SuccessfulCall(C)');
  let failed = num(stats, 'FailedCall(C)');
  const created = num(stats, 'OutgoingCall(C)') + num(stats, 'IncomingCall(C)');
  if (opts.calls !== undefined && num(stats, 'IncomingCall(C)') === 0) {
    failed += Math.max(0, opts.calls - successful - failed);
  }
  if (!opts.keepFiles) rmSync(p.dir, { recursive: true, force: true });
  return {
    exitCode: r.code ?? -1,
    successful,
    failed,
    retransmissions: num(stats, 'Retransmissions(C)'),
    durationMs: r.durationMs,
    stdout: r.stdout,
    stderr: r.stderr,
    ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
    created,
    timedOut: r.timedOut || /timed out after/.test(r.stderr),
    stats,
    responseTimesMs: rtts,
    ...(opts.keepFiles ? { dir: p.dir } : {}),
  };
}

/** Run sipp to completion (bounded by `timeoutSec`) and return what it counted. */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  const p = await prepare(opts);
  return collect(p, launch(p, opts.timeoutSec), opts);
}

/** The sipp PID published by the wrapper, waiting briefly for it to appear. */
async function sippPid(dir: string, proc: TrackedProcess): Promise<number | null> {
  for (let i = 0; i < 50 && proc.alive; i++) {
    const pid = Number(readOr(join(dir, 'sipp.pid')).trim());
    if (pid > 0) return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

export interface SippUasOptions {
  /** Hard bound on the UAS lifetime; stop() normally ends it earlier. */
  readonly timeoutSec: number;
  readonly scenario?: string;
  readonly transport?: SippTransport;
  readonly localIp?: string;
  readonly extraArgs?: readonly string[];
  readonly traceRtt?: boolean;
}

export interface SippUas {
  readonly port: number;
  /** PID of sipp itself. */
  readonly pid: number;
  /** Process group of the run (sipp and its wrapper), for /proc sampling. */
  readonly pgid: number;
  /**
   * SIGTERM sipp (it writes its final statistics), SIGKILL after 3 s; idempotent. With
   * `drainMs`, first wait (bounded) until no call is in progress: the built-in UAS counts a
   * call as successful only after its 4 s timewait following the BYE.
   */
  stop(opts?: { drainMs?: number }): Promise<SippResult>;
  /** Cumulative counters from the statistics file sipp rewrites every second. */
  stats(): Readonly<Record<string, string>>;
}

/**
 * A background sipp UAS on a free loopback port. Resolves once the port is bound (seen in
 * /proc/net); a port taken in the meantime makes sipp exit, and another port is tried.
 */
export async function startSippUas(opts: SippUasOptions): Promise<SippUas> {
  const transport = opts.transport ?? 'udp';
  let lastErr = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const p = await prepare({
      scenario: opts.scenario ?? 'uas',
      transport,
      timeoutSec: opts.timeoutSec,
      ...(opts.localIp !== undefined ? { localIp: opts.localIp } : {}),
      ...(opts.extraArgs !== undefined ? { extraArgs: opts.extraArgs } : {}),
      ...(opts.traceRtt !== undefined ? { traceRtt: opts.traceRtt } : {}),
    });
    const proc = launch(p, opts.timeoutSec);
    const up = await waitUntilBound(
      p.localPort,
      transport === 'udp' ? 'udp' : 'tcp',
      5000,
      () => proc.alive,
    );
    const pid = up ? await sippPid(p.dir, proc) : null;
    if (up && pid !== null && proc.alive) {
      let stopping: Promise<SippResult> | null = null;
      return {
        port: p.localPort,
        pid,
        pgid: proc.pid,
        stats: () => parseStatCsv(readOr(join(p.dir, 'stat.csv'))),
        stop(stopOpts) {
          stopping ??= (async () => {
            const asked = Date.now();
            const end = asked + (stopOpts?.drainMs ?? 0);
            while (Date.now() < end && proc.alive) {
              const st = parseStatCsv(readOr(join(p.dir, 'stat.csv')));
              // Trust only a dump written after stop() was called; an older one can predate
              // the calls. CurrentTime's last tab-separated field is epoch seconds.
              const at = Number((st['CurrentTime'] ?? '').split('\t').pop()) * 1000;
              if (st['CurrentCall'] === '0' && at >= asked) break;
              await new Promise((r) => setTimeout(r, 100));
            }
            try {
              process.kill(pid, 'SIGTERM');
            } catch {
              /* already gone */
            }
            const t = setTimeout(() => void proc.stop('SIGKILL'), 3000);
            const res = await collect(p, proc, {});
            clearTimeout(t);
            return res;
          })();
          return stopping;
        },
      };
    }
    const r = await proc.stop('SIGKILL');
    rmSync(p.dir, { recursive: true, force: true });
    lastErr = `exit ${r.code}: ${r.stderr.slice(-500)}`;
  }
  throw new Error(`sipp UAS did not come up after 5 attempts; last: ${lastErr}`);
}
