/**
 * Kamailio's regular expressions are POSIX extended ones compiled with REG_NEWLINE (`.` and
 * `^`/`$` stop at line ends) and, for search/replace, REG_ICASE. They run here as JS RegExps
 * over latin1 text: POSIX bracket classes are translated; leftmost-longest alternation
 * (POSIX) versus leftmost-first (JS) is a known difference.
 *
 * `subst` expressions are sed-like: `/re/repl/flags`, any separator, flags i (ignore case),
 * g (all matches), s (`.` matches newlines). In `repl`: `\0`..`\9` groups, `\u` the R-URI,
 * `\n \r \t \\ \$` characters, and pseudo-variables (`$fU`, `$avp(x)`) expanded per call.
 */
import type { RouteContext } from '../../core/api/context.ts';
import { fromScriptText } from '../../core/sip/text.ts';
import { getPv, pvEnd } from '../pv/pvapi.ts';

const CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: '0-9a-zA-Z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\r\\n\\v\\f',
  blank: ' \\t',
  xdigit: '0-9A-Fa-f',
  punct: '!-\\/:-@\\[-`{-~',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

export interface RegexOptions {
  readonly icase: boolean;
  /** REG_NEWLINE: line-anchored `^`/`$`, `.` not matching newline. */
  readonly newline: boolean;
  readonly global: boolean;
}

/** Compiles a POSIX ERE typed by a script (UTF-8 text) to run over latin1 octets. */
export function compilePosix(source: string, o: RegexOptions): RegExp {
  const src = fromScriptText(source).replace(
    /\[:([a-z]+):\]/g,
    (m, name: string) => CLASSES[name] ?? m,
  );
  const flags = (o.icase ? 'i' : '') + (o.newline ? 'm' : 's') + (o.global ? 'g' : '');
  return new RegExp(src, flags);
}

/** The flags of Kamailio's search/replace family: extended, ignore case, newline-sensitive. */
export const SEARCH_FLAGS: RegexOptions = { icase: true, newline: true, global: false };

type ReplToken =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'group'; readonly n: number }
  | { readonly kind: 'ruri' }
  | { readonly kind: 'pv'; readonly name: string };

export interface SubstExpr {
  readonly re: RegExp;
  readonly repl: readonly ReplToken[];
  readonly global: boolean;
}

export class SubstSyntaxError extends Error {
  override readonly name = 'SubstSyntaxError';
  readonly code = 'POLYSIP_ERR_TEXTOPS_SUBST';
}

const cache = new Map<string, SubstExpr>();
const CACHE_MAX = 512;

/** Parses `/re/repl/flags` (cached by its text). Throws SubstSyntaxError. */
export function parseSubst(expr: string): SubstExpr {
  const hit = cache.get(expr);
  if (hit) return hit;
  if (expr.length < 3) throw new SubstSyntaxError(`subst expression too short: ${expr}`);
  const sep = expr[0]!;
  if (sep === '\\') throw new SubstSyntaxError(`invalid separator in ${expr}`);
  let i = 1;
  while (i < expr.length && !(expr[i] === sep && expr[i - 1] !== '\\')) i++;
  if (i >= expr.length) throw new SubstSyntaxError(`no separator found in ${expr}`);
  const reSrc = expr.slice(1, i);
  const repl: ReplToken[] = [];
  let text = '';
  const flush = () => {
    if (text) repl.push({ kind: 'text', text });
    text = '';
  };
  let j = i + 1;
  let closed = false;
  for (; j < expr.length; j++) {
    const c = expr[j]!;
    if (c === '\\') {
      const n = expr[++j];
      if (n === undefined) break;
      if (n >= '0' && n <= '9') {
        flush();
        repl.push({ kind: 'group', n: n.charCodeAt(0) - 48 });
      } else if (n === 'u') {
        flush();
        repl.push({ kind: 'ruri' });
      } else text += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n;
    } else if (c === '$') {
      const end = pvEnd(expr, j);
      if (end <= j + 1) throw new SubstSyntaxError(`bad pseudo-variable in replacement of ${expr}`);
      flush();
      repl.push({ kind: 'pv', name: expr.slice(j, end) });
      j = end - 1;
    } else if (c === sep) {
      closed = true;
      break;
    } else text += c;
  }
  if (!closed) throw new SubstSyntaxError(`missing separator after the replacement in ${expr}`);
  flush();
  let icase = false;
  let newline = true;
  let global = false;
  for (const f of expr.slice(j + 1)) {
    if (f === 'i') icase = true;
    else if (f === 's') newline = false;
    else if (f === 'g') global = true;
    else throw new SubstSyntaxError(`unknown flag ${f} in ${expr}`);
  }
  let re: RegExp;
  try {
    re = compilePosix(reSrc, { icase, newline, global: true });
  } catch (e) {
    throw new SubstSyntaxError(`bad regular expression in ${expr}: ${(e as Error).message}`);
  }
  const se: SubstExpr = { re, repl, global };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(expr, se);
  return se;
}

/**
 * Applies a subst expression to latin1 `text`. Returns null when nothing matched, else the
 * new text and how many replacements were made.
 */
export function runSubst(
  ctx: RouteContext,
  se: SubstExpr,
  text: string,
): { text: string; count: number } | null {
  const re = se.re;
  re.lastIndex = 0;
  let out = '';
  let from = 0;
  let count = 0;
  for (;;) {
    const m = re.exec(text);
    if (!m) break;
    out += text.slice(from, m.index) + expandRepl(ctx, se.repl, m);
    from = m.index + m[0].length;
    count++;
    if (!se.global) break;
    // An empty match must still move on, or the loop would never end.
    if (m[0].length === 0) {
      if (from < text.length) out += text[from];
      from++;
      re.lastIndex = from;
      if (from > text.length) break;
    }
  }
  if (count === 0) return null;
  return { text: out + text.slice(Math.min(from, text.length)), count };
}

function expandRepl(ctx: RouteContext, repl: readonly ReplToken[], m: RegExpExecArray): string {
  let s = '';
  for (const t of repl) {
    switch (t.kind) {
      case 'text':
        s += fromScriptText(t.text);
        break;
      case 'group':
        s += m[t.n] ?? '';
        break;
      case 'ruri':
        s += ctx.msg.isRequest ? ctx.msg.ruri : '';
        break;
      case 'pv': {
        const v = getPv(ctx, t.name);
        s += v === null ? '' : fromScriptText(String(v));
        break;
      }
    }
  }
  return s;
}
