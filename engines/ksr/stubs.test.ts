import test from 'ava';
import { ExportRegistry, int, KsrDeclarationError, str } from '../../core/api/registry.ts';
import { renderDts, renderLuaLS, renderMarkdown, renderPyi } from './stubs.ts';
import { buildKsrTree } from './tree.ts';

function registry(): ExportRegistry {
  const r = new ExportRegistry();
  const impl = () => 1;
  r.defineAll([
    {
      module: 'sl',
      name: 'sl_send_reply',
      params: [int('code'), str('reason')],
      returns: 'int',
      doc: 'Sends a stateless reply.',
      impl,
    },
    {
      module: 'pv',
      name: 'get',
      params: [str('name')],
      returns: 'xval',
      doc: 'Value of a | pseudo-variable.',
      impl,
    },
    {
      module: '',
      name: 'is_method_in',
      params: [str('class')],
      returns: 'bool',
      doc: 'Method test.',
      impl,
    },
    { module: '', name: 'log', params: [str('msg')], returns: 'void', doc: 'Logs.', impl },
  ]);
  return r;
}

test('the tree separates core functions from modules; absent modules are absent', (t) => {
  const tree = buildKsrTree(registry());
  t.deepEqual(
    tree.core.map((d) => d.name),
    ['is_method_in', 'log'],
  );
  t.deepEqual([...tree.modules.keys()], ['pv', 'sl']);
  t.deepEqual(
    tree.modules.get('sl')!.map((d) => d.name),
    ['sl_send_reply'],
  );
  t.false(tree.modules.has('auth'));
});

test('reserved names (KSR.x, KSR.route) cannot come from the registry', (t) => {
  const r1 = new ExportRegistry();
  r1.define({ module: 'x', name: 'modf', params: [], returns: 'int', doc: '', impl: () => 1 });
  t.throws(() => buildKsrTree(r1), {
    instanceOf: KsrDeclarationError,
    message: /module "x" is reserved/,
  });
  const r2 = new ExportRegistry();
  r2.define({ module: '', name: 'route', params: [], returns: 'int', doc: '', impl: () => 1 });
  t.throws(() => buildKsrTree(r2), {
    instanceOf: KsrDeclarationError,
    message: /KSR\.route is reserved/,
  });
  const r3 = new ExportRegistry();
  r3.define({ module: '', name: 'sl', params: [], returns: 'int', doc: '', impl: () => 1 });
  r3.define({ module: 'sl', name: 'f', params: [], returns: 'int', doc: '', impl: () => 1 });
  t.throws(() => buildKsrTree(r3), {
    instanceOf: KsrDeclarationError,
    message: /both as a function and as a module/,
  });
});

test('markdown reference: a table per module, engine functions included', (t) => {
  const md = renderMarkdown(registry().list());
  t.true(md.startsWith('# KSR API reference\n'));
  t.true(
    md.includes(
      '## KSR.sl\n\n| Function | Parameters | Returns | Description |\n|---|---|---|---|\n',
    ),
  );
  t.true(
    md.includes(
      '| `KSR.sl.sl_send_reply` | `code: int`, `reason: str` | int | Sends a stateless reply. |',
    ),
  );
  t.true(
    md.includes(
      '| `KSR.pv.get` | `name: str` | xval (string \\| number \\| null) | Value of a \\| pseudo-variable. |',
    ),
  );
  t.true(md.includes('| `KSR.x.exit` | — | does not return |'));
  t.true(md.includes('| `KSR.route` | `name: str` |'));
  // Sections in registry order: core, then modules alphabetically (x from the engines).
  const order = ['## KSR\n', '## KSR.pv', '## KSR.sl', '## KSR.x'].map((h) => md.indexOf(h));
  t.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
  );
  t.false(order.includes(-1));
});

test('TypeScript declarations', (t) => {
  const dts = renderDts(registry().list());
  t.true(dts.includes('declare const KSR: {\n'));
  t.true(
    dts.includes(
      '  readonly sl: {\n    /** Sends a stateless reply. */\n    sl_send_reply(code: number, reason: string): number;\n  };',
    ),
  );
  t.true(dts.includes('    get(name: string): string | number | null;'));
  t.true(dts.includes('  is_method_in(class_: string): boolean;'));
  t.true(dts.includes('  log(msg: string): false;'));
  t.true(dts.includes('    exit(): never;'));
  t.true(dts.includes('  route(name: string): string | number | null;'));
});

test('Python stub', (t) => {
  const pyi = renderPyi(registry().list());
  t.true(pyi.includes('from typing import NoReturn, Union\n'));
  t.true(
    pyi.includes(
      'class sl:\n    @staticmethod\n    def sl_send_reply(code: int, reason: str) -> int:\n        """Sends a stateless reply."""\n        ...\n',
    ),
  );
  t.true(pyi.includes('def is_method_in(class_: str) -> bool:'));
  t.true(pyi.includes('def log(msg: str) -> int:'));
  t.true(pyi.includes('    def get(name: str) -> Union[str, int, None]:'));
  t.true(pyi.includes('class x:\n    @staticmethod\n    def drop() -> NoReturn:'));
});

test('LuaLS annotations', (t) => {
  const lua = renderLuaLS(registry().list());
  t.true(lua.startsWith('---@meta\n'));
  t.true(
    lua.includes(
      '---@class KSR\n---@field pv KSR.pv\n---@field sl KSR.sl\n---@field x KSR.x\nKSR = {}\n',
    ),
  );
  t.true(
    lua.includes(
      '---@class KSR.sl\nKSR.sl = {}\n\n--- Sends a stateless reply.\n---@param code integer\n---@param reason string\n---@return integer\nfunction KSR.sl.sl_send_reply(code, reason) end\n',
    ),
  );
  t.true(lua.includes('---@return string|integer|nil\nfunction KSR.pv.get(name) end'));
  t.true(lua.includes('---@return false\nfunction KSR.log(msg) end'));
  t.true(lua.includes('function KSR.x.exit() end'));
});

test('renderers are deterministic and independent of declaration order', (t) => {
  const reversed = new ExportRegistry();
  reversed.defineAll([...registry().list()].reverse());
  for (const render of [renderMarkdown, renderDts, renderPyi, renderLuaLS]) {
    t.is(render(registry().list()), render(reversed.list()));
  }
});
