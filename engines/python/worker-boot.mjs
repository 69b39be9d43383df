// Entry of a Python script worker. The worker code is TypeScript; tsx's require hook compiles it
// in this thread (cached on disk after the first run). Not tsx's ESM `register()`: that starts a
// module-hooks thread per worker, a whole second V8 isolate (~70 MB RSS per Python instance).
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

const unregister = register();
try {
  createRequire(import.meta.url)('./worker.ts');
} finally {
  // worker.ts and its imports are loaded; nothing else is compiled in this thread.
  unregister();
}
