// Entry of a Python script worker. bin/build.mjs copies this file beside the built worker
// (dist/engines/python/), where it imports worker.js directly: no tsx in the worker. In the
// tree (tests, `node --import tsx`), the worker is TypeScript and tsx's require hook compiles
// it in this thread (cached on disk after the first run). Not tsx's ESM `register()`: that
// starts a module-hooks thread per worker, a whole second V8 isolate (~70 MB RSS per Python
// instance).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const built = new URL('./worker.js', import.meta.url);
if (existsSync(built)) {
  // Stack traces of the built code name the .ts lines (dist/ has linked source maps).
  process.setSourceMapsEnabled(true);
  await import(built.href);
} else {
  const { register } = createRequire(import.meta.url)('tsx/cjs/api');
  const unregister = register();
  try {
    createRequire(import.meta.url)('./worker.ts');
  } finally {
    // worker.ts and its imports are loaded; nothing else is compiled in this thread.
    unregister();
  }
}
