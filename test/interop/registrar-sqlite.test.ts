/**
 * Registrar + digest auth + calls through the default script, over a temp SQLite file: once per
 * default script (Lua, Python, JavaScript) and placement (test/parity/langs.ts), which must all
 * behave the same.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultScript, parityRuns } from '../parity/langs.ts';
import { defineRegistrarFlows } from './registrar-flows.ts';

const dir = mkdtempSync(join(tmpdir(), 'polysip-reg-sqlite-'));
let n = 0;
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const newDb = async (): Promise<string> => `sqlite:${join(dir, `db${++n}.sqlite`)}`;
for (const { lang, placement } of parityRuns()) {
  // The in-thread Lua titles stay as they were; the others name their script and placement.
  const where = placement === 'isolated' && lang !== 'py' ? ' isolated' : '';
  const label = lang === 'lua' && !where ? 'sqlite' : `sqlite, default.${lang}${where}`;
  defineRegistrarFlows(test, label, newDb, defaultScript(lang), placement);
}
