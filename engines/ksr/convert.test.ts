import test from 'ava';
import fc from 'fast-check';
import { int, str, type KsrExport } from '../../core/api/registry.ts';
import {
  convertArgs,
  convertReturn,
  KsrArgumentError,
  KsrReturnError,
  type GuestArg,
} from './convert.ts';

const reply: Omit<KsrExport, 'impl'> = {
  module: 'sl',
  name: 'sl_send_reply',
  params: [int('code'), str('reason')],
  returns: 'int',
  doc: '',
};

function argError(args: GuestArg[], mode: 'coerce' | 'strict'): string {
  try {
    convertArgs(reply, args, mode);
  } catch (e) {
    if (e instanceof KsrArgumentError) {
      if (e.code !== 'POLYSIP_ERR_KSR_ARGUMENT') return 'bad code';
      return e.message;
    }
    throw e;
  }
  return 'no error';
}

test('coerce mode converts like lua_tointeger/lua_tostring', (t) => {
  t.deepEqual(convertArgs(reply, [404, 'Not Found'], 'coerce'), [404, 'Not Found']);
  t.deepEqual(convertArgs(reply, ['404', 404], 'coerce'), [404, '404']);
  t.deepEqual(convertArgs(reply, [' 0x1A ', 1.5], 'coerce'), [26, '1.5']);
  t.deepEqual(convertArgs(reply, ['-0x10', 'x'], 'coerce'), [-16, 'x']);
  t.deepEqual(convertArgs(reply, ['5.0', 'x'], 'coerce'), [5, 'x']);
  t.deepEqual(convertArgs(reply, [true, 'x'], 'coerce'), [1, 'x']);
  t.deepEqual(convertArgs(reply, [false, 'x'], 'coerce'), [0, 'x']);
  t.deepEqual(convertArgs(reply, [5n, 'x', 'extra'], 'coerce'), [5, 'x']);
});

test('uncoercible or missing arguments name the function and the argument', (t) => {
  t.is(
    argError(['abc', 'x'], 'coerce'),
    'KSR.sl.sl_send_reply: argument 1 (code) must be an int, got string "abc"',
  );
  t.is(
    argError([1.5, 'x'], 'coerce'),
    'KSR.sl.sl_send_reply: argument 1 (code) must be an int, got number 1.5',
  );
  t.is(
    argError(['5.5', 'x'], 'coerce'),
    'KSR.sl.sl_send_reply: argument 1 (code) must be an int, got string "5.5"',
  );
  t.is(
    argError([200], 'coerce'),
    'KSR.sl.sl_send_reply: argument 2 (reason) is missing (expected a string)',
  );
  t.is(
    argError([200, null], 'coerce'),
    'KSR.sl.sl_send_reply: argument 2 (reason) is missing (expected a string)',
  );
  t.is(
    argError([200, true], 'coerce'),
    'KSR.sl.sl_send_reply: argument 2 (reason) must be a string, got boolean true',
  );
  t.is(
    argError([200, { guestType: 'table' }], 'coerce'),
    'KSR.sl.sl_send_reply: argument 2 (reason) must be a string, got table',
  );
  t.is(
    argError([Infinity, 'x'], 'coerce'),
    'KSR.sl.sl_send_reply: argument 1 (code) must be an int, got number Infinity',
  );
});

test('strict mode refuses wrong types (Python)', (t) => {
  t.deepEqual(convertArgs(reply, [200, 'OK'], 'strict'), [200, 'OK']);
  t.deepEqual(convertArgs(reply, [true, 'OK'], 'strict'), [1, 'OK']); // bool is an int in Python
  t.is(
    argError(['200', 'OK'], 'strict'),
    'KSR.sl.sl_send_reply: argument 1 (code) must be an int, got string "200"',
  );
  t.is(
    argError([200, 5], 'strict'),
    'KSR.sl.sl_send_reply: argument 2 (reason) must be a string, got number 5',
  );
  t.is(
    argError([{ guestType: 'float' }, 'OK'], 'strict'),
    'KSR.sl.sl_send_reply: argument 1 (code) must be an int, got float',
  );
  t.is(argError([200, 'OK', 1], 'strict'), 'KSR.sl.sl_send_reply: takes 2 arguments, got 3');
});

test('any integer-valued number or numeric string is accepted for an int (property)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
      const [a] = convertArgs(reply, [String(n), 'x'], 'coerce');
      const [b] = convertArgs(reply, [n, 'x'], 'strict');
      return a === n && b === n;
    }),
  );
  t.pass();
});

test('return conversion keeps KEMI kinds exactly', (t) => {
  const d = (returns: 'int' | 'bool' | 'xval' | 'void') => ({ module: 't', name: 'f', returns });
  t.is(convertReturn(d('int'), -1, 'coerce'), -1);
  t.is(convertReturn(d('int'), 0, 'strict'), 0);
  t.is(convertReturn(d('bool'), true, 'coerce'), true);
  t.is(convertReturn(d('bool'), 1, 'coerce'), true);
  t.is(convertReturn(d('bool'), 0, 'strict'), false);
  t.is(convertReturn(d('xval'), undefined, 'coerce'), null);
  t.is(convertReturn(d('xval'), null, 'strict'), null);
  t.is(convertReturn(d('xval'), 'abc', 'coerce'), 'abc');
  t.is(convertReturn(d('xval'), 7, 'coerce'), 7);
  t.is(convertReturn(d('void'), 'ignored', 'coerce'), false);
  t.is(convertReturn(d('void'), undefined, 'strict'), 0);
  const e = t.throws(() => convertReturn(d('int'), true, 'coerce'), { instanceOf: KsrReturnError });
  t.is(e?.message, 'KSR.t.f: implementation returned boolean for an int export');
  t.throws(() => convertReturn(d('xval'), false, 'coerce'), { instanceOf: KsrReturnError });
  t.throws(() => convertReturn(d('bool'), 'yes', 'coerce'), { instanceOf: KsrReturnError });
});
