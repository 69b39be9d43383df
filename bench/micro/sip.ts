/**
 * Parser and serializer micro-benchmarks. The parser is imported at run time so the bench
 * still runs (and says why these are skipped) in a tree where it does not exist.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerMicro } from '../micro.ts';
import { REPO_ROOT } from '../servers.ts';

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 49170 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

const INVITE = Buffer.from(
  [
    'INVITE sip:bob@127.0.0.1:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-524287-1---a7a1b3c0d5e6f708;rport',
    'Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-77ab9e12;received=127.0.0.1',
    'Max-Forwards: 69',
    'Record-Route: <sip:127.0.0.1:5080;lr>',
    'Contact: <sip:alice@127.0.0.1:5070;transport=udp>',
    'To: <sip:bob@127.0.0.1>',
    'From: "Alice" <sip:alice@127.0.0.1>;tag=9fxced76sl',
    'Call-ID: 3848276298220188511@127.0.0.1',
    'CSeq: 1 INVITE',
    'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO',
    'Content-Type: application/sdp',
    'User-Agent: polysip-bench',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n'),
  'latin1',
);

interface ParsedLike {
  serialize(): Buffer;
}
type Parse = (data: Buffer) => ParsedLike;

async function loadParser(): Promise<Parse | { skip: string }> {
  const file = join(REPO_ROOT, 'core/sip/parser.ts');
  if (!existsSync(file)) return { skip: 'core/sip/parser.ts does not exist yet' };
  const mod = (await import(pathToFileURL(file).href)) as { parseMessage?: unknown };
  if (typeof mod.parseMessage !== 'function')
    return { skip: 'parser.ts has no parseMessage export' };
  return mod.parseMessage as Parse;
}

registerMicro({
  name: 'sip.parse',
  description: 'parseMessage() of a ~800-byte INVITE with SDP (lazy: start line + key headers)',
  async prepare() {
    const parse = await loadParser();
    if (typeof parse !== 'function') return parse;
    parse(INVITE); // fail in prepare, not in the timed loop
    return () => parse(INVITE);
  },
});

registerMicro({
  name: 'sip.parse+serialize',
  description: 'parseMessage() then serialize() of the same untouched INVITE',
  async prepare() {
    const parse = await loadParser();
    if (typeof parse !== 'function') return parse;
    if (!parse(INVITE).serialize().equals(INVITE)) {
      return { skip: 'serialize() of an untouched message does not return its bytes' };
    }
    return () => parse(INVITE).serialize();
  },
});
