import test from 'ava';
import { callKsr, makeCtx } from '../testkit.ts';
import { module as corex } from './index.ts';

function msg(ruri: string, ua: string | null): string {
  return [
    `INVITE ${ruri} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK0abc',
    'Max-Forwards: 70',
    'To: <sip:bob@example.com>',
    'From: <sip:alice@example.com>;tag=xyz',
    'Call-ID: c1@example.com',
    'CSeq: 1 INVITE',
    ...(ua === null ? [] : [`User-Agent: ${ua}`]),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const REPLY = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK0abc',
  'To: <sip:bob@example.com>;tag=t1',
  'From: <sip:alice@example.com>;tag=xyz',
  'Call-ID: c1@example.com',
  'CSeq: 1 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

test('has_ruri_user and has_user_agent', async (t) => {
  t.is(await callKsr(corex, 'has_ruri_user', makeCtx(msg('sip:bob@example.com', null))), 1);
  t.is(await callKsr(corex, 'has_ruri_user', makeCtx(msg('sip:example.com', null))), -1);
  t.is(await callKsr(corex, 'has_ruri_user', makeCtx(REPLY)), -1);
  t.is(
    await callKsr(corex, 'has_user_agent', makeCtx(msg('sip:bob@example.com', 'softphone/1'))),
    1,
  );
  t.is(await callKsr(corex, 'has_user_agent', makeCtx(msg('sip:bob@example.com', null))), -1);
});

test('append_branch moves R-URI, $du and branch flags into a branch', async (t) => {
  const ctx = makeCtx(msg('sip:bob@example.com', null));
  ctx.dstUri = 'sip:10.0.0.1:5060';
  ctx.bflags = 4;
  t.is(await callKsr(corex, 'append_branch', ctx), 1);
  t.deepEqual(ctx.branches, [
    {
      uri: 'sip:bob@example.com',
      dstUri: 'sip:10.0.0.1:5060',
      q: null,
      path: null,
      flags: 4,
      socket: null,
      instance: null,
      ruid: null,
    },
  ]);
  t.is(ctx.dstUri as string | null, null);
  t.is(ctx.bflags, 0);
});

test('append_branch_uri and append_branch_uri_q', async (t) => {
  const ctx = makeCtx(msg('sip:bob@example.com', null));
  ctx.dstUri = 'sip:10.0.0.1';
  t.is(await callKsr(corex, 'append_branch_uri', ctx, 'sip:bob@192.0.2.5'), 1);
  t.is(await callKsr(corex, 'append_branch_uri_q', ctx, 'sip:bob@192.0.2.6', '0.5'), 1);
  t.is(await callKsr(corex, 'append_branch_uri_q', ctx, 'sip:bob@192.0.2.7', 'high'), -1);
  t.is(await callKsr(corex, 'append_branch_uri', ctx, 'not a uri'), -1);
  t.deepEqual(
    ctx.branches.map((b) => [b.uri, b.dstUri, b.q]),
    [
      ['sip:bob@192.0.2.5', 'sip:10.0.0.1', null],
      ['sip:bob@192.0.2.6', 'sip:10.0.0.1', 0.5],
    ],
  );
  t.is(ctx.dstUri, 'sip:10.0.0.1', '$du stays when a URI is given');
});

test('xflags 0..63 live in ctx.xflags and return ints', async (t) => {
  const ctx = makeCtx(msg('sip:bob@example.com', null));
  t.is(await callKsr(corex, 'isxflagset', ctx, 40), -1);
  t.is(await callKsr(corex, 'setxflag', ctx, 40), 1);
  t.is(await callKsr(corex, 'setxflag', ctx, 0), 1);
  t.is(ctx.xflags, (1n << 40n) | 1n);
  t.is(await callKsr(corex, 'isxflagset', ctx, 40), 1);
  t.is(await callKsr(corex, 'resetxflag', ctx, 40), 1);
  t.is(await callKsr(corex, 'isxflagset', ctx, 40), -1);
  t.is(ctx.xflags, 1n);
  t.is(await callKsr(corex, 'setxflag', ctx, 64), -1);
  t.is(await callKsr(corex, 'isxflagset', ctx, -1), -1);
});

test('send_data hands UTF-8 bytes to the core', async (t) => {
  const ctx = makeCtx(msg('sip:bob@example.com', null));
  t.is(await callKsr(corex, 'send_data', ctx, 'sip:127.0.0.1:5090;transport=udp', 'OPTIONS ré'), 1);
  t.deepEqual(ctx.core.sent, [
    { uri: 'sip:127.0.0.1:5090;transport=udp', data: Buffer.from('OPTIONS ré', 'utf8') },
  ]);
  t.is(await callKsr(corex, 'send_data', ctx, 'garbage', 'x'), -1);
  const failing = makeCtx(msg('sip:bob@example.com', null), { sendDataResult: false });
  t.is(await callKsr(corex, 'send_data', failing, 'sip:127.0.0.1:5090', 'x'), -1);
});
