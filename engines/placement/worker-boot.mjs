// Entry of an isolated script worker. Its code is TypeScript and module-loader hooks are per
// thread, so tsx is set up here whatever the parent did. tsx's require hook compiles in this
// thread; its ESM `register()` would start a module-hooks thread per worker, a second V8
// isolate (tens of MB RSS per isolated instance), as engines/python/worker-boot.mjs says.
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

const unregister = register();
try {
  createRequire(import.meta.url)('./worker.ts');
} finally {
  unregister();
}
