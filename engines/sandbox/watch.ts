/**
 * The optional file watcher: reloads when the script file changes. It watches the file's
 * folder, not the file, because editors save by writing a new file and renaming it over the
 * old one (a watch on the old inode would go silent). Changes are debounced so one save, seen
 * as several events, makes one reload. Only the main script file is watched, not modules it
 * `require`s.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface ScriptWatcher {
  close(): void;
}

export function watchScript(
  file: () => string,
  onChange: () => void,
  debounceMs = 200,
): ScriptWatcher {
  let current = file();
  let timer: NodeJS.Timeout | null = null;
  let w: FSWatcher | null = null;
  const arm = (): void => {
    w?.close();
    current = file();
    w = watch(dirname(current), { persistent: false }, (_event, name) => {
      if (name !== null && name !== basename(current)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        onChange();
        // A reload may have switched to another file (script.reload FILE): follow it.
        if (file() !== current) arm();
      }, debounceMs);
      timer.unref();
    });
  };
  arm();
  return {
    close() {
      if (timer) clearTimeout(timer);
      w?.close();
    },
  };
}
