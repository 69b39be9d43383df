/** Registrar and usrloc: RFC 3261 §10.3 behaviour, RFC 4475 cases, lookup and persistence. */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceDir } from '../../test/conformance/corpus.ts';
import { callKsr, makeCtx, type TestCtx } from '../testkit.ts';
import { openSqliteStore } from '../db_sqlite/index.ts';
import { createUsrloc, type Usrloc } from '../usrloc/index.ts';
import { createRegistrarModule, type RegistrarParams } from './index.ts';

const clock = 1_000_000;

function setup(params: RegistrarParams = {}, useDomain = 1) {
  // Each test has its own clock: ava runs the tests of a file concurrently.
  const c = { now: clock };
  const usrloc = createUsrloc({ store: null, params: { use_domain: useDomain }, now: () => c.now });
  const mod = createRegistrarModule({ usrloc, params: { min_expires: 60, ...params } });
  return { usrloc, mod, advance: (s: number) => void (c.now += s) };
}

function register(opts: {
  contacts?: string[];
  expires?: number | null;
  callId?: string;
  cseq?: number;
  to?: string;
  extra?: string[];
}): string {
  const lines = [
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-1',
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=f1`,
    `To: ${opts.to ?? '<sip:alice@example.com>'}`,
    `Call-ID: ${opts.callId ?? 'reg-1@192.0.2.10'}`,
    `CSeq: ${opts.cseq ?? 1} REGISTER`,
    ...(opts.contacts ?? []).map((c) => `Contact: ${c}`),
    ...(opts.expires === null || opts.expires === undefined ? [] : [`Expires: ${opts.expires}`]),
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  return lines.join('\n');
}

function contactsOf(ctx: TestCtx): string[] {
  return ctx.core.replies[0]!.headers.filter(([n]) => n === 'Contact').map(([, v]) => v);
}

async function save(mod: ReturnType<typeof setup>['mod'], raw: string, flags = 0) {
  const ctx = makeCtx(raw);
  const rc = await callKsr(mod, 'save', ctx, 'location', flags);
  return { ctx, rc };
}

test('add, refresh and remove a binding; 200 lists bindings with their expires', async (t) => {
  const { mod, usrloc, advance } = setup();
  let r = await save(mod, register({ contacts: ['<sip:alice@192.0.2.10:5062>'], expires: 600 }));
  t.is(r.rc, 1);
  t.is(r.ctx.core.replies[0]!.status, 200);
  t.deepEqual(contactsOf(r.ctx), ['<sip:alice@192.0.2.10:5062>;expires=600']);
  advance(100);
  r = await save(
    mod,
    register({ contacts: ['<sip:alice@192.0.2.10:5062>'], expires: 600, cseq: 2 }),
  );
  t.is(r.rc, 2);
  t.deepEqual(contactsOf(r.ctx), ['<sip:alice@192.0.2.10:5062>;expires=600']);
  r = await save(mod, register({ contacts: [], cseq: 3 }));
  t.is(r.rc, 4, 'no Contact = fetch');
  t.deepEqual(contactsOf(r.ctx), ['<sip:alice@192.0.2.10:5062>;expires=600']);
  r = await save(mod, register({ contacts: ['<sip:alice@192.0.2.10:5062>'], expires: 0, cseq: 4 }));
  t.is(r.rc, 3);
  t.deepEqual(contactsOf(r.ctx), []);
  t.is(usrloc.size, 0);
});

test('several contacts, q-values, expires parameter beats the header', async (t) => {
  const { mod } = setup();
  const r = await save(
    mod,
    register({
      contacts: [
        '<sip:a@192.0.2.1>;q=0.5;expires=120',
        '<sip:b@192.0.2.2>;q=1.0',
        'sip:c@192.0.2.3',
      ],
      expires: 300,
    }),
  );
  t.is(r.rc, 1);
  t.deepEqual(contactsOf(r.ctx), [
    '<sip:b@192.0.2.2>;expires=300;q=1',
    '<sip:c@192.0.2.3>;expires=300',
    '<sip:a@192.0.2.1>;expires=120;q=0.5',
  ]);
  const inv = makeCtx(
    'INVITE sip:alice@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-2\nFrom: <sip:bob@example.com>;tag=1\nTo: <sip:alice@example.com>\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n',
  );
  t.is(await callKsr(mod, 'lookup', inv, 'location'), 1);
  t.is(inv.msg.ruri, 'sip:b@192.0.2.2');
  t.deepEqual(
    inv.branches.map((b) => [b.uri, b.q]),
    [
      ['sip:c@192.0.2.3', null],
      ['sip:a@192.0.2.1', 0.5],
    ],
  );
});

test('min/max/default expires: 423 with Min-Expires, capping, default', async (t) => {
  const { mod } = setup({ max_expires: 1000, default_expires: 500 });
  let r = await save(mod, register({ contacts: ['<sip:a@192.0.2.1>'], expires: 30 }));
  t.is(r.rc, -1);
  t.is(r.ctx.core.replies[0]!.status, 423);
  t.deepEqual(r.ctx.core.replies[0]!.headers, [['Min-Expires', '60']]);
  r = await save(mod, register({ contacts: ['<sip:a@192.0.2.1>'], expires: 5000, cseq: 2 }));
  t.deepEqual(contactsOf(r.ctx), ['<sip:a@192.0.2.1>;expires=1000']);
  r = await save(mod, register({ contacts: ['<sip:b@192.0.2.1>'], cseq: 3 }));
  t.true(contactsOf(r.ctx).includes('<sip:b@192.0.2.1>;expires=500'));
  // Flag 8 skips the range checks.
  r = await save(mod, register({ contacts: ['<sip:c@192.0.2.1>'], expires: 10, cseq: 4 }), 8);
  t.true(contactsOf(r.ctx).includes('<sip:c@192.0.2.1>;expires=10'));
});

test('min_expires_mode 0 raises a short expires instead of refusing', async (t) => {
  const { mod } = setup({ min_expires_mode: 0 });
  const r = await save(mod, register({ contacts: ['<sip:a@192.0.2.1>'], expires: 5 }));
  t.deepEqual(contactsOf(r.ctx), ['<sip:a@192.0.2.1>;expires=60']);
});

test('Contact: * removes all, only alone and with Expires: 0', async (t) => {
  const { mod, usrloc } = setup();
  await save(mod, register({ contacts: ['<sip:a@192.0.2.1>', '<sip:b@192.0.2.1>'], expires: 300 }));
  let r = await save(mod, register({ contacts: ['*'], expires: 300, cseq: 2 }));
  t.is(r.ctx.core.replies[0]!.status, 400);
  r = await save(mod, register({ contacts: ['*', '<sip:a@192.0.2.1>'], expires: 0, cseq: 3 }));
  t.is(r.ctx.core.replies[0]!.status, 400);
  t.is(usrloc.size, 2);
  r = await save(mod, register({ contacts: ['*'], expires: 0, callId: 'other', cseq: 1 }));
  t.is(r.rc, 3);
  t.is(r.ctx.core.replies[0]!.status, 200);
  t.is(usrloc.size, 0);
});

test('out-of-order REGISTER (same Call-ID, CSeq not higher) is refused, nothing changes', async (t) => {
  const { mod, usrloc } = setup();
  await save(mod, register({ contacts: ['<sip:a@192.0.2.1>'], expires: 300, cseq: 10 }));
  const r = await save(mod, register({ contacts: ['<sip:a@192.0.2.1>'], expires: 0, cseq: 9 }));
  t.is(r.rc, -1);
  t.is(r.ctx.core.replies[0]!.status, 400);
  t.is(usrloc.size, 1);
  // Another Call-ID may update whatever its CSeq.
  const r2 = await save(
    mod,
    register({ contacts: ['<sip:a@192.0.2.1>'], expires: 0, callId: 'z', cseq: 1 }),
  );
  t.is(r2.rc, 3);
});

test('max_contacts gives 503 and -2; flag 4 keeps a single contact', async (t) => {
  const { mod, usrloc } = setup({ max_contacts: 2 });
  let r = await save(
    mod,
    register({ contacts: ['<sip:a@h1>', '<sip:b@h2>', '<sip:c@h3>'], expires: 300 }),
  );
  t.is(r.rc, -2);
  t.is(r.ctx.core.replies[0]!.status, 503);
  t.is(usrloc.size, 0);
  await save(mod, register({ contacts: ['<sip:a@h1>', '<sip:b@h2>'], expires: 300, cseq: 2 }));
  r = await save(mod, register({ contacts: ['<sip:c@h3>'], expires: 300, cseq: 3 }), 4);
  t.deepEqual(contactsOf(r.ctx), ['<sip:c@h3>;expires=300']);
});

test('Path, +sip.instance and reg-id are kept and returned; TCP contact reached by its source', async (t) => {
  const { mod, usrloc } = setup();
  const raw = register({
    contacts: ['<sip:a@10.0.0.5:5070;transport=tcp>;+sip.instance="<urn:uuid:1234>";reg-id=1'],
    expires: 300,
    extra: ['Path: <sip:edge.example.net;lr>', 'Supported: path, outbound'],
  });
  const ctx = makeCtx(raw, { rcv: { transport: 'tcp', srcIp: '198.51.100.7', srcPort: 40001 } });
  t.is(await callKsr(mod, 'save', ctx, 'location', 0), 1);
  t.deepEqual(ctx.core.replies[0]!.headers, [
    [
      'Contact',
      '<sip:a@10.0.0.5:5070;transport=tcp>;expires=300;+sip.instance="<urn:uuid:1234>";reg-id=1',
    ],
    ['Path', '<sip:edge.example.net;lr>'],
  ]);
  const b = usrloc.get('alice@example.com')[0]!;
  t.is(b.received, 'sip:198.51.100.7:40001;transport=tcp');
  t.is(b.socket, 'tcp:127.0.0.1:5060');
  t.is(b.path, '<sip:edge.example.net;lr>');
  // The same instance with another contact URI replaces the binding (RFC 5626).
  const again = makeCtx(
    register({
      contacts: ['<sip:a@10.0.0.6:5070;transport=tcp>;+sip.instance="<urn:uuid:1234>";reg-id=1'],
      expires: 300,
      cseq: 2,
    }),
    { rcv: { transport: 'tcp', srcIp: '198.51.100.7', srcPort: 40002 } },
  );
  t.is(await callKsr(mod, 'save', again, 'location', 0), 2);
  t.is(usrloc.size, 1);
  const inv = makeCtx(
    'INVITE sip:alice@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-2\nFrom: <sip:bob@example.com>;tag=1\nTo: <sip:alice@example.com>\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n',
  );
  t.is(await callKsr(mod, 'lookup', inv, 'location'), 1);
  t.is(inv.msg.ruri, 'sip:a@10.0.0.6:5070;transport=tcp');
  t.is(inv.dstUri, 'sip:198.51.100.7:40002;transport=tcp');
});

test('lookup codes: -1 unknown, -2 method filtered; registered, unregister', async (t) => {
  const { mod } = setup({ method_filtering: 1 });
  await save(
    mod,
    register({ contacts: ['<sip:a@192.0.2.1>'], expires: 300, extra: ['Allow: INVITE, ACK, BYE'] }),
  );
  const req = (m: string, user = 'alice') =>
    makeCtx(
      `${m} sip:${user}@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-2\nFrom: <sip:bob@example.com>;tag=1\nTo: <sip:${user}@example.com>\nCall-ID: x\nCSeq: 1 ${m}\nContent-Length: 0\n\n`,
    );
  t.is(await callKsr(mod, 'lookup', req('MESSAGE'), 'location'), -2);
  t.is(await callKsr(mod, 'lookup', req('INVITE', 'nobody'), 'location'), -1);
  t.is(await callKsr(mod, 'registered', req('INVITE'), 'location'), 1);
  t.is(await callKsr(mod, 'registered', req('INVITE', 'nobody'), 'location'), -1);
  t.is(await callKsr(mod, 'unregister', req('INVITE'), 'location', 'sip:alice@example.com'), 1);
  t.is(await callKsr(mod, 'lookup', req('INVITE'), 'location'), -1);
});

test('bindings expire: lookup ignores them, the sweep removes them', async (t) => {
  const { mod, usrloc, advance } = setup();
  await save(mod, register({ contacts: ['<sip:a@192.0.2.1>'], expires: 60 }));
  advance(61);
  t.deepEqual(usrloc.get('alice@example.com'), []);
  t.is(usrloc.sweep(), 1);
  t.is(usrloc.size, 0);
  await usrloc.stop();
});

test('use_domain 0 keys the AoR on the user alone', async (t) => {
  const { mod, usrloc } = setup({}, 0);
  await save(mod, register({ contacts: ['<sip:a@192.0.2.1>'], expires: 300 }));
  t.is(usrloc.get('alice').length, 1);
});

test('reg_fetch_contacts and ulc getters', async (t) => {
  const { mod } = setup();
  await save(mod, register({ contacts: ['<sip:a@192.0.2.1>;q=0.7'], expires: 300 }));
  const ctx = makeCtx(register({}));
  t.is(await callKsr(mod, 'reg_fetch_contacts', ctx, 'location', 'sip:alice@example.com', 'p'), 1);
  t.is(await callKsr(mod, 'ulc_rget', ctx, 'p', 'count'), 1);
  t.is(await callKsr(mod, 'ulc_cget', ctx, 'p', 'addr', 0), 'sip:a@192.0.2.1');
  t.is(await callKsr(mod, 'ulc_cget', ctx, 'p', 'q', 0), 700);
  t.is(await callKsr(mod, 'reg_free_contacts', ctx, 'p'), 1);
  t.is(await callKsr(mod, 'ulc_rget', ctx, 'p', 'count'), null);
});

// RFC 4475 registrar cases, from the shared corpus.
function corpus(name: string): Buffer {
  return readFileSync(join(conformanceDir(), 'rfc4475', `${name}.dat`));
}

test('RFC 4475 cparam01/cparam02: addr-spec params are header params, <> params stay in the URI', async (t) => {
  const { mod } = setup();
  let r = await save(mod, corpus('cparam01').toString('latin1'));
  t.is(r.ctx.core.replies[0]!.status, 200);
  t.deepEqual(contactsOf(r.ctx), ['<sip:+19725552222@gw1.example.net>;expires=3600']);
  const m2 = setup();
  r = await save(m2.mod, corpus('cparam02').toString('latin1'));
  t.is(r.ctx.core.replies[0]!.status, 200);
  t.deepEqual(contactsOf(r.ctx), ['<sip:+19725552222@gw1.example.net;unknownparam>;expires=3600']);
});

test('RFC 4475 regescrt: the escaped header in the contact is stored and returned as is', async (t) => {
  const { mod } = setup();
  const r = await save(mod, corpus('regescrt').toString('latin1'));
  t.is(r.ctx.core.replies[0]!.status, 200);
  t.deepEqual(contactsOf(r.ctx), [
    '<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600',
  ]);
});

test('RFC 4475 unksm2: a To that is not SIP/SIPS gets 400', async (t) => {
  const { mod, usrloc } = setup();
  const r = await save(mod, corpus('unksm2').toString('latin1'));
  t.is(r.rc, -1);
  t.is(r.ctx.core.replies[0]!.status, 400);
  t.is(usrloc.size, 0);
});

test('RFC 4475 escnull: two distinct contacts, AoR not truncated at %00', async (t) => {
  const { mod, usrloc } = setup();
  const r = await save(mod, corpus('escnull').toString('latin1'));
  t.is(r.ctx.core.replies[0]!.status, 200);
  t.is(contactsOf(r.ctx).length, 2);
  t.deepEqual(
    usrloc.entries().map(([k]) => k),
    ['null-%00-null@example.com'],
  );
  t.deepEqual(
    usrloc
      .get('null-%00-null@example.com')
      .map((b) => b.contact)
      .sort(),
    ['sip:%00%00@host5.example.com', 'sip:%00@host5.example.com'],
  );
});

test('write-through to SQLite, loaded back by a new usrloc', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-ul-'));
  try {
    const store = openSqliteStore({ path: join(dir, 'db.sqlite') });
    const usrloc: Usrloc = createUsrloc({ store, params: { use_domain: 1 }, now: () => clock });
    const mod = createRegistrarModule({ usrloc, params: {} });
    await save(
      mod,
      register({ contacts: ['<sip:a@192.0.2.1>', '<sip:b@192.0.2.1>'], expires: 300 }),
    );
    await save(mod, register({ contacts: ['<sip:a@192.0.2.1>'], expires: 0, cseq: 2 }));
    await save(mod, register({ contacts: ['<sip:m@192.0.2.1>'], expires: 300, cseq: 3 }), 1);
    await usrloc.flush();
    await usrloc.stop();
    t.deepEqual(
      (await store.location.list()).map((r) => r.contact),
      ['sip:b@192.0.2.1'],
      'flag 1 (memory only) is not written',
    );
    const again = createUsrloc({ store, params: { use_domain: 1 }, now: () => clock });
    t.is(await again.load(), 1);
    t.is(again.get('alice@example.com')[0]!.contact, 'sip:b@192.0.2.1');
    await again.stop();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
