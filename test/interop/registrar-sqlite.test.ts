/** Registrar + digest auth + calls through the default script, over a temp SQLite file. */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineRegistrarFlows } from './registrar-flows.ts';

const dir = mkdtempSync(join(tmpdir(), 'polysip-reg-sqlite-'));
let n = 0;
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

defineRegistrarFlows(test, 'sqlite', async () => `sqlite:${join(dir, `db${++n}.sqlite`)}`);
