/**
 * Edits of SIP URI text in place. Kamailio reads and writes URI parts as written (a user part
 * stays escaped: `$rU` of `sip:a%40b@h` is `a%40b`), and a rewrite must leave every other
 * byte of the URI alone, so these work on the text and not on a parsed-then-formatted URI.
 * Only the boundaries of userinfo and host:port are located here; validation is the parser's.
 */

export interface SipUriText {
  /** `sip:` / `sips:` as written. */
  readonly scheme: string;
  /** User part as written (escaped), null when the URI has no `@`. */
  readonly user: string | null;
  /** `:password` as written, '' when absent. */
  readonly password: string;
  readonly host: string;
  /** Port digits as written, null when absent. */
  readonly port: string | null;
  /** Everything from the first `;` or `?` after host:port. */
  readonly rest: string;
}

/** Splits `sip:`/`sips:` URI text; null for other schemes or when there is no host. */
export function splitSipUri(text: string): SipUriText | null {
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const scheme = text.slice(0, colon + 1);
  const ls = scheme.toLowerCase();
  if (ls !== 'sip:' && ls !== 'sips:') return null;
  let body = text.slice(colon + 1);
  let user: string | null = null;
  let password = '';
  // Same rule as the parser: an unescaped '@' can only end the userinfo.
  const at = body.indexOf('@');
  if (at >= 0) {
    const userinfo = body.slice(0, at);
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    password = pc < 0 ? '' : userinfo.slice(pc);
    body = body.slice(at + 1);
  }
  let hpEnd: number;
  let hostEnd: number;
  if (body.startsWith('[')) {
    const close = body.indexOf(']');
    if (close < 0) return null;
    hostEnd = close + 1;
    hpEnd = Math.min(firstOf(body, ';', hostEnd), firstOf(body, '?', hostEnd));
  } else {
    hpEnd = Math.min(firstOf(body, ';'), firstOf(body, '?'));
    const pc = body.indexOf(':');
    hostEnd = pc >= 0 && pc < hpEnd ? pc : hpEnd;
  }
  const host = body.slice(0, hostEnd);
  if (host === '') return null;
  const port = hostEnd < hpEnd && body[hostEnd] === ':' ? body.slice(hostEnd + 1, hpEnd) : null;
  return { scheme, user, password, host, port, rest: body.slice(hpEnd) };
}

export function joinSipUri(u: SipUriText): string {
  const userinfo = u.user === null || u.user === '' ? '' : u.user + u.password + '@';
  return (
    u.scheme + userinfo + u.host + (u.port === null || u.port === '' ? '' : ':' + u.port) + u.rest
  );
}

/** Index of `ch` in `s` at or after `from`, or `s.length`. */
function firstOf(s: string, ch: string, from = 0): number {
  const i = s.indexOf(ch, from);
  return i < 0 ? s.length : i;
}

/** URI text with a user/host/port replaced; null when `text` is not a sip/sips URI. */
export function replaceUriPart(
  text: string,
  part: 'user' | 'host' | 'port',
  value: string | null,
): string | null {
  const u = splitSipUri(text);
  if (!u) return null;
  if (part === 'user') return joinSipUri({ ...u, user: value, password: value ? u.password : '' });
  if (part === 'host') {
    if (!value) return null;
    return joinSipUri({ ...u, host: value });
  }
  return joinSipUri({ ...u, port: value });
}

/** URI text with `;param` appended to the URI parameters (before any `?headers`). */
export function appendUriParam(text: string, param: string): string {
  const q = text.indexOf('?');
  const p = param.startsWith(';') ? param : ';' + param;
  return q < 0 ? text + p : text.slice(0, q) + p + text.slice(q);
}
