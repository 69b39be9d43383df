/** The API reference and editor stubs are generated from the registry and must stay current. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../bin/gen-docs.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

for (const [rel, text] of generatedFiles()) {
  test(`${rel} matches the registry (regenerate with npm run gen:docs)`, (t) => {
    t.is(readFileSync(`${root}${rel}`, 'utf8'), text);
  });
}

test('every registered function appears in the reference page', (t) => {
  const md = readFileSync(`${root}docs/ksr.md`, 'utf8');
  for (const row of [
    '`KSR.sl.sl_send_reply`',
    '`KSR.pv.get`',
    '`KSR.is_INVITE`',
    '`KSR.x.exit`',
    '`KSR.forward`',
  ]) {
    t.true(md.includes(row), row);
  }
});
