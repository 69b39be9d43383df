import test from 'ava';
import { callKsr, makeCtx } from '../testkit.ts';
import { openSqliteStore } from '../db_sqlite/index.ts';
import { createGroupModule } from '../group/index.ts';
import { createPermissionsModule } from './index.ts';

const INVITE = (from: string) =>
  `INVITE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-1\nFrom: <${from}>;tag=1\nTo: <sip:bob@example.com>\nCall-ID: c\nCSeq: 1 INVITE\nContent-Length: 0\n\n`;

test('address groups: networks, ports, group ids; trusted by source, protocol and From', async (t) => {
  const store = openSqliteStore({ path: ':memory:' });
  store.addresses.add({ group: 1, ip: '10.0.0.0', mask: 8, port: 0, tag: '' });
  store.addresses.add({ group: 2, ip: '192.0.2.10', mask: 32, port: 5062, tag: '' });
  store.addresses.add({ group: 3, ip: '2001:db8::', mask: 32, port: 0, tag: '' });
  store.addresses.addTrusted({
    srcIp: '192.0.2.10',
    proto: 'udp',
    fromPattern: '^sip:.*@gw\\.example\\.net$',
    tag: '',
    priority: 0,
  });
  const { module: perms, permissions } = createPermissionsModule({
    store,
    params: { reload_interval: 0 },
  });
  await permissions.reload();
  const ctx = (
    ip: string,
    port: number,
    from = 'sip:a@example.com',
    transport: 'udp' | 'tcp' = 'udp',
  ) => makeCtx(INVITE(from), { rcv: { srcIp: ip, srcPort: port, transport } });
  t.is(await callKsr(perms, 'allow_source_address', ctx('10.1.2.3', 9999), 1), 1);
  t.is(await callKsr(perms, 'allow_source_address', ctx('11.1.2.3', 9999), 1), -1);
  t.is(await callKsr(perms, 'allow_source_address', ctx('192.0.2.10', 5062), 2), 1);
  t.is(await callKsr(perms, 'allow_source_address', ctx('192.0.2.10', 5063), 2), -1);
  t.is(await callKsr(perms, 'allow_source_address_group', ctx('192.0.2.10', 5062)), 2);
  t.is(await callKsr(perms, 'allow_address', ctx('1.1.1.1', 1), 3, '2001:db8:1::5', 0), 1);
  t.is(await callKsr(perms, 'allow_address_group', ctx('1.1.1.1', 1), '10.9.9.9', 5060), 1);
  t.is(await callKsr(perms, 'allow_address_group', ctx('1.1.1.1', 1), '8.8.8.8', 5060), -1);
  t.is(await callKsr(perms, 'allow_trusted', ctx('192.0.2.10', 1, 'sip:x@gw.example.net')), 1);
  t.is(await callKsr(perms, 'allow_trusted', ctx('192.0.2.10', 1, 'sip:x@evil.example')), -1);
  t.is(
    await callKsr(perms, 'allow_trusted', ctx('192.0.2.10', 1, 'sip:x@gw.example.net', 'tcp')),
    -1,
  );
  perms.stop?.();
  await store.close();
});

test('group.is_user_in over the grp table', async (t) => {
  const store = openSqliteStore({ path: ':memory:' });
  store.groups.add('alice', 'example.com', 'intl');
  const g = createGroupModule({ store });
  const ctx = makeCtx(INVITE('sip:alice@example.com'));
  t.is(await callKsr(g, 'is_user_in', ctx, 'sip:alice@Example.COM', 'intl'), 1);
  t.is(await callKsr(g, 'is_user_in', ctx, 'sip:alice@example.com', 'voip'), -1);
  t.is(await callKsr(g, 'is_user_in', ctx, 'not a uri', 'intl'), -1);
  await store.close();
  t.is(await callKsr(g, 'is_user_in', ctx, 'sip:alice@example.com', 'intl'), -2);
});
