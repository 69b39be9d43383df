import test from 'ava';
import { frameStream } from './framing.ts';

const MSG =
  'OPTIONS sip:a@x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length : 5\r\nCall-ID: c\r\n\r\nhello';

test('one complete message, then the next one', (t) => {
  const buf = Buffer.from(MSG + MSG.slice(0, 20), 'latin1');
  t.deepEqual(frameStream(buf, 65536), { kind: 'message', start: 0, end: MSG.length });
  t.deepEqual(frameStream(buf.subarray(MSG.length), 65536), { kind: 'incomplete' });
});

test('incomplete header section or body', (t) => {
  t.deepEqual(frameStream(Buffer.from(MSG.slice(0, MSG.length - 1)), 65536), {
    kind: 'incomplete',
  });
  t.deepEqual(frameStream(Buffer.from(MSG.slice(0, 30)), 65536), { kind: 'incomplete' });
  t.deepEqual(frameStream(Buffer.alloc(0), 65536), { kind: 'incomplete' });
  t.deepEqual(frameStream(Buffer.from('\r'), 65536), { kind: 'incomplete' });
});

test('CRLF keepalives (RFC 5626) are reported before any message', (t) => {
  t.deepEqual(frameStream(Buffer.from('\r\n\r\n'), 65536), { kind: 'keepalive', end: 4 });
  t.deepEqual(frameStream(Buffer.from('\r\n' + MSG), 65536), { kind: 'keepalive', end: 2 });
  t.deepEqual(frameStream(Buffer.from('\r\n\r'), 65536), { kind: 'keepalive', end: 2 });
});

test('compact l:, folded value, any case', (t) => {
  const m = 'BYE sip:a@x SIP/2.0\r\nL:\r\n 3\r\n\r\nabc';
  t.deepEqual(frameStream(Buffer.from(m), 65536), { kind: 'message', start: 0, end: m.length });
});

test('framing errors', (t) => {
  const bad = (cl: string) =>
    frameStream(Buffer.from(MSG.replace('Content-Length : 5', cl)), 65536);
  t.deepEqual(bad('X-No: 1'), { kind: 'error', reason: 'Missing Content-Length' });
  t.deepEqual(bad('Content-Length: -5'), { kind: 'error', reason: 'Bad Content-Length' });
  t.deepEqual(bad('Content-Length: five'), { kind: 'error', reason: 'Bad Content-Length' });
  t.deepEqual(bad('Content-Length: 5\r\nl: 6'), {
    kind: 'error',
    reason: 'Conflicting Content-Length',
  });
  t.deepEqual(bad('Content-Length: 99999999999999999999'), {
    kind: 'error',
    reason: 'Message too large',
  });
  t.deepEqual(frameStream(Buffer.from(MSG), 40), { kind: 'error', reason: 'Message too large' });
  t.deepEqual(frameStream(Buffer.alloc(100, 0x41), 100), {
    kind: 'error',
    reason: 'Message too large',
  });
  t.deepEqual(bad('Content-Length: 5\r\nContent-Length: 5'), {
    kind: 'message',
    start: 0,
    end: MSG.length + 18,
  });
});
