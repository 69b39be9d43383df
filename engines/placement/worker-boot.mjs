// Entry of an isolated script worker. bin/build.mjs copies this file beside the built worker
// (dist/engines/placement/), where it imports worker.js directly: no tsx in the worker. In the
// tree (tests, `node --import tsx`), there is no worker.js beside it and the worker is
// TypeScript: module-loader hooks are per thread, so tsx is set up here whatever the parent
// did. tsx's require hook compiles in this thread; its ESM `register()` would start a
// module-hooks thread per worker, a second V8 isolate (tens of MB RSS per isolated instance),
// as engines/python/worker-boot.mjs says.
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
    unregister();
  }
}
