/**
 * Registrar + digest auth + calls through the default script, over a temp SQLite file: once per
 * default script (Lua, Python, JavaScript), which must behave the same.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultScript, selectedLangs } from '../parity/langs.ts';
import { defineRegistrarFlows } from './registrar-flows.ts';

const dir = mkdtempSync(join(tmpdir(), 'polysip-reg-sqlite-'));
let n = 0;
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const newDb = async (): Promise<string> => `sqlite:${join(dir, `db${++n}.sqlite`)}`;
for (const lang of selectedLangs()) {
  // The Lua titles stay as they were; the others name their script.
  const label = lang === 'lua' ? 'sqlite' : `sqlite, default.${lang}`;
  defineRegistrarFlows(test, label, newDb, defaultScript(lang));
}
