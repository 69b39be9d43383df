// Entry of an isolated script worker. Its code is TypeScript and module-loader hooks are per
// thread, so tsx is registered here whatever the parent did (as engines/python does).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
