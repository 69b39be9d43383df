import test from 'ava';
import { canonicalName, COMPACT_FORMS, isListHeader, lnameOf } from './headers.ts';
import { splitList } from './lex.ts';
import { fromScriptText, toScriptText } from './text.ts';

test('compact forms map to full names', (t) => {
  const expect: Record<string, string> = {
    i: 'call-id',
    m: 'contact',
    e: 'content-encoding',
    l: 'content-length',
    c: 'content-type',
    f: 'from',
    s: 'subject',
    k: 'supported',
    t: 'to',
    v: 'via',
    o: 'event',
    r: 'refer-to',
    u: 'allow-events',
    x: 'session-expires',
    y: 'identity',
    a: 'accept-contact',
    b: 'referred-by',
    d: 'request-disposition',
    j: 'reject-contact',
    n: 'identity-info',
  };
  t.deepEqual(COMPACT_FORMS, expect);
  t.is(lnameOf('V'), 'via');
  t.is(lnameOf('CALL-ID'), 'call-id');
  t.is(lnameOf('X-Custom'), 'x-custom');
  t.is(lnameOf('q'), 'q');
});

test('canonical spellings', (t) => {
  t.is(canonicalName('i'), 'Call-ID');
  t.is(canonicalName('cseq'), 'CSeq');
  t.is(canonicalName('www-authenticate'), 'WWW-Authenticate');
  t.is(canonicalName('record-route'), 'Record-Route');
  t.is(canonicalName('l'), 'Content-Length');
});

test('list headers', (t) => {
  for (const h of [
    'via',
    'contact',
    'route',
    'record-route',
    'allow',
    'supported',
    'require',
    'proxy-require',
    'unsupported',
    'accept',
    'path',
    'service-route',
    'allow-events',
  ])
    t.true(isListHeader(h), h);
  for (const h of [
    'www-authenticate',
    'authorization',
    'proxy-authenticate',
    'proxy-authorization',
    'date',
    'call-id',
    'x-unknown',
  ])
    t.false(isListHeader(h), h);
});

test('splitList respects quotes and <>', (t) => {
  t.deepEqual(splitList('a, "b,c" <sip:x;p=1,2>, d'), ['a', '"b,c" <sip:x;p=1,2>', 'd']);
  t.deepEqual(splitList(' a ,, b ,'), ['a', 'b']);
  t.deepEqual(splitList('a,,b', true), ['a', '', 'b']);
  t.deepEqual(splitList('"a\\",b", c'), ['"a\\",b"', 'c']);
  t.is(splitList('"open, x'), null);
});

test('script text conversion round-trips octets', (t) => {
  const binary = Buffer.from('Grüße ☎', 'utf8').toString('latin1');
  t.is(toScriptText(binary), 'Grüße ☎');
  t.is(fromScriptText('Grüße ☎'), binary);
  t.is(toScriptText('plain'), 'plain');
  t.is(toScriptText('\u0000'), '\u0000');
});
