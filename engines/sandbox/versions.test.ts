/**
 * ScriptVersions lifetimes with stand-in instances: a retired version is freed only when its
 * grace period is over AND no route of it runs; refused candidates are disposed and leave the
 * active version serving; reloads are serialised.
 */
import test from 'ava';
import { ScriptLoadError, type RouteOutcome, type ScriptInstance } from '../../core/api/script.ts';
import { ScriptVersions } from './versions.ts';

interface Fake extends ScriptInstance<object> {
  disposed: boolean;
  release(): void;
}

function harness(opts: { graceMs: number; broken?: (v: number) => boolean }) {
  const made: Fake[] = [];
  const versions = new ScriptVersions<object>({
    file: '/x/route.lua',
    graceMs: opts.graceMs,
    required: ['ksr_request_route'],
    load: async (file, version) => {
      if (opts.broken?.(version)) throw new ScriptLoadError('syntax error', { file, line: 7 });
      let release: () => void = () => {};
      const fake: Fake = {
        engine: 'fake',
        file,
        version,
        disposed: false,
        hasFunction: (n) => n === 'ksr_request_route',
        run: (fn) =>
          fn === 'slow'
            ? new Promise<RouteOutcome>((r) => (release = () => r({ kind: 'returned' })))
            : Promise.resolve({ kind: 'returned' }),
        dispose() {
          fake.disposed = true;
        },
        release: () => release(),
      };
      made.push(fake);
      return fake;
    },
  });
  return { versions, made };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a retired version lives until its routes end and its grace is over', async (t) => {
  const { versions, made } = harness({ graceMs: 30 });
  await versions.start();
  const v1 = versions.current();
  const slow = v1.run('slow', {});
  t.true((await versions.reload()).ok);
  t.true((await versions.reload()).ok); // v1 is now retired (v2 is the rollback target)
  t.is(versions.current().version, 3);
  await sleep(60);
  t.false(made[0]!.disposed, 'a route of v1 still runs');
  made[0]!.release();
  await slow;
  t.true(made[0]!.disposed);
  t.false(made[1]!.disposed, 'the previous version is kept for rollback');
  t.deepEqual(
    versions.versions().map((v) => [v.version, v.state]),
    [
      [3, 'active'],
      [2, 'previous'],
    ],
  );
  versions.dispose();
  t.true(made.every((m) => m.disposed));
});

test('a refused candidate leaves the active version and names file:line', async (t) => {
  const { versions, made } = harness({ graceMs: 10, broken: (v) => v === 2 });
  await versions.start();
  const r = await versions.reload();
  t.deepEqual(r, {
    ok: false,
    error: '/x/route.lua:7: syntax error',
    file: '/x/route.lua',
    line: 7,
    version: 1,
  });
  t.is(versions.current().version, 1);
  t.false(made[0]!.disposed);
  const ok = await versions.reload();
  t.true(ok.ok);
  t.is(versions.current().version, 3);
  versions.dispose();
});

test('concurrent reloads are serialised and each gets its own version', async (t) => {
  const { versions } = harness({ graceMs: 10 });
  await versions.start();
  const rs = await Promise.all([versions.reload(), versions.reload(), versions.reload()]);
  t.deepEqual(
    rs.map((r) => (r.ok ? [r.version, r.previous] : null)),
    [
      [2, 1],
      [3, 2],
      [4, 3],
    ],
  );
  versions.dispose();
});
