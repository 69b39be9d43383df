/**
 * Which KSR calls an isolated instance may answer without crossing to the host: the pure reads
 * of the route's message and receive information. Both ends of the placement use this one
 * table, so the worker memoizes exactly what the host marks as memoizable.
 *
 * A call is listed when its answer depends only on the message (as changed so far by this
 * route's own KSR calls), the receive information, the route's `$du`, and the listening
 * sockets and aliases (static configuration), and when computing it changes nothing but lazy
 * parse caches. Every other KSR call may change the message or state, so the worker forgets
 * its memo at each one. Left out on purpose: time, randomness, transactions (`$T_*`), flags,
 * script variables (`$var`, `$avp`, `$xavp`, `$shv`, `$sht`, `$dlg…`), the whole-message
 * PVs (`$mb`, `$ml`, `$rb`: big, and rarely read twice), anything whose parameter holds
 * another PV (`$hdr($var(x))`) and every module not listed (htable, registrar, auth…).
 *
 * The table names functions as the real modules declare them (modules/core, pv, hdr, siputils,
 * corex); engines may not import modules, so `test/placement-memo.test.ts` checks the names
 * against them.
 */
import { KEMI_METHOD_TESTS } from '../../core/api/kemi-methods.ts';

export type PureArgs = readonly (string | number)[];
type Test = (args: PureArgs) => boolean;

const always: Test = () => true;

/** PVs without parameter that read the message or its receive information. */
const MESSAGE_PVS = new Set([
  // request line, R-URI and destination URI
  '$rm',
  '$ru',
  '$rU',
  '$rd',
  '$rp',
  '$rP',
  '$rz',
  '$rs',
  '$rr',
  '$rv',
  '$du',
  // From / To
  '$fu',
  '$fU',
  '$fd',
  '$fn',
  '$ft',
  '$tu',
  '$tU',
  '$td',
  '$tn',
  '$tt',
  // other headers
  '$ci',
  '$cs',
  '$ua',
  '$ct',
  '$cT',
  '$cl',
  // credentials of the request
  '$au',
  '$ar',
  '$aU',
  '$ad',
  // receive information
  '$si',
  '$sp',
  '$su',
  '$sut',
  '$Ri',
  '$Rp',
  '$pr',
  '$proto',
  '$conid',
]);

/** `$hdr(Name)`, `$hdr(Name)[n]`, `$hdrc(Name)`: a literal header name and index only. */
const HEADER_PV =
  /^\$(?:hdr\([A-Za-z0-9!%*_.+`'~-]+\)(?:\[-?[0-9]+\])?|hdrc\([A-Za-z0-9!%*_.+`'~-]+\))$/;

/** True for a PV name whose value is a pure read of the message. */
export function isMessagePv(name: string): boolean {
  return MESSAGE_PVS.has(name) || HEADER_PV.test(name);
}

const firstIsMessagePv: Test = (args) => typeof args[0] === 'string' && isMessagePv(args[0]);

const PROTOS = ['UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'];

const TABLE = new Map<string, Test>([
  // KSR.* (modules/core): method, protocol, address and "myself" tests
  ...KEMI_METHOD_TESTS.map((m): [string, Test] => [`is_${m}`, always]),
  ...PROTOS.map((p): [string, Test] => [`is_${p}`, always]),
  ...PROTOS.map((p): [string, Test] => [`to_${p}`, always]),
  ...[
    'is_method',
    'is_method_in',
    'is_TCPX',
    'is_WSX',
    'is_proto',
    'is_IPv4',
    'is_IPv6',
    'to_IPv4',
    'to_IPv6',
    'is_src_port',
    'is_dst_port',
    'is_myself',
    'is_myself_ruri',
    'is_myself_duri',
    'is_myself_nhuri',
    'is_myself_furi',
    'is_myself_turi',
    'is_myself_srcip',
    'is_myself_suri',
    'isdsturiset',
  ].map((n): [string, Test] => [n, always]),
  // KSR.pv getters, for message PVs only
  ...['get', 'gete', 'getw', 'geti', 'getvn', 'getvs', 'is_null'].map((n): [string, Test] => [
    `pv.${n}`,
    firstIsMessagePv,
  ]),
  // KSR.hdr getters
  ...['is_present', 'get', 'gete', 'getw', 'get_idx', 'gete_idx', 'getw_idx'].map(
    (n): [string, Test] => [`hdr.${n}`, always],
  ),
  ...['has_totag', 'is_request', 'is_reply', 'uri_param', 'uri_param_value'].map(
    (n): [string, Test] => [`siputils.${n}`, always],
  ),
  ...['has_ruri_user', 'has_user_agent'].map((n): [string, Test] => [`corex.${n}`, always]),
]);

/** The purity test of a KSR function, or null when none of its calls is a pure read. */
export function pureTest(module: string, name: string): Test | null {
  return TABLE.get(module === '' ? name : `${module}.${name}`) ?? null;
}

/** Names of the listed functions (`module.name`, or `name` for KSR.*), for tests. */
export function pureFunctionNames(): string[] {
  return [...TABLE.keys()];
}

/** The memo key of a call: function index and arguments, ints and strings kept apart. */
export function memoKey(fnIndex: number, args: PureArgs): string {
  let k = String(fnIndex);
  for (const a of args) k += typeof a === 'number' ? `\u0000n${a}` : `\u0000s${a}`;
  return k;
}
