/**
 * Header-line helpers shared by hdr and textops: turn script text such as
 * `"X-Foo: bar\r\nX-Bar: 1\r\n"` into fields, and insert fields at a position of the header
 * section using only the SipMessage mutations (which know "top", "end" and "after the last
 * header named N").
 */
import type { RouteContext } from '../../core/api/context.ts';
import { lnameOf } from '../../core/sip/headers.ts';
import { isToken, trimLws } from '../../core/sip/lex.ts';
import { fromScriptText } from '../../core/sip/text.ts';
import type { SipMessage } from '../../core/sip/types.ts';

export interface HeaderText {
  readonly name: string;
  /** latin1 octets, folding collapsed. */
  readonly value: string;
}

/**
 * Parses one or more header lines typed by a script (UTF-8 text). Folded continuation lines
 * are joined with one space. Returns null when a line has no `name:` or the name is not a token.
 */
export function parseHeaderText(scriptText: string): HeaderText[] | null {
  const t = fromScriptText(scriptText).replace(/(\r?\n)+$/, '');
  if (t === '') return null;
  const out: { name: string; value: string }[] = [];
  for (const line of t.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      const last = out[out.length - 1];
      if (!last) return null;
      last.value = trimLws(last.value + ' ' + trimLws(line));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const name = trimLws(line.slice(0, colon));
    if (!isToken(name)) return null;
    out.push({ name, value: trimLws(line.slice(colon + 1)) });
  }
  // A lone CR left inside a value would be refused by the message half-way through an insert.
  return out.some((h) => /[\r\n]/.test(h.value)) ? null : out;
}

/** Indexes in `headerFields()` of the fields named `name` (full or compact form, any case). */
export function headerIndexes(msg: SipMessage, name: string): number[] {
  const l = lnameOf(name);
  const out: number[] = [];
  msg.headerFields().forEach((h, i) => {
    if (h.lname === l) out.push(i);
  });
  return out;
}

/**
 * Inserts `lines` so that the first one ends up at index `pos` of the header fields. When the
 * mutations cannot express that position directly, the fields after it are re-appended in
 * order (they keep name and value; their original spacing is not kept).
 */
export function insertHeadersAt(msg: SipMessage, pos: number, lines: readonly HeaderText[]): void {
  const fields = msg.headerFields();
  if (pos >= fields.length) {
    for (const l of lines) msg.appendHeader(l.name, l.value);
    return;
  }
  if (pos <= 0) {
    for (let i = lines.length - 1; i >= 0; i--) msg.prependHeader(lines[i]!.name, lines[i]!.value);
    return;
  }
  const prev = fields[pos - 1]!;
  const lastOfPrev = fields.reduce((acc, h, i) => (h.lname === prev.lname ? i : acc), -1);
  if (lastOfPrev === pos - 1) {
    for (let i = lines.length - 1; i >= 0; i--)
      msg.insertHeaderAfter(prev.name, lines[i]!.name, lines[i]!.value);
    return;
  }
  const tail = fields.slice(pos).map((h) => ({ name: h.name, value: h.value }));
  for (let i = fields.length - 1; i >= pos; i--) msg.removeHeaderAt(i);
  for (const l of lines) msg.appendHeader(l.name, l.value);
  for (const l of tail) msg.appendHeader(l.name, l.value);
}

/** Logs and reports a header text a script got wrong. */
export function badHeaderText(ctx: RouteContext, fn: string, text: string): -1 {
  ctx.log('err', `${fn}: invalid header text ${JSON.stringify(text)}\n`);
  return -1;
}
