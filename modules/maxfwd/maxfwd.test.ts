import { readFileSync } from 'node:fs';
import test from 'ava';
import { callKsr, makeCtx, wire } from '../testkit.ts';
import { module as maxfwd } from './index.ts';

function options(mf: string | null): string {
  return [
    'OPTIONS sip:carol@chicago.example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877',
    ...(mf === null ? [] : [`Max-Forwards: ${mf}`]),
    'To: <sip:carol@chicago.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710',
    'CSeq: 63104 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

test('process_maxfwd decrements and rewrites the header in place', async (t) => {
  const ctx = makeCtx(options('70'));
  t.is(await callKsr(maxfwd, 'process_maxfwd', ctx, 10), 1);
  t.is(ctx.msg.maxForwards, 69);
  t.is(wire(ctx), options('69'));
});

test('process_maxfwd adds Max-Forwards: limit on top when missing and returns 2', async (t) => {
  const ctx = makeCtx(options(null));
  t.is(await callKsr(maxfwd, 'process_maxfwd', ctx, 10), 2);
  const w = wire(ctx);
  t.true(w.startsWith('OPTIONS sip:carol@chicago.example.com SIP/2.0\r\nMax-Forwards: 10\r\nVia:'));
});

test('process_maxfwd returns -1 at 0 and leaves the message alone', async (t) => {
  const ctx = makeCtx(options('0'));
  t.is(await callKsr(maxfwd, 'process_maxfwd', ctx, 10), -1);
  t.is(wire(ctx), options('0'));
});

test('process_maxfwd caps values above max_limit (70) before decrementing', async (t) => {
  const ctx = makeCtx(options('200'));
  t.is(await callKsr(maxfwd, 'process_maxfwd', ctx, 10), 1);
  t.is(ctx.msg.maxForwards, 70);
  const ctx2 = makeCtx(options('1'));
  t.is(await callKsr(maxfwd, 'process_maxfwd', ctx2, 10), 1);
  t.is(ctx2.msg.maxForwards, 0);
});

test('process_maxfwd rejects a bad limit', async (t) => {
  const ctx = makeCtx(options('70'));
  t.is(await callKsr(maxfwd, 'process_maxfwd', ctx, 300), -1);
  t.is(ctx.msg.maxForwards, 70);
});

test('RFC 4475 zeromf: Max-Forwards 0 means the proxy answers 483', async (t) => {
  const ctx = makeCtx(
    readFileSync(new URL('../../../shared/conformance/rfc4475/zeromf.dat', import.meta.url)),
  );
  t.is(await callKsr(maxfwd, 'process_maxfwd', ctx, 10), -1);
});

test('is_maxfwd_lt', async (t) => {
  t.is(await callKsr(maxfwd, 'is_maxfwd_lt', makeCtx(options('3')), 5), 1);
  t.is(await callKsr(maxfwd, 'is_maxfwd_lt', makeCtx(options('5')), 5), -1);
  t.is(await callKsr(maxfwd, 'is_maxfwd_lt', makeCtx(options('70')), 5), -1);
  t.is(await callKsr(maxfwd, 'is_maxfwd_lt', makeCtx(options(null)), 5), -2);
});
