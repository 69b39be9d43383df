/**
 * Writes the KSR reference and editor stubs from the export registry:
 * docs/ksr.md, types/ksr.d.ts, types/ksr.pyi, types/ksr.lua (LuaLS).
 * `node --import tsx bin/gen-docs.ts` rewrites them; `--check` fails when they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDts, renderLuaLS, renderMarkdown, renderPyi } from '../engines/ksr/stubs.ts';
import { buildRegistry } from './app.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

export function generatedFiles(): Map<string, string> {
  const list = buildRegistry().list();
  return new Map([
    ['docs/ksr.md', renderMarkdown(list)],
    ['types/ksr.d.ts', renderDts(list)],
    ['types/ksr.pyi', renderPyi(list)],
    ['types/ksr.lua', renderLuaLS(list)],
  ]);
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [rel, text] of generatedFiles()) {
    const path = `${root}${rel}`;
    if (readOrNull(path) === text) continue;
    if (check) {
      process.stderr.write(`${rel} is stale: run npm run gen:docs\n`);
      stale++;
    } else {
      writeFileSync(path, text);
      process.stdout.write(`wrote ${rel}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}
