import { readFileSync } from 'node:fs';
import test from 'ava';
import { callKsr, makeCtx } from '../testkit.ts';
import { createSanityModule, module as sanity } from './index.ts';

const torture = (name: string) =>
  readFileSync(new URL(`../../../shared/conformance/rfc4475/${name}.dat`, import.meta.url));

function request(
  opts: { method?: string; extra?: string[]; ruri?: string; cseq?: string } = {},
): string {
  const method = opts.method ?? 'INVITE';
  return [
    `${method} ${opts.ruri ?? 'sip:bob@example.com'} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK0abc',
    'Max-Forwards: 70',
    'To: <sip:bob@example.com>',
    'From: <sip:alice@example.com>;tag=xyz',
    'Call-ID: c1@example.com',
    `CSeq: ${opts.cseq ?? '1'} ${method}`,
    ...(opts.extra ?? []),
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
  'Expires: soon',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

test('a well-formed request passes the defaults and the example-script masks', async (t) => {
  const ctx = makeCtx(request({ extra: ['Expires: 3600', 'Contact: <sip:alice@192.0.2.1>'] }));
  t.is(await callKsr(sanity, 'sanity_check_defaults', ctx), 1);
  t.is(await callKsr(sanity, 'sanity_check', ctx, 17895, 7), 1);
  t.is(await callKsr(sanity, 'sanity_check', ctx, 0xffff, 15), 1);
  t.deepEqual(ctx.core.replies, []);
  t.false(ctx.replied);
});

test('RFC 4475 unkscm: unknown R-URI scheme is answered 416', async (t) => {
  const ctx = makeCtx(torture('unkscm'));
  t.is(await callKsr(sanity, 'sanity_check', ctx, 17895, 7), -1);
  t.deepEqual(
    ctx.core.replies.map((r) => [r.status, r.reason]),
    [[416, 'Unsupported URI Scheme in Request URI']],
  );
  t.true(ctx.replied);
});

test('RFC 4475 novelsc: soap.beep scheme is answered 416 too', async (t) => {
  const ctx = makeCtx(torture('novelsc'));
  t.is(await callKsr(sanity, 'sanity_check_defaults', ctx), -1);
  t.is(ctx.core.replies[0]?.status, 416);
});

test('RFC 4475 bext01: Proxy-Require tags are answered 420 with Unsupported', async (t) => {
  const ctx = makeCtx(torture('bext01'));
  t.is(await callKsr(sanity, 'sanity_check', ctx, 512, 7), -1);
  t.deepEqual(ctx.core.replies, [
    {
      status: 420,
      reason: 'Bad Extension',
      headers: [['Unsupported', 'noProxiesSupportThis, norDoAnyProxiesSupportThis']],
      body: undefined,
    },
  ]);
  const ok = makeCtx(torture('bext01'));
  const tolerant = createSanityModule({
    proxyRequire: ['noproxiessupportthis', 'norDoAnyProxiesSupportThis'],
  });
  t.is(await callKsr(tolerant, 'sanity_check', ok, 512, 7), 1);
  t.deepEqual(ok.core.replies, []);
});

test('RFC 4475 regaut01: a non-Digest Authorization fails check 2048 silently, passes 8192', async (t) => {
  const ctx = makeCtx(torture('regaut01'));
  t.is(await callKsr(sanity, 'sanity_check', ctx, 8192, 7), 1);
  t.is(await callKsr(sanity, 'sanity_check_defaults', ctx), -1);
  t.deepEqual(ctx.core.replies, [], 'the digest check does not reply');
});

test('Expires must be a 32-bit unsigned number (400)', async (t) => {
  const ctx = makeCtx(request({ method: 'REGISTER', extra: ['Expires: 10000000000'] }));
  t.is(await callKsr(sanity, 'sanity_check', ctx, 256, 7), -1);
  t.deepEqual(
    ctx.core.replies.map((r) => [r.status, r.reason]),
    [[400, 'Expires value is illegal']],
  );
  const ok = makeCtx(request({ method: 'REGISTER', extra: ['Expires: 4294967295'] }));
  t.is(await callKsr(sanity, 'sanity_check', ok, 256, 7), 1);
});

test('CSeq checks after a script edit', async (t) => {
  const ctx = makeCtx(request());
  ctx.msg.setHeader('CSeq', '5 OPTIONS');
  t.is(await callKsr(sanity, 'sanity_check', ctx, 32, 7), -1);
  t.is(ctx.core.replies[0]?.reason, 'CSeq method does not match request method');
  const v = makeCtx(request());
  v.msg.setHeader('CSeq', '99999999999 INVITE');
  t.is(await callKsr(sanity, 'sanity_check', v, 64, 7), -1);
  t.deepEqual(
    v.core.replies.map((r) => [r.status, r.reason]),
    [[400, 'CSeq number is illegal']],
  );
});

test('required headers (4) after a script removed one', async (t) => {
  const ctx = makeCtx(request());
  ctx.msg.removeHeader('Call-ID');
  t.is(await callKsr(sanity, 'sanity_check', ctx, 4, 7), -1);
  t.deepEqual(
    ctx.core.replies.map((r) => [r.status, r.reason]),
    [[400, 'Missing Required Header in Request']],
  );
});

test('parse URIs (1024): From/To/Contact schemes', async (t) => {
  const ctx = makeCtx(torture('unksm2'));
  t.is(await callKsr(sanity, 'sanity_check', ctx, 1024, 7), -1);
  t.is(ctx.core.replies[0]?.status, 400);
  t.regex(ctx.core.replies[0]!.reason, /^Bad (From|To) URI$/);
  const contact = makeCtx(request({ extra: ['Contact: <mailto:alice@example.com>'] }));
  t.is(
    await callKsr(sanity, 'sanity_check', contact, 1024, 7),
    1,
    'Contact is not checked without bit 8',
  );
  t.is(await callKsr(sanity, 'sanity_check', contact, 1024, 15), -1);
  t.is(contact.core.replies[0]?.reason, 'Bad Contact URI');
});

test('duplicate tags (4096) and RFC 3261 compliance (32768) fail without a reply', async (t) => {
  const dup = makeCtx(request().replace(';tag=xyz', ';tag=xyz;tag=abc'));
  t.is(await callKsr(sanity, 'sanity_check', dup, 4096, 7), -1);
  const noLr = makeCtx(request({ extra: ['Route: <sip:proxy.example.com>'] }));
  t.is(await callKsr(sanity, 'sanity_check', noLr, 32768, 7), -1);
  const withLr = makeCtx(request({ extra: ['Route: <sip:proxy.example.com;lr>'] }));
  t.is(await callKsr(sanity, 'sanity_check', withLr, 32768, 7), 1);
  t.deepEqual([...dup.core.replies, ...noLr.core.replies], []);
});

test('ACK and replies are never answered', async (t) => {
  const ack = makeCtx(request({ method: 'ACK', extra: ['Expires: bad'] }));
  t.is(await callKsr(sanity, 'sanity_check', ack, 256, 7), -1);
  t.deepEqual(ack.core.replies, []);
  const rpl = makeCtx(REPLY);
  t.is(
    await callKsr(sanity, 'sanity_check', rpl, 17604, 6),
    1,
    'the reply mask has no Expires check',
  );
  t.is(await callKsr(sanity, 'sanity_check', rpl, 256, 6), -1);
  t.deepEqual(rpl.core.replies, []);
  t.false(rpl.replied);
});

test('noreply keeps the reply for sanity_reply', async (t) => {
  const quiet = createSanityModule({ noreply: true });
  const ctx = makeCtx(torture('unkscm'));
  t.is(await callKsr(quiet, 'sanity_reply', ctx), -1);
  t.is(await callKsr(quiet, 'sanity_check', ctx, 2, 7), -1);
  t.deepEqual(ctx.core.replies, []);
  t.is(await callKsr(quiet, 'sanity_reply', ctx), 1);
  t.deepEqual(
    ctx.core.replies.map((r) => r.status),
    [416],
  );
});
