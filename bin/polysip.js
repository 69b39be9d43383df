#!/usr/bin/env node
// The `polysip` command. It runs the JavaScript that bin/build.mjs compiles into dist/ (npm's
// `prepare` builds it on `npm ci`), rebuilding first when any source differs from what was
// built, so an edit is never run stale. tsx would cost ~10 MiB RSS here (more per isolated
// worker) and a naming helper call per function. When dist/ cannot be built (a read-only
// tree, a source esbuild cannot parse), the sources run through tsx after a one-line notice.
import { freshBuild } from './build.mjs';

const built = await freshBuild('bin/polysip.ts');
if (built.url !== undefined) {
  // Stack traces of the built code name the .ts lines (dist/ has linked source maps).
  process.setSourceMapsEnabled(true);
  await import(built.url);
} else {
  process.stderr.write(
    `polysip: cannot build dist/ (${built.error}); running the sources through tsx\n`,
  );
  // tsx's require hook compiles in this thread; its ESM register() would start a module-hooks
  // thread, a second V8 isolate that costs tens of MB of RSS for nothing at run time.
  const { createRequire } = await import('node:module');
  const { register } = await import('tsx/cjs/api');
  register();
  createRequire(import.meta.url)('./polysip.ts');
}
