import test from 'ava';
import { callKsr, makeCtx, wire } from '../testkit.ts';
import { module as textops } from './index.ts';

const SDP =
  'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n';

function invite(extra: string[] = [], body = SDP): string {
  return [
    'INVITE sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@192.0.2.10>',
    ...extra,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

test('search covers the whole message, case-insensitively', async (t) => {
  const ctx = makeCtx(invite());
  t.is(await callKsr(textops, 'search', ctx, 'invite sip:BOB@'), 1);
  t.is(await callKsr(textops, 'search', ctx, '^cseq: [0-9]+ invite$'), 1);
  t.is(await callKsr(textops, 'search', ctx, '^o=alice'), 1, 'body too');
  t.is(await callKsr(textops, 'search', ctx, 'carol'), -1);
  t.is(await callKsr(textops, 'search', ctx, '[[:digit:]]{9}'), 1);
  t.is(await callKsr(textops, 'search', ctx, '('), -1);
  t.true(ctx.core.logs.some((l) => l.level === 'err'));
});

test('search_body, search_hf, search_str', async (t) => {
  const ctx = makeCtx(invite());
  t.is(await callKsr(textops, 'search_body', ctx, 'IN IP4 192\\.0\\.2\\.10'), 1);
  t.is(await callKsr(textops, 'search_body', ctx, 'Via'), -1);
  t.is(await callKsr(textops, 'search_body', makeCtx(invite([], '')), '.'), -1);
  t.is(await callKsr(textops, 'search_hf', ctx, 'From', 'atlanta', 'a'), 1);
  t.is(await callKsr(textops, 'search_hf', ctx, 'From', 'biloxi', 'f'), -1);
  t.is(await callKsr(textops, 'search_str', ctx, 'sip:alice@x;transport=tcp', ';transport=tcp'), 1);
  t.is(await callKsr(textops, 'search_str', ctx, 'abc', 'z'), -1);
});

test('is_present_hf and is_present_hf_re', async (t) => {
  const ctx = makeCtx(
    invite(['P-Asserted-Identity: <sip:alice@atlanta.example.com>']).replace('Contact:', 'm:'),
  );
  t.is(await callKsr(textops, 'is_present_hf', ctx, 'Contact'), 1);
  t.is(await callKsr(textops, 'is_present_hf', ctx, 'm'), 1);
  t.is(await callKsr(textops, 'is_present_hf', ctx, 'Route'), -1);
  t.is(await callKsr(textops, 'is_present_hf_re', ctx, '^P-'), 1);
  t.is(await callKsr(textops, 'is_present_hf_re', ctx, '^X-'), -1);
});

test('remove_hf returns 1 even when absent (KEMI), remove_hf_re -1 when none', async (t) => {
  const ctx = makeCtx(invite(['X-A: 1', 'X-B: 2', 'X-A: 3']));
  t.is(await callKsr(textops, 'remove_hf', ctx, 'X-A'), 1);
  t.false(wire(ctx).includes('X-A:'));
  t.is(await callKsr(textops, 'remove_hf', ctx, 'X-A'), 1);
  t.is(await callKsr(textops, 'remove_hf_re', ctx, '^x-'), 1);
  t.false(wire(ctx).includes('X-B:'));
  t.is(await callKsr(textops, 'remove_hf_re', ctx, '^x-'), -1);
});

test('remove_hf_idx', async (t) => {
  const ctx = makeCtx(invite(['X-A: 1', 'X-A: 2', 'X-A: 3']));
  t.is(await callKsr(textops, 'remove_hf_idx', ctx, 'X-A', -1), 1);
  t.is(await callKsr(textops, 'remove_hf_idx', ctx, 'X-A', 0), 1);
  t.is(await callKsr(textops, 'remove_hf_idx', ctx, 'X-A', 5), -1);
  t.deepEqual(ctx.msg.headerValues('X-A'), ['2']);
});

test('subst rewrites header lines in place and keeps the others byte for byte', async (t) => {
  const raw = invite(['X-Keep:   odd  spacing']);
  const ctx = makeCtx(raw);
  t.is(
    await callKsr(textops, 'subst', ctx, '/^To:(.*)sip:[^@]*@[a-zA-Z0-9.]+(.*)$/t:\\1\\u\\2/ig'),
    1,
  );
  const w = wire(ctx);
  t.is(w, raw.replace('To: Bob <sip:bob@example.com>', 't: Bob <sip:bob@example.com>'));
  t.true(w.includes('X-Keep:   odd  spacing\r\n'));
});

test('subst with g replaces every match, also in the body; Content-Length follows', async (t) => {
  const ctx = makeCtx(invite());
  t.is(await callKsr(textops, 'subst', ctx, '/192\\.0\\.2\\.10/198.51.100.7/g'), 1);
  const w = wire(ctx);
  t.false(w.includes('192.0.2.10'));
  t.true(w.includes('Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds\r\n'));
  t.true(w.includes('Contact: <sip:alice@198.51.100.7>\r\n'));
  const body = SDP.replace(/192\.0\.2\.10/g, '198.51.100.7');
  t.true(w.endsWith(`Content-Length: ${body.length}\r\n\r\n${body}`));
  t.is(ctx.msg.body.toString(), body);
});

test('subst without g replaces the first match only; no match is -1 and no change', async (t) => {
  const ctx = makeCtx(invite());
  t.is(await callKsr(textops, 'subst', ctx, '/192\\.0\\.2\\.10/X/'), 1);
  t.is((wire(ctx).match(/192\.0\.2\.10/g) ?? []).length, 3);
  const before = wire(ctx);
  t.is(await callKsr(textops, 'subst', ctx, '/nomatch/x/'), -1);
  t.is(wire(ctx), before);
});

test('subst expands pseudo-variables in the replacement; does not touch the request line', async (t) => {
  const ctx = makeCtx(invite(['X-Who: someone']));
  ctx.avps.set('name', ['carol']);
  t.is(await callKsr(textops, 'subst', ctx, '/^X-Who: .*$/X-Who: $avp(name) via $fU/'), 1);
  t.true(wire(ctx).includes('\r\nX-Who: carol via alice\r\n'));
  t.is(await callKsr(textops, 'subst', ctx, '/bob@example.com/x@y/g'), 1);
  t.true(wire(ctx).startsWith('INVITE sip:bob@example.com SIP/2.0\r\n'));
  t.true(wire(ctx).includes('To: Bob <sip:x@y>'));
});

test('subst refuses bad expressions and results that break the header section', async (t) => {
  const ctx = makeCtx(invite());
  const before = wire(ctx);
  t.is(await callKsr(textops, 'subst', ctx, '/abc'), -1);
  t.is(await callKsr(textops, 'subst', ctx, '/abc/def/q'), -1);
  t.is(await callKsr(textops, 'subst', ctx, '/^Max-Forwards: 70$/no colon here/'), -1);
  t.is(wire(ctx), before);
});

test('subst_uri, subst_user, subst_body, subst_hf', async (t) => {
  const ctx = makeCtx(invite());
  t.is(
    await callKsr(textops, 'subst_uri', ctx, '/^sip:([a-z]+)@(.*)$/sip:3463\\1@\\2;orig=\\0/i'),
    1,
  );
  t.is(ctx.msg.ruri, 'sip:3463bob@example.com;orig=sip:bob@example.com');
  t.is(await callKsr(textops, 'subst_user', ctx, '/^3463//'), 1);
  t.is(ctx.msg.ruri, 'sip:bob@example.com;orig=sip:bob@example.com');
  t.is(await callKsr(textops, 'subst_user', ctx, '/nomatch/x/'), -1);
  t.is(await callKsr(textops, 'subst_body', ctx, '/^o=(\\S+) /o=$fU-x /'), 1);
  t.true(ctx.msg.body.toString().includes('o=alice-x 2890844526'));
  t.is(await callKsr(textops, 'subst_hf', ctx, 'From', '/atlanta/chicago/', 'a'), 1);
  t.true(wire(ctx).includes('From: Alice <sip:alice@chicago.example.com>;tag=1928301774\r\n'));
  t.is(await callKsr(textops, 'subst_hf', ctx, 'From', '/atlanta/x/', 'a'), -1);
});

test('replace, replace_all and the body variants take the text literally', async (t) => {
  const ctx = makeCtx(invite(['X-Tag: $fU']));
  t.is(await callKsr(textops, 'replace', ctx, 'alice', 'ALICIA'), 1);
  t.is((wire(ctx).match(/ALICIA/g) ?? []).length, 1);
  t.is(await callKsr(textops, 'replace_all', ctx, 'alice', 'eve'), 1);
  t.is((wire(ctx).match(/alice/g) ?? []).length, 0);
  t.is(await callKsr(textops, 'replace', ctx, 'nomatch', 'x'), -1);
  t.true(wire(ctx).includes('X-Tag: $fU\r\n'));
  t.is(await callKsr(textops, 'replace_body', ctx, 'IN IP4', 'IN IP6'), 1);
  t.is((ctx.msg.body.toString().match(/IP6/g) ?? []).length, 1);
  t.is(await callKsr(textops, 'replace_body_all', ctx, 'IN IP4', 'IN IP6'), 1);
  t.is((ctx.msg.body.toString().match(/IP4/g) ?? []).length, 0);
  t.is(await callKsr(textops, 'replace_body_atonce', ctx, '^.+$', ''), 1);
  t.is(ctx.msg.body.length, 0);
  t.true(wire(ctx).includes('Content-Length: 0\r\n'));
});

test('has_body, has_body_type, set_body', async (t) => {
  const ctx = makeCtx(invite());
  t.is(await callKsr(textops, 'has_body', ctx), 1);
  t.is(await callKsr(textops, 'has_body_type', ctx, 'application/sdp'), 1);
  t.is(await callKsr(textops, 'has_body_type', ctx, 'text/plain'), -1);
  const empty = makeCtx(invite([], ''));
  t.is(await callKsr(textops, 'has_body', empty), -1);
  t.is(await callKsr(textops, 'set_body', empty, 'hello', 'text/plain'), 1);
  t.is(await callKsr(textops, 'has_body_type', empty, 'text/plain'), 1);
  const w = wire(empty);
  t.true(w.includes('\r\nContent-Type: text/plain\r\n'));
  t.true(w.includes('\r\nContent-Length: 5\r\n'));
  t.true(w.endsWith('\r\n\r\nhello'));
  t.is(empty.msg.body.toString(), 'hello');
});

test('is_privacy', async (t) => {
  const ctx = makeCtx(invite(['Privacy: id; header', 'Privacy: user']));
  t.is(await callKsr(textops, 'is_privacy', ctx, 'id'), 1);
  t.is(await callKsr(textops, 'is_privacy', ctx, 'header'), 1);
  t.is(await callKsr(textops, 'is_privacy', ctx, 'user'), 1);
  t.is(await callKsr(textops, 'is_privacy', ctx, 'session'), -1);
  t.is(await callKsr(textops, 'is_privacy', ctx, 'bogus'), -1);
  t.is(await callKsr(textops, 'is_privacy', makeCtx(invite()), 'id'), -1);
});

test('string helpers', async (t) => {
  const ctx = makeCtx(invite());
  t.is(await callKsr(textops, 'in_list', ctx, 'b', 'a, b ,c', ','), 1);
  t.is(await callKsr(textops, 'in_list', ctx, 'd', 'a,b,c', ','), -1);
  t.is(await callKsr(textops, 'in_list_prefix', ctx, '+4930123', '+49, +33', ','), 1);
  t.is(await callKsr(textops, 'cmp_str', ctx, 'abc', 'abc'), 1);
  t.is(await callKsr(textops, 'cmp_str', ctx, 'abc', 'ABC'), -1);
  t.is(await callKsr(textops, 'cmp_istr', ctx, 'abc', 'ABC'), 1);
  t.is(await callKsr(textops, 'starts_with', ctx, 'sip:alice', 'sip:'), 1);
  t.is(await callKsr(textops, 'starts_with', ctx, 'sip', 'sip:'), -1);
  t.is(await callKsr(textops, 'ends_with', ctx, 'alice@example.com', '.com'), 1);
  t.is(await callKsr(textops, 'str_find', ctx, 'hello world', 'world'), 7);
  t.is(await callKsr(textops, 'str_find', ctx, 'hello', 'World'), -1);
  t.is(await callKsr(textops, 'str_ifind', ctx, 'hello World', 'WORLD'), 7);
});

test('append_hf adds header text at the end like hdr.append', async (t) => {
  const ctx = makeCtx(invite());
  t.is(await callKsr(textops, 'append_hf', ctx, 'X-Appended: 1\r\n'), 1);
  const w = wire(ctx);
  t.true(w.includes(`Content-Length: ${SDP.length}\r\nX-Appended: 1\r\n\r\n`));
  t.is(await callKsr(textops, 'append_hf', ctx, 'garbage'), -1);
});
