#!/usr/bin/env node
// polysip is written in TypeScript and run through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('./polysip.ts');
