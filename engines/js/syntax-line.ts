/**
 * Which line a QuickJS syntax error is about. QuickJS (as V8) reports the token where parsing
 * failed; when a statement is left unfinished (`foo(1,` or `let x =` or a missing `)`), that
 * token is the first one of a later line (often a `}` after blank lines and comments), so the
 * error named a line with nothing wrong on it. Lua says "near '}'" too, but the operator looks
 * for the mistake where the statement broke off: this names the line of the last token before
 * the failing one when the statement could not have ended there.
 */

export interface SyntaxLine {
  /** The line to report. */
  readonly line: number;
  /** The line QuickJS found the failing token on, when it differs from `line`. */
  readonly detectedAt: number | null;
}

interface Token {
  readonly text: string;
  readonly kind: 'punct' | 'word' | 'literal';
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
}

// Longest first, so `>>>=` is not read as `>>` `>=`.
const PUNCTUATORS = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=',
  '%=', '&=', '|=', '^=', '<<', '>>', '**',
  '{', '}', '(', ')', '[', ']', ';', ',', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^',
  '!', '~', '?', ':', '=', '.', '@', '#',
]; // prettier-ignore

/** After these a line break cannot end the statement: the code goes on on the next line. */
const OPEN_PUNCT = new Set(
  PUNCTUATORS.filter((p) => ![')', ']', '}', '++', '--', '{', ';', ':'].includes(p)),
);
const OPEN_WORDS = new Set(['new', 'typeof', 'void', 'delete', 'in', 'instanceof', 'extends']);
/** After these a `/` starts a regular expression, not a division. */
const BEFORE_REGEX_WORDS = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'instanceof',
  'new',
  'void',
  'delete',
  'throw',
  'yield',
  'await',
]);

/** The tokens of `source` that start before line `line`, column `col` (both 1-based). */
function tokensBefore(source: string, line: number, col: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  let ln = 1;
  let lineStart = 0;
  const here = (): { line: number; col: number } => ({ line: ln, col: i - lineStart + 1 });
  const before = (p: { line: number; col: number }): boolean =>
    p.line < line || (p.line === line && p.col < col);
  const newline = (at: number): void => {
    ln++;
    lineStart = at + 1;
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      newline(i);
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF') {
      i++;
      continue;
    }
    const start = here();
    if (!before(start)) break;
    if (source.startsWith('//', i) || (i === 0 && source.startsWith('#!'))) {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      for (; i < stop; i++) if (source[i] === '\n') newline(i);
      continue;
    }
    const prev = out[out.length - 1];
    const regexAllowed =
      prev === undefined ||
      (prev.kind === 'punct' && ![')', ']', '}'].includes(prev.text)) ||
      (prev.kind === 'word' && BEFORE_REGEX_WORDS.has(prev.text));
    if (c === '"' || c === "'" || c === '`' || (c === '/' && regexAllowed)) {
      // A string, template or regular expression literal (a template's ${…} is skipped whole).
      let inClass = false;
      for (i++; i < source.length; i++) {
        const d = source[i]!;
        if (d === '\\') {
          if (source[i + 1] === '\n') newline(i + 1);
          i++;
          continue;
        }
        if (d === '\n') {
          if (c !== '`') break; // an unterminated string or regex ends at its line
          newline(i);
          continue;
        }
        if (c === '/' && d === '[') inClass = true;
        else if (c === '/' && d === ']') inClass = false;
        else if (d === c && !inClass) {
          i++;
          break;
        }
      }
      if (c === '/') while (i < source.length && /[A-Za-z]/.test(source[i]!)) i++;
      out.push({ text: c, kind: 'literal', line: start.line, col: start.col, endLine: ln });
      continue;
    }
    const word =
      /^(?:[\p{ID_Start}$_\\][\p{ID_Continue}$\u200C\u200D\\]*|\d[\w.]*|\.\d[\w]*)/u.exec(
        source.slice(i, i + 256),
      );
    if (word) {
      i += word[0].length;
      const kind = /^[\d.]/.test(word[0]) ? 'literal' : 'word';
      out.push({ text: word[0], kind, line: start.line, col: start.col, endLine: ln });
      continue;
    }
    const p = PUNCTUATORS.find((x) => source.startsWith(x, i)) ?? c;
    i += p.length;
    out.push({ text: p, kind: 'punct', line: start.line, col: start.col, endLine: ln });
  }
  return out;
}

/**
 * The line to report for a syntax error QuickJS found at `line`:`col` of `source`, with
 * QuickJS's message (`expecting ','`, `unexpected token in expression: '}'`…).
 */
export function syntaxErrorLine(
  source: string,
  line: number,
  col: number,
  message: string,
): SyntaxLine {
  const prev = tokensBefore(source, line, col).pop();
  if (prev === undefined || prev.endLine >= line) return { line, detectedAt: null };
  // "expecting X": X is missing right after the previous token, wherever the next one is.
  const missing = /^expecting /.test(message);
  const unfinished =
    (prev.kind === 'punct' && OPEN_PUNCT.has(prev.text)) ||
    (prev.kind === 'word' && OPEN_WORDS.has(prev.text));
  // At the end of the file the unfinished construct may be anywhere: keep QuickJS's line.
  const atEnd = /: ''$/.test(message) || /end of (input|file)/.test(message);
  if ((missing || unfinished) && !atEnd) return { line: prev.endLine, detectedAt: line };
  return { line, detectedAt: null };
}
