/**
 * Pure renderers of the KSR API from its declarations: the reference page and the editor stubs
 * for each guest language. The engine-provided functions (`KSR.x.exit`, `KSR.x.drop`,
 * `KSR.route`) are always included. Output is deterministic: same list → same bytes.
 */
import type { ParamType, ReturnKind } from '../../core/api/registry.ts';
import type { KsrSignature } from './convert.ts';
import { withEngineExports, type EngineSignature } from './tree.ts';

const BANNER = 'Generated from the KSR export registry. Do not edit.';

interface Group {
  /** `''` for the functions directly on KSR. */
  readonly module: string;
  readonly fns: EngineSignature[];
}

function groups(list: readonly KsrSignature[]): Group[] {
  const out: Group[] = [];
  for (const d of withEngineExports(list)) {
    const last = out[out.length - 1];
    if (last !== undefined && last.module === d.module) last.fns.push(d);
    else out.push({ module: d.module, fns: [d] });
  }
  return out;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Markdown reference

const MD_RETURNS: Record<ReturnKind, string> = {
  int: 'int',
  bool: 'bool',
  xval: 'xval (string \\| number \\| null)',
  void: 'void',
};

export function renderMarkdown(list: readonly KsrSignature[]): string {
  const lines = [
    '# KSR API reference',
    '',
    `<!-- ${BANNER} -->`,
    '',
    'Return kinds follow KEMI: `int` is >0 success, <0 failure, 0 "stop the script" (test it);',
    '`bool` is a real boolean; `xval` is a string, a number or null; `void` gives `false` in Lua',
    'and JavaScript and `0` in Python.',
  ];
  for (const g of groups(list)) {
    const title = g.module === '' ? 'KSR' : `KSR.${g.module}`;
    lines.push(
      '',
      `## ${title}`,
      '',
      '| Function | Parameters | Returns | Description |',
      '|---|---|---|---|',
    );
    for (const f of g.fns) {
      const params = f.params.map((p) => `\`${p.name}: ${p.type}\``).join(', ');
      const ret = f.noReturn === true ? 'does not return' : MD_RETURNS[f.returns];
      const doc = oneLine(f.doc).replace(/\|/g, '\\|');
      lines.push(`| \`${title}.${f.name}\` | ${params === '' ? '—' : params} | ${ret} | ${doc} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// TypeScript declarations (JS engine)

const TS_RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends ' +
    'false finally for function if import in instanceof new null return super switch this throw ' +
    'true try typeof var void while with yield let static implements interface package private ' +
    'protected public await arguments eval'
  ).split(' '),
);

const TS_PARAM: Record<ParamType, string> = { str: 'string', int: 'number' };
const TS_RETURNS: Record<ReturnKind, string> = {
  int: 'number',
  bool: 'boolean',
  xval: 'string | number | null',
  void: 'false',
};

function safeName(name: string, reserved: ReadonlySet<string>): string {
  return reserved.has(name) ? `${name}_` : name;
}

function jsdoc(doc: string, indent: string): string {
  return `${indent}/** ${oneLine(doc).replace(/\*\//g, '*\\/')} */`;
}

export function renderDts(list: readonly KsrSignature[]): string {
  const lines = [`// ${BANNER}`, '', 'declare const KSR: {'];
  const fnLine = (f: EngineSignature, indent: string): void => {
    const params = f.params.map((p) => `${safeName(p.name, TS_RESERVED)}: ${TS_PARAM[p.type]}`);
    const ret = f.noReturn === true ? 'never' : TS_RETURNS[f.returns];
    lines.push(jsdoc(f.doc, indent), `${indent}${f.name}(${params.join(', ')}): ${ret};`);
  };
  for (const g of groups(list)) {
    if (g.module === '') {
      for (const f of g.fns) fnLine(f, '  ');
      continue;
    }
    lines.push(`  readonly ${g.module}: {`);
    for (const f of g.fns) fnLine(f, '    ');
    lines.push('  };');
  }
  lines.push('};');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Python stub module (KSR.pyi)

const PY_RESERVED = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except ' +
    'finally for from global if import in is lambda nonlocal not or pass raise return try while ' +
    'with yield'
  ).split(' '),
);

const PY_PARAM: Record<ParamType, string> = { str: 'str', int: 'int' };
const PY_RETURNS: Record<ReturnKind, string> = {
  int: 'int',
  bool: 'bool',
  xval: 'Union[str, int, None]',
  void: 'int',
};

function pyDoc(doc: string): string {
  return `"""${oneLine(doc).replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}"""`;
}

export function renderPyi(list: readonly KsrSignature[]): string {
  const lines = [`# ${BANNER}`, 'from typing import NoReturn, Union'];
  const def = (f: EngineSignature, indent: string, method: boolean): void => {
    const params = f.params.map((p) => `${safeName(p.name, PY_RESERVED)}: ${PY_PARAM[p.type]}`);
    const ret = f.noReturn === true ? 'NoReturn' : PY_RETURNS[f.returns];
    if (method) lines.push(`${indent}@staticmethod`);
    lines.push(
      `${indent}def ${f.name}(${params.join(', ')}) -> ${ret}:`,
      `${indent}    ${pyDoc(f.doc)}`,
      `${indent}    ...`,
    );
  };
  for (const g of groups(list)) {
    lines.push('');
    if (g.module === '') {
      for (const f of g.fns) {
        def(f, '', false);
        lines.push('');
      }
      lines.pop();
      continue;
    }
    lines.push('', `class ${g.module}:`);
    g.fns.forEach((f, i) => {
      if (i > 0) lines.push('');
      def(f, '    ', true);
    });
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// LuaLS annotations (KSR.lua meta file)

const LUA_RESERVED = new Set(
  (
    'and break do else elseif end false for function goto if in local nil not or repeat return ' +
    'then true until while'
  ).split(' '),
);

const LUA_PARAM: Record<ParamType, string> = { str: 'string', int: 'integer' };
const LUA_RETURNS: Record<ReturnKind, string> = {
  int: 'integer',
  bool: 'boolean',
  xval: 'string|integer|nil',
  void: 'false',
};

export function renderLuaLS(list: readonly KsrSignature[]): string {
  const all = groups(list);
  const lines = ['---@meta', `-- ${BANNER}`, '', '---@class KSR'];
  for (const g of all) if (g.module !== '') lines.push(`---@field ${g.module} KSR.${g.module}`);
  lines.push('KSR = {}');
  for (const g of all) {
    const prefix = g.module === '' ? 'KSR' : `KSR.${g.module}`;
    if (g.module !== '') lines.push('', `---@class ${prefix}`, `${prefix} = {}`);
    for (const f of g.fns) {
      const names = f.params.map((p) => safeName(p.name, LUA_RESERVED));
      lines.push('', `--- ${oneLine(f.doc)}`);
      f.params.forEach((p, i) => lines.push(`---@param ${names[i]} ${LUA_PARAM[p.type]}`));
      if (f.noReturn !== true) lines.push(`---@return ${LUA_RETURNS[f.returns]}`);
      lines.push(`function ${prefix}.${f.name}(${names.join(', ')}) end`);
    }
  }
  return `${lines.join('\n')}\n`;
}
