/** Logic of the corex functions: branches, extended flags, raw sends. */
import type { BranchEntry, RouteContext } from '../../core/api/context.ts';
import { fromScriptText } from '../../core/sip/text.ts';
import { parseUri } from '../../core/sip/uri.ts';

/** Extended flags are 0..63 (two 32-bit words in Kamailio). */
export const MAX_XFLAG = 63;

export function hasRuriUser(ctx: RouteContext): number {
  if (!ctx.msg.isRequest) return -1;
  try {
    const u = ctx.msg.ruriParsed();
    return u.user ? 1 : -1;
  } catch {
    ctx.log('err', 'corex.has_ruri_user: failed to parse the R-URI\n');
    return -1;
  }
}

export function hasUserAgent(ctx: RouteContext): number {
  const ua = ctx.msg.header('user-agent');
  return ua ? 1 : -1;
}

/** `q` as written in a script ("0.5", "1") → 0..1, null when empty; undefined when invalid. */
function parseQ(q: string | null): number | null | undefined {
  if (q === null || q === '') return null;
  if (!/^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(q)) return undefined;
  return Number(q);
}

/**
 * Adds a branch (parallel forking). Without a URI the current R-URI, $du and branch flags move
 * into the new branch and $du/branch flags are reset, as Kamailio does; with a URI, $du is
 * copied and stays.
 */
export function appendBranch(ctx: RouteContext, uri: string | null, q: string | null): number {
  const qv = parseQ(q);
  if (qv === undefined) {
    ctx.log('err', `corex.append_branch: cannot parse the q value ${JSON.stringify(q)}\n`);
    return -1;
  }
  let target: string;
  if (uri === null || uri === '') {
    if (!ctx.msg.isRequest) return -1;
    target = ctx.msg.ruri;
  } else {
    target = fromScriptText(uri);
    try {
      parseUri(target);
    } catch {
      ctx.log('err', `corex.append_branch: invalid URI ${JSON.stringify(uri)}\n`);
      return -1;
    }
  }
  const branch: BranchEntry = {
    uri: target,
    dstUri: ctx.dstUri,
    q: qv,
    path: null,
    flags: ctx.bflags,
    socket: null,
    instance: null,
    ruid: null,
  };
  ctx.branches.push(branch);
  if (uri === null || uri === '') {
    ctx.dstUri = null;
    ctx.bflags = 0;
  }
  return 1;
}

function xflagBit(ctx: RouteContext, fn: string, flag: number): bigint | null {
  if (Number.isInteger(flag) && flag >= 0 && flag <= MAX_XFLAG) return 1n << BigInt(flag);
  ctx.log('err', `corex.${fn}: flag ${flag} out of range 0..${MAX_XFLAG}\n`);
  return null;
}

export function setXflag(ctx: RouteContext, flag: number): number {
  const bit = xflagBit(ctx, 'setxflag', flag);
  if (bit === null) return -1;
  ctx.xflags |= bit;
  return 1;
}

export function resetXflag(ctx: RouteContext, flag: number): number {
  const bit = xflagBit(ctx, 'resetxflag', flag);
  if (bit === null) return -1;
  ctx.xflags &= ~bit;
  return 1;
}

export function isXflagSet(ctx: RouteContext, flag: number): number {
  const bit = xflagBit(ctx, 'isxflagset', flag);
  if (bit === null) return -1;
  return (ctx.xflags & bit) !== 0n ? 1 : -1;
}

/** Sends the text (UTF-8) to the address of a SIP URI, outside any transaction. */
export async function sendData(ctx: RouteContext, uri: string, data: string): Promise<number> {
  try {
    parseUri(uri);
  } catch {
    ctx.log('err', `corex.send_data: invalid URI ${JSON.stringify(uri)}\n`);
    return -1;
  }
  try {
    return (await ctx.core.sendData(uri, Buffer.from(data, 'utf8'))) ? 1 : -1;
  } catch (e) {
    ctx.log('err', `corex.send_data: ${(e as Error).message}\n`);
    return -1;
  }
}
