import test from 'ava';
import { MessageChannel, Worker } from 'node:worker_threads';
import { createChannelBuffers, HostDispatcher, type HostHandler } from './channel.ts';

type Result = { ok?: unknown; err?: string; message?: string; code?: string };

function start(handler: HostHandler, opts: { bytes?: number; timeoutMs?: number } = {}) {
  const channel = createChannelBuffers(opts.bytes);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./channel-worker.test-helper.mjs', import.meta.url), {
    workerData: { channel, port: port2, timeoutMs: opts.timeoutMs ?? 5000 },
    transferList: [port2],
    env: {},
  });
  const dispatcher = new HostDispatcher(channel, port1, handler);
  const call = (routeId: number, calls: [number, unknown[]][]) =>
    new Promise<Result[]>((res) => {
      worker.once('message', res);
      worker.postMessage({ routeId, calls });
    });
  const stop = async () => {
    dispatcher.close();
    await worker.terminate();
  };
  return { call, stop };
}

test('sync and async answers, errors with code, route ids', async (t) => {
  const seen: string[] = [];
  const { call, stop } = start((routeId, fn, args) => {
    seen.push(`${routeId}:${fn}`);
    if (fn === 0) return (args[0] as number) + (args[1] as number);
    if (fn === 1) return new Promise((r) => setTimeout(() => r(`late ${String(args[0])}`), 20));
    if (fn === 2) throw Object.assign(new Error('nope'), { code: 'POLYSIP_ERR_X' });
    return Promise.reject(new Error('async nope'));
  });
  const r = await call(7, [
    [0, [1, 2]],
    [1, ['a']],
    [2, []],
    [3, []],
    [0, [40, 2]],
  ]);
  t.deepEqual(r, [
    { ok: 3 },
    { ok: 'late a' },
    { err: 'HostCallError', message: 'nope', code: 'POLYSIP_ERR_X' },
    { err: 'HostCallError', message: 'async nope', code: '' },
    { ok: 42 },
  ]);
  t.deepEqual(seen, ['7:0', '7:1', '7:2', '7:3', '7:0']);
  await stop();
});

test('payloads larger than the shared buffer travel through the port', async (t) => {
  const big = 'x'.repeat(10_000);
  const { call, stop } = start((_r, _fn, args) => `${String(args[0]).length}:${big}`, {
    bytes: 256,
  });
  const r = await call(1, [
    [0, ['y'.repeat(5000)]],
    [0, ['small']],
  ]);
  t.deepEqual(r, [{ ok: `5000:${big}` }, { ok: `5:${big}` }]);
  await stop();
});

test('a hung host call times out; the channel keeps working and drops the late answer', async (t) => {
  let n = 0;
  const { call, stop } = start(
    (_r, fn) => {
      n++;
      if (fn === 0) return new Promise((r) => setTimeout(() => r('too late'), 300));
      return 'fresh';
    },
    { timeoutMs: 100 },
  );
  const r = await call(1, [
    [0, []],
    [1, []],
  ]);
  t.is(r[0]?.err, 'HostCallTimeoutError');
  t.deepEqual(r[1], { ok: 'fresh' });
  await new Promise((res) => setTimeout(res, 350));
  t.deepEqual(await call(1, [[1, []]]), [{ ok: 'fresh' }]);
  t.is(n, 3);
  await stop();
});

test('the main thread keeps serving while a call is pending', async (t) => {
  let release: (v: string) => void = () => undefined;
  let called = false;
  const { call, stop } = start(() => {
    called = true;
    return new Promise<string>((r) => (release = r));
  });
  const pending = call(1, [[0, []]]);
  let ticks = 0;
  while (!called && ticks < 1000) {
    await new Promise((r) => setTimeout(r, 2));
    ticks++;
  }
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  release('done');
  t.deepEqual(await pending, [{ ok: 'done' }]);
  await stop();
});
