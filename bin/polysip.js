#!/usr/bin/env node
// polysip is written in TypeScript and run through tsx, so there is no build step to forget.
// tsx's require hook compiles in this thread; its ESM register() would start a module-hooks
// thread, a second V8 isolate that costs tens of MB of RSS for nothing at run time.
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

register();
createRequire(import.meta.url)('./polysip.ts');
