/**
 * A REGISTER as a phone sends it over UDP to a loopback server: first without credentials,
 * then, when challenged, with an MD5 digest (qop=auth) computed here from the password, so a
 * test sees the answers a user's phone would see. Independent of modules/auth on purpose.
 */
import { createHash } from 'node:crypto';
import { udpExchange } from './udp-client.ts';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export interface RegisterResult {
  /** Status lines in order, e.g. ['SIP/2.0 401 Unauthorized', 'SIP/2.0 200 OK']. */
  readonly statuses: string[];
  /** The realm of the challenge, when there was one. */
  readonly realm: string | null;
}

let seq = 0;

export async function registerWithDigest(opts: {
  readonly port: number;
  /** `user@domain`; the R-URI is `sip:domain`. */
  readonly aor: string;
  readonly password: string;
  readonly timeoutMs?: number;
}): Promise<RegisterResult> {
  const [user, domain] = opts.aor.split('@') as [string, string];
  const ruri = `sip:${domain}`;
  const n = ++seq;
  const callId = `reg-${process.pid}-${n}@127.0.0.1`;
  const message = (cseq: number, auth: string | null): string =>
    `REGISTER ${ruri} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-reg-${n}-${cseq}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:${opts.aor}>;tag=r${n}\r\nTo: <sip:${opts.aor}>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\n` +
    `Contact: <sip:${user}@127.0.0.1:5999>;expires=60\r\n` +
    (auth ? `Authorization: ${auth}\r\n` : '') +
    'Content-Length: 0\r\n\r\n';
  const send = async (cseq: number, auth: string | null): Promise<string> => {
    const r = await udpExchange({
      to: { host: '127.0.0.1', port: opts.port },
      message: message(cseq, auth),
      timeoutMs: opts.timeoutMs ?? 10_000,
    });
    return r.responses[0]?.toString('latin1') ?? '(no answer)';
  };
  const statuses: string[] = [];
  const first = await send(1, null);
  statuses.push(first.split('\r\n')[0]!);
  const challenge = /^WWW-Authenticate:\s*Digest\s+(.*)$/im.exec(first)?.[1];
  if (!challenge) return { statuses, realm: null };
  const p = Object.fromEntries(
    [...challenge.matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]+))/g)].map((m) => [m[1]!, m[2] ?? m[3]!]),
  ) as Record<string, string>;
  const realm = p['realm'] ?? '';
  const nc = '00000001';
  const cnonce = `c${n}`;
  const ha1 = md5(`${user}:${realm}:${opts.password}`);
  const ha2 = md5(`REGISTER:${ruri}`);
  const response = md5(`${ha1}:${p['nonce']}:${nc}:${cnonce}:auth:${ha2}`);
  const auth =
    `Digest username="${user}", realm="${realm}", nonce="${p['nonce']}", uri="${ruri}", ` +
    `response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"` +
    (p['opaque'] ? `, opaque="${p['opaque']}"` : '');
  statuses.push((await send(2, auth)).split('\r\n')[0]!);
  return { statuses, realm };
}
