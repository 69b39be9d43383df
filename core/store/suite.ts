/**
 * The store test suite every driver must pass: written once, run by each driver's test file
 * against its own backend (`defineStoreSuite(test, 'sqlite', open)`).
 */
import type { TestFn } from 'ava';
import type { LocationRecord, Store } from './types.ts';

export interface StoreUnderTest {
  readonly store: Store;
  /** Reopens the same database (persistence checks), closing nothing itself. */
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

export function sampleBinding(over: Partial<LocationRecord> = {}): LocationRecord {
  return {
    ruid: 'ruid-1',
    aor: 'alice@example.com',
    contact: 'sip:alice@192.0.2.1:5062;transport=tcp',
    received: 'sip:198.51.100.7:40000;transport=tcp',
    path: '<sip:edge.example.net;lr>',
    expires: 2_000_000_000,
    q: 0.5,
    callId: 'call-1@host',
    cseq: 7,
    cflags: 64,
    userAgent: 'test UA/1.0',
    socket: 'tcp:127.0.0.1:5060',
    methods: 'INVITE,ACK,BYE',
    instance: '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"',
    regId: 1,
    lastModified: 1_700_000_000,
    ...over,
  };
}

export function defineStoreSuite(
  test: TestFn,
  driver: string,
  open: () => Promise<StoreUnderTest>,
): void {
  const t0 = `${driver} store:`;

  test.serial(`${t0} subscribers put/get/replace/list/remove`, async (t) => {
    const { store, cleanup } = await open();
    try {
      t.is(await store.subscribers.get('alice', 'example.com'), null);
      const alice = {
        username: 'alice',
        domain: 'example.com',
        password: '',
        ha1: 'a'.repeat(32),
        ha1b: 'b'.repeat(32),
        ha1Sha256: 'c'.repeat(64),
      };
      await store.subscribers.put(alice);
      await store.subscribers.put({ ...alice, username: 'bob', password: 'pw' });
      await store.subscribers.put({ ...alice, domain: 'other.org' });
      t.deepEqual(await store.subscribers.get('alice', 'example.com'), alice);
      await store.subscribers.put({ ...alice, ha1: 'd'.repeat(32) });
      t.is((await store.subscribers.get('alice', 'example.com'))?.ha1, 'd'.repeat(32));
      t.deepEqual(
        (await store.subscribers.list('example.com')).map((s) => s.username),
        ['alice', 'bob'],
      );
      t.is((await store.subscribers.list()).length, 3);
      t.true(await store.subscribers.remove('alice', 'example.com'));
      t.false(await store.subscribers.remove('alice', 'example.com'));
      t.is(await store.subscribers.get('alice', 'example.com'), null);
      t.truthy(await store.subscribers.get('alice', 'other.org'));
    } finally {
      await cleanup();
    }
  });

  test.serial(`${t0} location upsert/list/remove/expire round-trips every field`, async (t) => {
    const { store, cleanup } = await open();
    try {
      const a = sampleBinding();
      const b = sampleBinding({
        ruid: 'ruid-2',
        contact: 'sip:%00@host5.example.com',
        received: null,
        path: null,
        socket: null,
        instance: null,
        regId: 0,
        q: -1,
        lastModified: 1_700_000_001,
      });
      const old = sampleBinding({ ruid: 'ruid-3', aor: 'bob@example.com', expires: 100 });
      await store.location.upsert(a);
      await store.location.upsert(b);
      await store.location.upsert(old);
      t.deepEqual(await store.location.list('alice@example.com'), [a, b]);
      await store.location.upsert({ ...a, cseq: 8, expires: 2_000_000_100 });
      const after = await store.location.list('alice@example.com');
      t.is(after.length, 2);
      t.is(after.find((r) => r.ruid === 'ruid-1')?.cseq, 8);
      t.is(await store.location.removeExpired(1000), 1);
      t.deepEqual(await store.location.list('bob@example.com'), []);
      await store.location.remove('ruid-2');
      t.deepEqual(
        (await store.location.list()).map((r) => r.ruid),
        ['ruid-1'],
      );
      t.is(await store.location.removeAor('alice@example.com'), 1);
      t.deepEqual(await store.location.list(), []);
    } finally {
      await cleanup();
    }
  });

  test.serial(`${t0} group membership`, async (t) => {
    const { store, cleanup } = await open();
    try {
      await store.groups.add('alice', 'example.com', 'voip');
      await store.groups.add('alice', 'example.com', 'voip'); // idempotent
      await store.groups.add('alice', 'example.com', 'intl');
      await store.groups.add('bob', 'example.com', 'voip');
      t.true(await store.groups.isMember('alice', 'example.com', 'intl'));
      t.false(await store.groups.isMember('bob', 'example.com', 'intl'));
      t.false(await store.groups.isMember('alice', 'other.org', 'voip'));
      t.deepEqual(
        (await store.groups.list('alice', 'example.com')).map((g) => g.group),
        ['intl', 'voip'],
      );
      t.is((await store.groups.list()).length, 3);
      t.true(await store.groups.remove('alice', 'example.com', 'intl'));
      t.false(await store.groups.remove('alice', 'example.com', 'intl'));
      t.false(await store.groups.isMember('alice', 'example.com', 'intl'));
    } finally {
      await cleanup();
    }
  });

  test.serial(`${t0} address and trusted tables`, async (t) => {
    const { store, cleanup } = await open();
    try {
      await store.addresses.add({ group: 1, ip: '10.0.0.0', mask: 8, port: 0, tag: 'lan' });
      await store.addresses.add({ group: 2, ip: '192.0.2.5', mask: 32, port: 5060, tag: '' });
      t.deepEqual(await store.addresses.list(), [
        { group: 1, ip: '10.0.0.0', mask: 8, port: 0, tag: 'lan' },
        { group: 2, ip: '192.0.2.5', mask: 32, port: 5060, tag: '' },
      ]);
      t.is(await store.addresses.remove(1, '10.0.0.0', 8), 1);
      t.is(await store.addresses.remove(1, '10.0.0.0', 8), 0);
      await store.addresses.addTrusted({
        srcIp: '192.0.2.9',
        proto: 'udp',
        fromPattern: '^sip:.*@example\\.com$',
        tag: 'gw',
        priority: 1,
      });
      t.deepEqual(await store.addresses.listTrusted(), [
        {
          srcIp: '192.0.2.9',
          proto: 'udp',
          fromPattern: '^sip:.*@example\\.com$',
          tag: 'gw',
          priority: 1,
        },
      ]);
    } finally {
      await cleanup();
    }
  });

  test.serial(`${t0} generic key-value tables with expiry`, async (t) => {
    const { store, cleanup } = await open();
    try {
      await store.kv.set('auth', 'secret', 's3cr3t');
      await store.kv.set('auth', 'gone', 'x', 1000);
      await store.kv.set('other', 'secret', 'y');
      t.is(await store.kv.get('auth', 'secret'), 's3cr3t');
      t.is(await store.kv.get('auth', 'gone'), null);
      t.is(await store.kv.get('auth', 'missing'), null);
      await store.kv.set('auth', 'secret', 'new');
      t.is(await store.kv.get('auth', 'secret'), 'new');
      t.deepEqual(await store.kv.list('auth'), [{ key: 'secret', value: 'new', expires: 0 }]);
      t.true(await store.kv.remove('auth', 'secret'));
      t.false(await store.kv.remove('auth', 'secret'));
    } finally {
      await cleanup();
    }
  });

  test.serial(`${t0} data survives close and reopen; schema is not recreated`, async (t) => {
    const { store, reopen, cleanup } = await open();
    try {
      await store.subscribers.put({
        username: 'carol',
        domain: 'example.com',
        password: 'pw',
        ha1: '',
        ha1b: '',
        ha1Sha256: '',
      });
      await store.location.upsert(sampleBinding({ ruid: 'keep' }));
      await store.close();
      await store.close(); // idempotent
      await t.throwsAsync(async () => store.subscribers.get('carol', 'example.com'), {
        message: /closed/,
      });
      const again = await reopen();
      try {
        t.is((await again.subscribers.get('carol', 'example.com'))?.password, 'pw');
        t.deepEqual(
          (await again.location.list()).map((r) => r.ruid),
          ['keep'],
        );
      } finally {
        await again.close();
      }
    } finally {
      await cleanup();
    }
  });
}
