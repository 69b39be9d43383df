/**
 * What every engine does before and after running a script's top level: read the source
 * (unless given) and check that the route functions it must serve exist. One wording for all
 * engines and placements, so an operator reads the same refusal whatever the language.
 */
import { readFileSync } from 'node:fs';
import { ScriptLoadError } from '../../core/api/script.ts';

/** The script's source: `source` when given, else the file's text. */
export function readScriptSource(file: string, source: string | undefined): string {
  if (source !== undefined) return source;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScriptLoadError(`cannot read the script: ${(e as Error).message}`, {
      file,
      line: null,
    });
  }
}

/** @throws ScriptLoadError naming the first entry point (default ksr_request_route) missing. */
export function requireEntryPoints(
  file: string,
  entryPoints: readonly string[] | undefined,
  hasFunction: (name: string) => boolean,
): void {
  for (const name of entryPoints ?? ['ksr_request_route']) {
    if (!hasFunction(name)) {
      throw new ScriptLoadError(`the script does not define the function '${name}'`, {
        file,
        line: null,
      });
    }
  }
}
