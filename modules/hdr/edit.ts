/** The logic behind KSR.hdr: header text insertion at Kamailio's positions, removal, reads. */
import type { RouteContext } from '../../core/api/context.ts';
import { lnameOf } from '../../core/sip/headers.ts';
import { isToken } from '../../core/sip/lex.ts';
import { toScriptText } from '../../core/sip/text.ts';
import { badHeaderText, headerIndexes, insertHeadersAt, parseHeaderText } from './api.ts';

const NULL_PRINT = '<null>';
export type NullMode = 'null' | 'empty' | 'print';

export function validName(ctx: RouteContext, fn: string, name: string): boolean {
  if (isToken(name)) return true;
  ctx.log('err', `hdr.${fn}: invalid header name ${JSON.stringify(name)}\n`);
  return false;
}

function insertText(
  ctx: RouteContext,
  fn: string,
  text: string,
  pos: (count: number) => number,
): number {
  const lines = parseHeaderText(text);
  if (!lines) return badHeaderText(ctx, `hdr.${fn}`, text);
  try {
    insertHeadersAt(ctx.msg, pos(ctx.msg.headerFields().length), lines);
  } catch (e) {
    // The message refuses values that would corrupt the wire form (control characters…).
    ctx.log('err', `hdr.${fn}: ${(e as Error).message}\n`);
    return -1;
  }
  return 1;
}

export function hdrAppend(ctx: RouteContext, text: string): number {
  return insertText(ctx, 'append', text, (n) => n);
}

export function hdrInsert(ctx: RouteContext, text: string): number {
  return insertText(ctx, 'insert', text, () => 0);
}

/** After the first header named `name`; at the end when there is none (as Kamailio). */
export function hdrAppendAfter(ctx: RouteContext, text: string, name: string): number {
  if (!validName(ctx, 'append_after', name)) return -1;
  const first = headerIndexes(ctx.msg, name)[0];
  return insertText(ctx, 'append_after', text, (n) => (first === undefined ? n : first + 1));
}

/** Before the first header named `name`; at the top when there is none (as Kamailio). */
export function hdrInsertBefore(ctx: RouteContext, text: string, name: string): number {
  if (!validName(ctx, 'insert_before', name)) return -1;
  const first = headerIndexes(ctx.msg, name)[0];
  return insertText(ctx, 'insert_before', text, () => first ?? 0);
}

/** Removes every header of that name; 1 even when there was none, as Kamailio. */
export function hdrRemove(ctx: RouteContext, name: string): number {
  if (!validName(ctx, 'remove', name)) return -1;
  ctx.msg.removeHeader(name);
  return 1;
}

export function getIdx(
  ctx: RouteContext,
  name: string,
  idx: number,
  mode: NullMode,
): string | null {
  const none = mode === 'null' ? null : mode === 'empty' ? '' : NULL_PRINT;
  const l = lnameOf(name);
  const values = ctx.msg
    .headerFields()
    .filter((h) => h.lname === l)
    .map((h) => h.value);
  const v = idx < 0 ? values[values.length + idx] : values[idx];
  return v === undefined ? none : toScriptText(v);
}
