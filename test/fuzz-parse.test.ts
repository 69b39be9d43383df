/**
 * Mutation fuzzing of the parser over the well-formed RFC 4475/5118 messages: nothing but
 * SipParseError may escape, and whatever parses must survive parse → serialize → parse.
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseMessage } from '../core/sip/parser.ts';
import { frameStream } from '../core/sip/framing.ts';
import type { SipMessage } from '../core/sip/types.ts';

const ROOT = process.env['POLYSIP_CONFORMANCE_DIR']
  ? process.env['POLYSIP_CONFORMANCE_DIR'].replace(/\/?$/, '/')
  : fileURLToPath(new URL('../../shared/conformance/', import.meta.url));

function corpus(): Buffer[] {
  const out: Buffer[] = [];
  for (const set of ['rfc4475', 'rfc5118']) {
    const rows = readFileSync(`${ROOT}${set}/MANIFEST.tsv`, 'utf8').split('\n').slice(1);
    for (const row of rows) {
      const [file, , verdict] = row.split('\t');
      if (!file || !verdict || verdict.startsWith('reject') || verdict === 'drop-response')
        continue;
      let raw = readFileSync(`${ROOT}${set}/${file}`);
      // RFC 5118 archive files use bare LF: give the fuzzer CRLF versions as well.
      if (set === 'rfc5118')
        raw = Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
      out.push(raw);
    }
  }
  return out;
}

const SEEDS = corpus();

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'dupLine'; at: number };

const INTERESTING = [
  0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x25, 0x2c, 0x3a, 0x3b, 0x3c, 0x3e, 0x40, 0x5b, 0x5d, 0x5c,
  0xff,
];
const byteArb = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 }));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: byteArb }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.array(byteArb, { minLength: 1, maxLength: 32 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dupLine' as const), at: fc.nat() }),
);

function apply(buf: Buffer, m: Mutation): Buffer {
  const at = buf.length === 0 ? 0 : m.at % buf.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(buf);
      if (out.length > 0) out[at] = m.byte;
      return out;
    }
    case 'insert':
      return Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
    case 'delete':
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
    case 'truncate':
      return buf.subarray(0, at);
    case 'dupLine': {
      const s = buf.lastIndexOf('\n', at) + 1;
      const e = buf.indexOf('\n', at);
      if (e < 0) return buf;
      return Buffer.concat([buf.subarray(0, e + 1), buf.subarray(s, e + 1), buf.subarray(e + 1)]);
    }
  }
}

const inputArb = fc
  .tuple(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([i, muts]) => muts.reduce((b, m) => apply(b, m), SEEDS[i]!));

function tryParse(data: Buffer, stream = false): SipMessage | null {
  try {
    return parseMessage(data, { stream });
  } catch (e) {
    if ((e as { code?: string }).code === 'POLYSIP_ERR_SIP_PARSE') return null;
    throw e;
  }
}

function summary(m: SipMessage): unknown {
  return {
    isRequest: m.isRequest,
    method: m.method,
    ruri: m.ruri,
    status: m.status,
    reason: m.reason,
    callId: m.callId,
    cseq: m.cseq,
    headers: m
      .headerFields()
      .filter((h) => h.lname !== 'content-length')
      .map((h) => [h.name, h.value]),
    body: m.body.toString('latin1'),
  };
}

test('the corpus has the well-formed messages', (t) => {
  t.true(SEEDS.length >= 40);
});

test('mutated messages: only SipParseError, and parse∘serialize is stable', (t) => {
  let parsed = 0;
  fc.assert(
    fc.property(inputArb, (data) => {
      const m = tryParse(data);
      if (!m) return;
      parsed++;
      // Lazy accessors may refuse garbage, but only with SipParseError.
      for (const f of [
        () => m.vias(),
        () => m.contacts(),
        () => m.routes(),
        () => m.recordRoutes(),
        () => m.from(),
      ]) {
        try {
          f();
        } catch (e) {
          if ((e as { code?: string }).code !== 'POLYSIP_ERR_SIP_PARSE') throw e;
        }
      }
      const wire = m.serialize();
      const again = parseMessage(wire);
      t.deepEqual(summary(again), summary(m));
      t.true(again.serialize().equals(wire));
    }),
    { numRuns: 2000, seed: 4475 },
  );
  t.true(parsed > 50, `only ${parsed} mutated messages parsed`);
});

test('mutated streams: frameStream never throws and its frames stay in bounds', (t) => {
  fc.assert(
    fc.property(inputArb, (data) => {
      const r = frameStream(data, 8192);
      if (r.kind === 'message') {
        t.true(r.start >= 0 && r.end <= data.length && r.start < r.end);
        tryParse(data.subarray(r.start, r.end), true);
      } else if (r.kind === 'keepalive') t.true(r.end > 0 && r.end <= data.length);
    }),
    { numRuns: 1000, seed: 5626 },
  );
});
