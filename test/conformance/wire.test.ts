/**
 * The torture corpus on the wire: the server answers what the manifest says, drops what it
 * says to drop, and keeps serving. Runs in a fresh network namespace with only loopback.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface WireResult {
  file: string;
  verdict?: string;
  isResponse?: boolean;
  note?: string;
  replies?: number;
  repliesElsewhere?: number;
  forwarded?: number;
  statusLine: string | null;
  arrivedAt?: number | null;
  expectedAt?: number;
  misdirectedTo?: string | null;
  warning?: string | null;
}

const runner = fileURLToPath(new URL('./wire-runner.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

function runInNamespace(): WireResult[] {
  const r = spawnSync(
    'unshare',
    [
      '-n',
      'sh',
      '-c',
      'ip link set lo up && exec "$0" "$@"',
      process.execPath,
      '--import',
      'tsx',
      runner,
    ],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`runner failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as WireResult);
}

/**
 * Well-formed requests that Kamailio's default configuration drops silently, and so does
 * scripts/default.lua, which ports it: sanity_check(17895, 7) includes check 16384, "the
 * first Via has a branch". The parser accepts both (test/conformance-parse.test.ts).
 */
const SANITY_DROPS = new Map([
  ['longreq.dat', 'top Via sip33.example.com has no branch: dropped by sanity check 16384'],
  ['inv2543.dat', 'RFC 2543 request without a branch: dropped by sanity check 16384'],
]);

const results = runInNamespace();
const byFile = new Map(results.map((r) => [r.file, r]));
const code = (r: WireResult | undefined): number | null => {
  const m = r?.statusLine ? /^SIP\/2\.0 (\d{3}) /.exec(r.statusLine) : null;
  return m ? Number(m[1]) : null;
};

test('every corpus message was sent and the server still serves afterwards', (t) => {
  t.true(results.length >= 62, `only ${results.length} results`);
  t.is(code(byFile.get('#alive')), 200);
});

for (const r of results.filter((x) => x.verdict)) {
  test(`${r.file}: ${r.verdict}`, (t) => {
    const status = code(r);
    // Wherever the top Via's host points, a reply goes back to the sender (RFC 3261 §18.2.2,
    // RFC 3581): the source address, at the sent-by port or the source port with rport.
    t.is(r.repliesElsewhere, 0, `a reply went to ${r.misdirectedTo ?? '?'} instead of the sender`);
    if (status !== null) t.is(r.arrivedAt, r.expectedAt, 'the reply arrived at the wrong port');
    switch (r.verdict) {
      case 'reject-400':
        if (r.file === 'test.dat') {
          // No Via at all: a response has nowhere to go; its note allows "400 (or drop)".
          t.is(r.replies, 0);
          break;
        }
        t.is(status, 400, `got ${r.statusLine}`);
        t.truthy(r.warning, 'the 400 names the fault in a Warning header');
        break;
      case 'reject-505':
        t.is(status, 505);
        break;
      case 'reject-501':
        t.true(status === 501 || status === 400, `got ${r.statusLine}`);
        break;
      case 'drop-response':
        t.is(r.replies, 0, 'responses are never answered');
        break;
      case 'reject-400-or-liberal':
        // A liberal parse is allowed; then the request is routed and must not be forwarded
        // off-box (the namespace has no route anyway). Either way it gets a final answer.
        t.true(status !== null && status >= 400, `got ${r.statusLine}`);
        break;
      case 'semantic-483-proxy':
        t.is(status, 483);
        break;
      case 'semantic-416':
        t.is(status, 416);
        break;
      case 'semantic-400':
        t.is(status, 400);
        break;
      default:
        if (r.isResponse) {
          t.is(r.replies, 0, 'a response is routed by Via or dropped, never answered');
          break;
        }
        if (SANITY_DROPS.has(r.file)) {
          t.is(r.replies, 0, SANITY_DROPS.get(r.file));
          break;
        }
        // valid and other semantic verdicts: parsed and routed; the default script answers
        // every request it cannot relay (nothing here is relayed: the namespace has no other
        // host), so the sender gets a final answer.
        t.true(status !== null, `not answered at the sender (${r.note ?? ''})`);
    }
  });
}
