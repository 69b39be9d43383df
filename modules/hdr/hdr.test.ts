import test from 'ava';
import { callKsr, makeCtx, wire } from '../testkit.ts';
import { module as hdr } from './index.ts';

const HEAD = [
  'OPTIONS sip:carol@chicago.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877',
  'Max-Forwards: 70',
  'To: <sip:carol@chicago.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 63104 OPTIONS',
  'Route: <sip:p1.example.com;lr>',
  'Route: <sip:p2.example.com;lr>',
  'X-Tag: a',
  'X-Tag: b',
  'Accept: application/sdp',
];
const OPTIONS = [...HEAD, 'Content-Length: 0', '', ''].join('\r\n');

function headerSection(ctx: ReturnType<typeof makeCtx>): string[] {
  const w = wire(ctx);
  return w.slice(0, w.indexOf('\r\n\r\n')).split('\r\n').slice(1);
}

test('append adds full header lines at the end, several at once', async (t) => {
  const ctx = makeCtx(OPTIONS);
  t.is(await callKsr(hdr, 'append', ctx, 'X-Foo: bar\r\n'), 1);
  t.is(await callKsr(hdr, 'append', ctx, 'X-A: 1\r\nX-B: two\r\n  folded\r\n'), 1);
  t.is(await callKsr(hdr, 'append', ctx, 'X-NoCrlf: ok'), 1);
  const lines = headerSection(ctx);
  t.deepEqual(lines.slice(-5), [
    'Content-Length: 0',
    'X-Foo: bar',
    'X-A: 1',
    'X-B: two folded',
    'X-NoCrlf: ok',
  ]);
  t.true(wire(ctx).endsWith('X-NoCrlf: ok\r\n\r\n'));
});

test('append refuses text that is not a header line', async (t) => {
  const ctx = makeCtx(OPTIONS);
  const before = wire(ctx);
  t.is(await callKsr(hdr, 'append', ctx, 'no colon here\r\n'), -1);
  t.is(await callKsr(hdr, 'append', ctx, 'Bad Name: x\r\n'), -1);
  t.is(await callKsr(hdr, 'append', ctx, ''), -1);
  t.is(wire(ctx), before);
  t.true(ctx.core.logs.some((l) => l.level === 'err'));
});

test('insert puts lines on top in order', async (t) => {
  const ctx = makeCtx(OPTIONS);
  t.is(await callKsr(hdr, 'insert', ctx, 'X-1: a\r\nX-2: b\r\n'), 1);
  t.deepEqual(headerSection(ctx).slice(0, 3), ['X-1: a', 'X-2: b', HEAD[1]]);
});

test('append_after goes after the FIRST header of that name; end when absent', async (t) => {
  const ctx = makeCtx(OPTIONS);
  t.is(await callKsr(hdr, 'append_after', ctx, 'Route: <sip:new.example.com;lr>\r\n', 'Route'), 1);
  const lines = headerSection(ctx);
  const i = lines.indexOf('Route: <sip:p1.example.com;lr>');
  t.deepEqual(lines.slice(i, i + 3), [
    'Route: <sip:p1.example.com;lr>',
    'Route: <sip:new.example.com;lr>',
    'Route: <sip:p2.example.com;lr>',
  ]);
  t.is(await callKsr(hdr, 'append_after', ctx, 'X-Z: 1\r\n', 'X-Absent'), 1);
  t.is(headerSection(ctx).at(-1), 'X-Z: 1');
});

test('append_after the last field of a name keeps every other line byte for byte', async (t) => {
  const ctx = makeCtx(OPTIONS);
  t.is(await callKsr(hdr, 'append_after', ctx, 'X-After: 1\r\n', 'CSeq'), 1);
  const expected = [...HEAD.slice(1, 7), 'X-After: 1', ...HEAD.slice(7), 'Content-Length: 0'];
  t.deepEqual(headerSection(ctx), expected);
});

test('insert_before goes before the first header of that name', async (t) => {
  const ctx = makeCtx(OPTIONS);
  t.is(await callKsr(hdr, 'insert_before', ctx, 'X-Before: 1\r\n', 'X-Tag'), 1);
  const lines = headerSection(ctx);
  t.deepEqual(lines.slice(lines.indexOf('X-Before: 1'), lines.indexOf('X-Before: 1') + 3), [
    'X-Before: 1',
    'X-Tag: a',
    'X-Tag: b',
  ]);
  t.is(await callKsr(hdr, 'insert_before', ctx, 'X-Top: 1\r\n', 'X-Absent'), 1);
  t.is(headerSection(ctx)[0], 'X-Top: 1');
});

test('remove deletes every header of that name (compact too) and returns 1', async (t) => {
  const ctx = makeCtx(OPTIONS.replace('To: <sip:carol', 't: <sip:carol'));
  t.is(await callKsr(hdr, 'remove', ctx, 'Route'), 1);
  t.is(await callKsr(hdr, 'remove', ctx, 'X-Absent'), 1);
  t.false(wire(ctx).includes('Route:'));
  t.is(await callKsr(hdr, 'is_present', ctx, 'To'), 1);
  t.is(await callKsr(hdr, 'remove', ctx, 'To'), 1);
  t.is(await callKsr(hdr, 'is_present', ctx, 't'), -1);
  t.is(await callKsr(hdr, 'remove', ctx, 'bad name'), -1);
});

test('rmappend and rminsert', async (t) => {
  const ctx = makeCtx(OPTIONS);
  t.is(await callKsr(hdr, 'rmappend', ctx, 'X-Tag', 'X-Tag: c\r\n'), 1);
  t.deepEqual(
    headerSection(ctx).filter((l) => l.startsWith('X-Tag')),
    ['X-Tag: c'],
  );
  t.is(headerSection(ctx).at(-1), 'X-Tag: c');
  t.is(await callKsr(hdr, 'rminsert', ctx, 'Accept', 'Accept: text/plain\r\n'), 1);
  t.is(headerSection(ctx)[0], 'Accept: text/plain');
  t.is(headerSection(ctx).filter((l) => l.startsWith('Accept')).length, 1);
});

test('is_present is an int (1 / -1) and knows compact forms', async (t) => {
  const ctx = makeCtx(OPTIONS.replace('Via:', 'v:'));
  t.is(await callKsr(hdr, 'is_present', ctx, 'Via'), 1);
  t.is(await callKsr(hdr, 'is_present', ctx, 'v'), 1);
  t.is(await callKsr(hdr, 'is_present', ctx, 'x-tag'), 1);
  t.is(await callKsr(hdr, 'is_present', ctx, 'X-Nope'), -1);
});

test('get / gete / getw and the _idx variants', async (t) => {
  const ctx = makeCtx(OPTIONS);
  t.is(await callKsr(hdr, 'get', ctx, 'X-Tag'), 'a');
  t.is(await callKsr(hdr, 'get', ctx, 'call-id'), 'a84b4c76e66710');
  t.is(await callKsr(hdr, 'get', ctx, 'i'), 'a84b4c76e66710');
  t.is(await callKsr(hdr, 'get', ctx, 'X-Nope'), null);
  t.is(await callKsr(hdr, 'gete', ctx, 'X-Nope'), '');
  t.is(await callKsr(hdr, 'getw', ctx, 'X-Nope'), '<null>');
  t.is(await callKsr(hdr, 'get_idx', ctx, 'X-Tag', 1), 'b');
  t.is(await callKsr(hdr, 'get_idx', ctx, 'X-Tag', -1), 'b');
  t.is(await callKsr(hdr, 'get_idx', ctx, 'X-Tag', -2), 'a');
  t.is(await callKsr(hdr, 'get_idx', ctx, 'X-Tag', 2), null);
  t.is(await callKsr(hdr, 'get_idx', ctx, 'X-Tag', -3), null);
  t.is(await callKsr(hdr, 'gete_idx', ctx, 'X-Tag', 5), '');
  t.is(await callKsr(hdr, 'getw_idx', ctx, 'X-Tag', 5), '<null>');
});

test('UTF-8 header text is stored as its octets', async (t) => {
  const ctx = makeCtx(OPTIONS);
  t.is(await callKsr(hdr, 'append', ctx, 'Subject: café\r\n'), 1);
  t.true(ctx.msg.serialize().includes(Buffer.from('Subject: café\r\n', 'utf8')));
  t.is(await callKsr(hdr, 'get', ctx, 'Subject'), 'café');
});

test('a lone CR inside header text is refused before anything changes', async (t) => {
  const ctx = makeCtx(OPTIONS);
  const before = wire(ctx);
  t.is(await callKsr(hdr, 'append', ctx, 'X-Ok: 1\r\nX-Bad: a\rb\r\n'), -1);
  t.is(wire(ctx), before);
});
