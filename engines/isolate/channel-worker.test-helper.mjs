// Worker side of channel.test.ts: makes the calls the main thread asks for.
import { register } from 'tsx/esm/api';
register();
const { parentPort, workerData } = await import('node:worker_threads');
const { HostClient } = await import('./channel.ts');
const client = new HostClient(workerData.channel, workerData.port, workerData.timeoutMs);
parentPort.on('message', (m) => {
  client.routeId = m.routeId;
  const results = [];
  for (const [fn, args] of m.calls) {
    try {
      results.push({ ok: client.callHostSync(fn, args) });
    } catch (e) {
      results.push({ err: e.name, message: e.message, code: e.code });
    }
  }
  parentPort.postMessage(results);
});
