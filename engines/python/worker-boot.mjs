// Entry of a Python script worker. The worker code is TypeScript and module-loader hooks are
// per thread, so tsx is registered here whatever the parent did.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
