import test from 'ava';
import { PRE_SEND_KEY, type PreSendHook } from '../../core/proxy/stateful.ts';
import type { Listener } from '../../core/transport/types.ts';
import { callKsr, makeCtx, wire } from '../testkit.ts';
import { module as rr } from './index.ts';

const INVITE = `INVITE sip:bob@10.0.0.9 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1
From: <sip:alice@example.com>;tag=ft1
To: <sip:bob@example.com>
Call-ID: c1
CSeq: 1 INVITE
Max-Forwards: 70
Content-Length: 0

`;

function inDialog(
  routes: string[],
  opts: { ruri?: string; toTag?: string | null; fromTag?: string } = {},
): string {
  const toTag = opts.toTag === undefined ? 'tt1' : opts.toTag;
  return [
    `BYE ${opts.ruri ?? 'sip:bob@10.0.0.9'} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK2',
    ...routes.map((r) => `Route: ${r}`),
    `From: <sip:alice@example.com>;tag=${opts.fromTag ?? 'ft1'}`,
    `To: <sip:bob@example.com>${toTag ? `;tag=${toTag}` : ''}`,
    'Call-ID: c1',
    'CSeq: 2 BYE',
    'Content-Length: 0',
    '',
    '',
  ].join('\n');
}

test('record_route inserts our Record-Route on top, once; add_rr_param edits it', async (t) => {
  const ctx = makeCtx(INVITE);
  t.is(await callKsr(rr, 'record_route', ctx), 1);
  t.is(ctx.msg.headerFields()[0]!.name, 'Record-Route');
  t.is(ctx.msg.header('record-route'), '<sip:127.0.0.1:5060;lr;ftag=ft1>');
  t.is(await callKsr(rr, 'record_route', ctx), -1, 'a second record_route is refused');
  t.is(await callKsr(rr, 'add_rr_param', ctx, ';nat=yes'), 1);
  t.is(ctx.msg.headerValues('record-route').length, 1);
  t.is(ctx.msg.header('record-route'), '<sip:127.0.0.1:5060;lr;ftag=ft1;nat=yes>');
});

test('add_rr_param before record_route ends up in the header too', async (t) => {
  const ctx = makeCtx(INVITE, { rcv: { transport: 'tcp' } });
  t.is(await callKsr(rr, 'add_rr_param', ctx, 'x=1'), 1);
  t.is(await callKsr(rr, 'record_route', ctx), 1);
  t.is(ctx.msg.header('record-route'), '<sip:127.0.0.1:5060;transport=tcp;lr;ftag=ft1;x=1>');
});

test('double Record-Route (r2=on) when the branch leaves on another transport', async (t) => {
  const ctx = makeCtx(INVITE);
  await callKsr(rr, 'record_route', ctx);
  const hooks = ctx.ext.get(PRE_SEND_KEY) as PreSendHook[];
  t.is(hooks.length, 1);
  const branch = ctx.msg.clone();
  const tcp: Listener = { id: 2, transport: 'tcp', host: '127.0.0.1', port: 5070, family: 4 };
  hooks[0]!(branch, tcp, ctx);
  t.deepEqual(branch.headerValues('record-route'), [
    '<sip:127.0.0.1:5070;transport=tcp;lr;ftag=ft1;r2=on>',
    '<sip:127.0.0.1:5060;lr;ftag=ft1;r2=on>',
  ]);
  const same = ctx.msg.clone();
  const udp: Listener = { id: 1, transport: 'udp', host: '127.0.0.1', port: 5060, family: 4 };
  hooks[0]!(same, udp, ctx);
  t.deepEqual(same.headerValues('record-route'), ['<sip:127.0.0.1:5060;lr;ftag=ft1>']);
});

test('loose_route: our Route is removed, the next one stays; params and direction are known', async (t) => {
  const ctx = makeCtx(inDialog(['<sip:127.0.0.1:5060;lr;ftag=ft1;nat=yes>', '<sip:10.0.0.1;lr>']));
  t.is(await callKsr(rr, 'loose_route', ctx), 1);
  t.deepEqual(ctx.msg.headerValues('route'), ['<sip:10.0.0.1;lr>']);
  t.is(await callKsr(rr, 'check_route_param', ctx, 'nat=yes'), 1);
  t.is(await callKsr(rr, 'check_route_param', ctx, 'nat=no'), -1);
  t.is(await callKsr(rr, 'is_direction', ctx, 'downstream'), 1);
  t.is(await callKsr(rr, 'is_direction', ctx, 'upstream'), -1);
  t.is(await callKsr(rr, 'next_hop_route', ctx), 1);

  const back = makeCtx(inDialog(['<sip:127.0.0.1:5060;lr;ftag=ft1>'], { fromTag: 'other' }));
  t.is(await callKsr(rr, 'loose_route', back), 1);
  t.false(back.msg.hasHeader('route'));
  t.is(await callKsr(rr, 'is_direction', back, 'upstream'), 1);
  t.is(await callKsr(rr, 'next_hop_route', back), -1);
});

test('loose_route: -1 without Route, -3 for a preloaded route set', async (t) => {
  t.is(await callKsr(rr, 'loose_route', makeCtx(inDialog([]))), -1);
  const pre = makeCtx(inDialog(['<sip:10.0.0.1;lr>'], { toTag: null }));
  t.is(await callKsr(rr, 'loose_route', pre), -3);
  t.deepEqual(pre.msg.headerValues('route'), ['<sip:10.0.0.1;lr>']);
  const ours = makeCtx(inDialog(['<sip:127.0.0.1:5060;lr>'], { toTag: null }));
  t.is(await callKsr(rr, 'loose_route', ours), -3);
  t.false(ours.msg.hasHeader('route'));
});

test('loose_route removes both of our r2=on routes', async (t) => {
  const ctx = makeCtx(
    inDialog([
      '<sip:127.0.0.1:5060;lr;r2=on>',
      '<sip:127.0.0.1:5060;transport=tcp;lr;r2=on>',
      '<sip:10.0.0.1;lr>',
    ]),
    { myself: ['127.0.0.1', '127.0.0.1:5060'] },
  );
  t.is(await callKsr(rr, 'loose_route', ctx), 1);
  t.deepEqual(ctx.msg.headerValues('route'), ['<sip:10.0.0.1;lr>']);
});

test('loose_route after a strict router: the last Route becomes the R-URI', async (t) => {
  const ctx = makeCtx(
    inDialog(['<sip:10.0.0.1>', '<sip:carol@10.0.0.2>'], {
      ruri: 'sip:127.0.0.1:5060;lr;ftag=ft1',
    }),
  );
  t.is(await callKsr(rr, 'loose_route', ctx), 1);
  t.is(ctx.msg.ruri, 'sip:carol@10.0.0.2');
  t.deepEqual(ctx.msg.headerValues('route'), ['<sip:10.0.0.1>']);
});

test('record_route_preset with two addresses and remove_record_route', async (t) => {
  const ctx = makeCtx(INVITE);
  t.is(
    await callKsr(rr, 'record_route_preset', ctx, '10.0.0.1:5060', '10.0.1.1:5080;transport=tcp'),
    1,
  );
  t.deepEqual(ctx.msg.headerValues('record-route'), [
    '<sip:10.0.1.1:5080;transport=tcp;lr;ftag=ft1;r2=on>',
    '<sip:10.0.0.1:5060;lr;ftag=ft1;r2=on>',
  ]);
  t.is(await callKsr(rr, 'remove_record_route', ctx), 1);
  t.false(wire(ctx).includes('Record-Route'));
});
