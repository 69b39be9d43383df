import test from 'ava';
import { callKsr, makeCtx, wire } from '../testkit.ts';
import { module as siputils } from './index.ts';

function request(ruri: string, opts: { toTag?: boolean; vias?: number } = {}): string {
  const vias = Array.from(
    { length: opts.vias ?? 1 },
    (_, i) => `Via: SIP/2.0/UDP 192.0.2.${i + 1}:5060;branch=z9hG4bK${i}abc`,
  );
  return [
    `INVITE ${ruri} SIP/2.0`,
    ...vias,
    'Max-Forwards: 70',
    `To: <sip:bob@example.com>${opts.toTag ? ';tag=abc123' : ''}`,
    'From: <sip:alice@example.com>;tag=xyz',
    'Call-ID: c1@example.com',
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function reply(recordRoute: string | null): string {
  return [
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK0abc',
    ...(recordRoute === null ? [] : [`Record-Route: ${recordRoute}`]),
    'To: <sip:bob@example.com>;tag=t1',
    'From: <sip:alice@example.com>;tag=xyz',
    'Call-ID: c1@example.com',
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

test('has_totag, is_request, is_reply, is_sip, is_http return ints', async (t) => {
  const initial = makeCtx(request('sip:bob@example.com'));
  const inDialog = makeCtx(request('sip:bob@example.com', { toTag: true }));
  const rpl = makeCtx(reply(null));
  t.is(await callKsr(siputils, 'has_totag', initial), -1);
  t.is(await callKsr(siputils, 'has_totag', inDialog), 1);
  t.is(await callKsr(siputils, 'is_request', initial), 1);
  t.is(await callKsr(siputils, 'is_request', rpl), -1);
  t.is(await callKsr(siputils, 'is_reply', rpl), 1);
  t.is(await callKsr(siputils, 'is_reply', initial), -1);
  t.is(await callKsr(siputils, 'is_sip', initial), 1);
  t.is(await callKsr(siputils, 'is_http', initial), -1);
});

test('is_first_hop for requests counts Via values', async (t) => {
  t.is(await callKsr(siputils, 'is_first_hop', makeCtx(request('sip:bob@example.com'))), 1);
  t.is(
    await callKsr(siputils, 'is_first_hop', makeCtx(request('sip:bob@example.com', { vias: 2 }))),
    -1,
  );
  const commaVias = request('sip:bob@example.com').replace(
    'branch=z9hG4bK0abc',
    'branch=z9hG4bK0abc, SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx',
  );
  t.is(await callKsr(siputils, 'is_first_hop', makeCtx(commaVias)), -1);
});

test('is_first_hop for replies looks at the top Record-Route', async (t) => {
  t.is(await callKsr(siputils, 'is_first_hop', makeCtx(reply(null))), 1);
  t.is(await callKsr(siputils, 'is_first_hop', makeCtx(reply('<sip:127.0.0.1;lr>'))), 1);
  t.is(await callKsr(siputils, 'is_first_hop', makeCtx(reply('<sip:192.0.2.99;lr>'))), -1);
  // A host name is not accepted in mode 0, but is in mode 1.
  const named = makeCtx(reply('<sip:proxy.local;lr>'), { myself: ['proxy.local'] });
  t.is(await callKsr(siputils, 'is_first_hop', named), -1);
  t.is(await callKsr(siputils, 'is_first_hop_mode', named, 1), 1);
  // Received from the address of the top Record-Route itself: a loop.
  const loop = makeCtx(reply('<sip:127.0.0.1;lr>'), { rcv: { srcIp: '127.0.0.1', srcPort: 5060 } });
  t.is(await callKsr(siputils, 'is_first_hop', loop), -1);
});

test('uri_param, uri_param_value, uri_param_any', async (t) => {
  const ctx = makeCtx(request('sip:bob@example.com;lr;transport=tcp;user=phone'));
  t.is(await callKsr(siputils, 'uri_param', ctx, 'lr'), 1);
  t.is(await callKsr(siputils, 'uri_param', ctx, 'transport'), -1, 'has a value');
  t.is(await callKsr(siputils, 'uri_param', ctx, 'LR'), -1, 'case-sensitive');
  t.is(await callKsr(siputils, 'uri_param', ctx, 'maddr'), -1);
  t.is(await callKsr(siputils, 'uri_param_value', ctx, 'transport', 'tcp'), 1);
  t.is(await callKsr(siputils, 'uri_param_value', ctx, 'transport', 'udp'), -1);
  t.is(await callKsr(siputils, 'uri_param_any', ctx, 'USER'), 1);
  t.is(await callKsr(siputils, 'uri_param_any', ctx, 'lr'), 1);
  t.is(await callKsr(siputils, 'uri_param_any', ctx, 'maddr'), -1);
  t.is(await callKsr(siputils, 'uri_param', makeCtx(reply(null)), 'lr'), -1);
});

test('add_uri_param and uri_param_rm rewrite only the parameters', async (t) => {
  const ctx = makeCtx(request('sip:%62ob@example.com:5070;lr'));
  t.is(await callKsr(siputils, 'add_uri_param', ctx, 'user=phone'), 1);
  t.true(wire(ctx).startsWith('INVITE sip:%62ob@example.com:5070;lr;user=phone SIP/2.0\r\n'));
  t.is(await callKsr(siputils, 'add_uri_param', ctx, ''), 1);
  t.is(await callKsr(siputils, 'uri_param_rm', ctx, 'LR'), 1);
  t.is(ctx.msg.ruri, 'sip:%62ob@example.com:5070;user=phone');
  t.is(await callKsr(siputils, 'uri_param_rm', ctx, 'absent'), 1);
  t.is(ctx.msg.ruri, 'sip:%62ob@example.com:5070;user=phone');
  t.is(await callKsr(siputils, 'add_uri_param', makeCtx(reply(null)), 'x=1'), -1);
});

test('is_uri, is_tel_number, is_numeric, is_alphanum, is_alphanumex, cmp_hdr_name', async (t) => {
  const ctx = makeCtx(request('sip:bob@example.com'));
  t.is(await callKsr(siputils, 'is_uri', ctx, 'sip:alice@example.com;lr'), 1);
  t.is(await callKsr(siputils, 'is_uri', ctx, 'not a uri'), -1);
  t.is(await callKsr(siputils, 'is_tel_number', ctx, '+14085551212'), 1);
  t.is(await callKsr(siputils, 'is_tel_number', ctx, '004940'), 1);
  t.is(await callKsr(siputils, 'is_tel_number', ctx, '+0123'), -2);
  t.is(await callKsr(siputils, 'is_tel_number', ctx, '12a'), -2);
  t.is(await callKsr(siputils, 'is_tel_number', ctx, ''), -2);
  t.is(await callKsr(siputils, 'is_numeric', ctx, '0123'), 1);
  t.is(await callKsr(siputils, 'is_numeric', ctx, '+1'), -2);
  t.is(await callKsr(siputils, 'is_alphanum', ctx, 'abcXYZ019'), 1);
  t.is(await callKsr(siputils, 'is_alphanum', ctx, 'ab-c'), -3);
  t.is(await callKsr(siputils, 'is_alphanum', ctx, ''), -2);
  t.is(await callKsr(siputils, 'is_alphanumex', ctx, 'ab-c.d', '-.'), 1);
  t.is(await callKsr(siputils, 'is_alphanumex', ctx, 'ab_c', '-.'), -3);
  t.is(await callKsr(siputils, 'cmp_hdr_name', ctx, 'f', 'From'), 1);
  t.is(await callKsr(siputils, 'cmp_hdr_name', ctx, 'Call-ID', 'i'), 1);
  t.true(((await callKsr(siputils, 'cmp_hdr_name', ctx, 'To', 'From')) as number) < 0);
});

test('is_uri_user_e164 (the issue asks for it; Kamailio has it as a cfg function)', async (t) => {
  const ctx = makeCtx(request('sip:bob@example.com'));
  t.is(await callKsr(siputils, 'is_uri_user_e164', ctx, 'sip:+4915112345678@example.com'), 1);
  t.is(await callKsr(siputils, 'is_uri_user_e164', ctx, 'sip:4915112345678@example.com'), -1);
  t.is(await callKsr(siputils, 'is_uri_user_e164', ctx, 'sip:+1@example.com'), -1);
  t.is(await callKsr(siputils, 'is_uri_user_e164', ctx, 'tel:+4915112345678'), -1);
  t.is(await callKsr(siputils, 'is_uri_user_e164', ctx, 'not a uri'), -1);
});
