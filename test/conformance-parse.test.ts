/**
 * RFC 4475 / RFC 5118 torture messages through the parser, against shared/conformance's
 * MANIFEST.tsv verdicts. Where the manifest leaves a choice, KNOWN_VERDICTS says what we
 * do and why (one reason per file).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseMessage } from '../core/sip/parser.ts';
import { SipParseError } from '../core/sip/errors.ts';
import type { SipMessage } from '../core/sip/types.ts';

const ROOT = process.env['POLYSIP_CONFORMANCE_DIR']
  ? process.env['POLYSIP_CONFORMANCE_DIR'].replace(/\/?$/, '/')
  : fileURLToPath(new URL('../../shared/conformance/', import.meta.url));

interface Row {
  set: 'rfc4475' | 'rfc5118';
  file: string;
  verdict: string;
  note: string;
}

function manifest(set: Row['set']): Row[] {
  return readFileSync(`${ROOT}${set}/MANIFEST.tsv`, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [file, , verdict, note] = l.split('\t');
      return { set, file: file!, verdict: verdict!, note: note ?? '' };
    });
}

/**
 * RFC 5118 archive bytes use bare LF and two carry a wrong Content-Length. The parser takes
 * CRLF only (RFC 3261 §7), so convert as the manifest says: LF → CRLF, close the header
 * section, recompute Content-Length from the converted body.
 */
function rfc5118ToWire(raw: Buffer): Buffer {
  const s = raw.toString('latin1');
  const sep = s.indexOf('\n\n');
  const headText = sep < 0 ? s.replace(/\n*$/, '\n') : s.slice(0, sep + 1);
  const body = sep < 0 ? '' : s.slice(sep + 2).replace(/\n/g, '\r\n');
  const head = headText
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (/^(content-length|l)\s*:/i.test(l) ? `Content-Length: ${body.length}` : l))
    .join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
}

function load(row: Row): Buffer {
  const raw = readFileSync(`${ROOT}${row.set}/${row.file}`);
  return row.set === 'rfc5118' ? rfc5118ToWire(raw) : raw;
}

type Outcome = { ok: true; msg: SipMessage } | { ok: false; err: SipParseError };

function run(data: Buffer): Outcome {
  try {
    return { ok: true, msg: parseMessage(data) };
  } catch (e) {
    if (e instanceof SipParseError) return { ok: false, err: e };
    throw e;
  }
}

/** Our choice for every verdict that allows more than one answer. */
const KNOWN_VERDICTS: Record<string, { expect: 'parse' | 400; why: string }> = {
  'lwsstart.dat': { expect: 400, why: 'strict Request-Line: exactly one SP between elements' },
  'trws.dat': { expect: 400, why: 'strict Request-Line: nothing after SIP-Version' },
  'escruri.dat': {
    expect: 400,
    why: 'RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI',
  },
  'baddate.dat': {
    expect: 'parse',
    why: 'Date is never parsed by the message layer; it stays opaque',
  },
  'regbadct.dat': {
    expect: 'parse',
    why: 'Contact is parsed on demand; the addr-spec with ?headers is unambiguous',
  },
  'badaspec.dat': { expect: 'parse', why: 'LWS just inside <> is trimmed (liberal, unambiguous)' },
  'baddn.dat': {
    expect: 400,
    why: 'no empty line ends the header section (archive bytes), and unquoted display names with commas',
  },
  // semantic-400 files: the parser already knows enough to answer 400 itself.
  'insuf.dat': {
    expect: 400,
    why: 'missing Call-ID/From/To is a parse-level 400 (nothing to build a transaction from)',
  },
  'multi01.dat': { expect: 400, why: 'duplicate single-value headers are refused by the parser' },
  'mcl01.dat': { expect: 400, why: 'conflicting Content-Length makes framing unknowable' },
};

const rows = [...manifest('rfc4475'), ...manifest('rfc5118')];

test('the manifests list every corpus file (50 + 12)', (t) => {
  t.is(rows.filter((r) => r.set === 'rfc4475').length, 50);
  t.is(rows.filter((r) => r.set === 'rfc5118').length, 12);
});

for (const row of rows) {
  test(`${row.set}/${row.file} → ${row.verdict}`, (t) => {
    const out = run(load(row));
    const known = KNOWN_VERDICTS[row.file];
    const v = row.verdict;
    if (known) {
      if (known.expect === 'parse') t.true(out.ok, known.why);
      else {
        t.false(out.ok, known.why);
        if (!out.ok) t.is(out.err.status, known.expect);
      }
    } else if (
      v === 'valid' ||
      v === 'valid-tolerate' ||
      v === 'valid-rfc2543' ||
      v.startsWith('semantic-')
    ) {
      t.true(out.ok, out.ok ? '' : `${out.err.status} ${out.err.reason}`);
    } else if (v === 'reject-400' || v === 'reject-505' || v === 'reject-501') {
      t.false(out.ok);
      if (!out.ok) {
        t.is(out.err.status, Number(v.slice(-3)));
        t.is(out.err.code, 'POLYSIP_ERR_SIP_PARSE');
        t.true(out.err.reason.length > 0);
        t.false(/[\r\n"]/.test(out.err.reason), 'reason fits in a Warning header');
        t.is(out.err.partial.isRequest, true);
      }
    } else if (v === 'drop-response') {
      // bcast is well-formed; dropping it is a routing decision, not a parse error.
      if (out.ok) t.is(row.file, 'bcast.dat');
      else t.is(out.err.status, 0);
    } else if (v === 'reject-400-or-liberal') {
      t.fail(`no KNOWN_VERDICTS entry for ${row.file}`);
    } else t.fail(`unknown verdict ${v}`);
    if (out.ok) exerciseLazy(out.msg);
  });
}

/** Every on-demand accessor works on what parsed, and serialization is stable. */
function exerciseLazy(m: SipMessage): void {
  if (m.isRequest) m.ruriParsed();
  m.vias();
  m.from();
  m.to();
  for (const h of m.headerFields()) m.headerValues(h.name);
  const wire = m.serialize();
  const again = parseMessage(wire);
  if (!again.serialize().equals(wire)) throw new Error('serialize is not stable');
}

function parse(file: string, set: Row['set'] = 'rfc4475'): SipMessage {
  return parseMessage(load({ set, file, verdict: '', note: '' }));
}

function parseError(file: string): SipParseError {
  const out = run(load({ set: 'rfc4475', file, verdict: '', note: '' }));
  if (out.ok) throw new Error(`${file} parsed`);
  return out.err;
}

test('wsinv: folding, compact names, odd case, leading zeros, 3 Vias', (t) => {
  const m = parse('wsinv.dat');
  t.is(m.maxForwards, 68);
  t.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
  t.is(m.vias().length, 3);
  t.deepEqual(
    m.vias().map((v) => [v.transport, v.host, v.branch]),
    [
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ],
  );
  t.is(m.toTag, '1918181833n');
  t.is(m.fromTag, '98asjd8');
  t.is(m.from()!.displayName, 'J Rosenberg \\"');
  t.is(m.header('Subject'), '');
  t.is(m.header('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  t.is(m.header('NewFangledHeader'), 'newfangled value continued newfangled value');
  t.is(m.contacts()[0]!.displayName, 'Quoted string ""');
  t.deepEqual(
    m.contacts()[0]!.params.map((p) => p.name),
    ['newparam', 'secondparam', 'q'],
  );
  t.is(m.body.length, 150);
  t.deepEqual(m.ruriParsed().params, [{ name: 'unknownparam', value: null }]);
});

test('intmeth: extension method, NUL and UTF-8 bytes survive', (t) => {
  const m = parse('intmeth.dat');
  t.is(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  t.true(m.to()!.displayName!.includes('\u0000'));
  t.true(
    m.serialize().equals(load({ set: 'rfc4475', file: 'intmeth.dat', verdict: '', note: '' })),
  );
});

test('esc01: URI components unescaped once', (t) => {
  const m = parse('esc01.dat');
  t.is(m.ruriParsed().user, 'sips:user@example.com');
  t.is(m.to()!.uri.user, 'user');
  t.is(m.from()!.uri.user, 'I have spaces');
  const c = m.contacts()[0]!;
  t.deepEqual(c.uri.params, [
    { name: 'lr', value: null },
    { name: 'name', value: 'value%41' },
  ]);
});

test('escnull: %00 becomes a kept NUL, never a truncation', (t) => {
  const m = parse('escnull.dat');
  t.is(m.to()!.uri.user, 'null-\u0000-null');
  t.deepEqual(
    m.contacts().map((c) => c.uri.user),
    ['\u0000', '\u0000\u0000'],
  );
});

test('esc02: RE%47IST%45R is an unknown method; C%6Fntact is not Contact', (t) => {
  const m = parse('esc02.dat');
  t.is(m.method, 'RE%47IST%45R');
  t.is(m.contacts().length, 2);
  t.is(m.from()!.displayName, '%Z%45');
  t.true(m.hasHeader('C%6Fntact'));
});

test('lwsdisp: token display name directly before <', (t) => {
  t.is(parse('lwsdisp.dat').from()!.displayName, 'caller');
});

test('longreq: 34 Via values, long fields', (t) => {
  const m = parse('longreq.dat');
  t.is(m.vias().length, 34);
  t.is(m.body.length, 150);
  t.true(m.fromTag!.length > 100);
});

test('dblreq: Content-Length 0, trailing octets of the datagram ignored', (t) => {
  const raw = load({ set: 'rfc4475', file: 'dblreq.dat', verdict: '', note: '' });
  const m = parseMessage(raw);
  t.is(m.method, 'REGISTER');
  t.is(m.body.length, 0);
  const wire = m.serialize();
  t.true(wire.length < raw.length);
  t.false(wire.toString('latin1').includes('INVITE'));
});

test('semiuri: ; inside the user part', (t) => {
  const u = parse('semiuri.dat').ruriParsed();
  t.is(u.user, 'user;par=u@example.net');
  t.is(u.host, 'example.com');
  t.deepEqual(u.params, []);
});

test('transports: unknown transport token kept', (t) => {
  t.deepEqual(
    parse('transports.dat')
      .vias()
      .map((v) => v.transport),
    ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
  );
});

test('mpart01: binary body framed by Content-Length, bytes intact', (t) => {
  const raw = load({ set: 'rfc4475', file: 'mpart01.dat', verdict: '', note: '' });
  const m = parseMessage(raw);
  t.is(m.body.length, 553);
  t.true(m.body.equals(raw.subarray(raw.length - 553)));
  t.true(m.body.includes(0));
});

test('unreason / noreason: reason phrases', (t) => {
  t.true(parse('unreason.dat').reason.startsWith('= 2**3 * 5**2'));
  const n = parse('noreason.dat');
  t.is(n.status, 100);
  t.is(n.reason, '');
});

test('cparam01/cparam02: header param vs URI param', (t) => {
  const a = parse('cparam01.dat').contacts()[0]!;
  t.deepEqual(a.params, [{ name: 'unknownparam', value: null }]);
  t.deepEqual(a.uri.params, []);
  t.false(a.bracketed);
  const b = parse('cparam02.dat').contacts()[0]!;
  t.deepEqual(b.params, []);
  t.deepEqual(b.uri.params, [{ name: 'unknownparam', value: null }]);
});

test('regescrt: escaped header kept inside the Contact URI', (t) => {
  const c = parse('regescrt.dat').contacts()[0]!;
  t.deepEqual(c.uri.headers, [{ name: 'Route', value: '<sip:sip.example.com>' }]);
});

test('unkscm / novelsc / unksm2: unknown schemes are opaque', (t) => {
  const u = parse('unkscm.dat').ruriParsed();
  t.is(u.scheme, 'nobodyknowsthisscheme');
  t.is(u.opaque, 'totallyopaquecontent');
  t.is(parse('novelsc.dat').ruriParsed().scheme, 'soap.beep');
  const m = parse('unksm2.dat');
  t.is(m.to()!.uri.scheme, 'isbn');
  t.is(m.from()!.uri.scheme, 'http');
});

test('inv2543: no Content-Length over UDP → body is the rest of the datagram', (t) => {
  const m = parse('inv2543.dat');
  t.is(m.body.length, 105);
  t.is(m.fromTag, null);
  t.is(m.topVia!.branch, null);
  t.is(m.maxForwards, null);
  // Serialization adds the Content-Length a stream would need.
  t.true(m.serialize().toString('latin1').includes('Content-Length: 105\r\n'));
});

test('inv2543 over a stream → 400 Missing Content-Length', (t) => {
  const raw = load({ set: 'rfc4475', file: 'inv2543.dat', verdict: '', note: '' });
  const e = t.throws(() => parseMessage(raw, { stream: true }));
  t.is((e as SipParseError).status, 400);
  t.regex((e as SipParseError).reason, /Content-Length/);
});

test('zeromf: Max-Forwards 0 parses', (t) => {
  t.is(parse('zeromf.dat').maxForwards, 0);
});

test('badbranch: bare magic cookie branch parses', (t) => {
  t.is(parse('badbranch.dat').topVia!.branch, 'z9hG4bK');
});

test('reject reasons name the fault', (t) => {
  t.regex(parseError('clerr.dat').reason, /Content-Length/);
  t.regex(parseError('ncl.dat').reason, /Content-Length/);
  t.regex(parseError('mcl01.dat').reason, /Content-Length/);
  t.regex(parseError('scalar02.dat').reason, /CSeq/);
  t.regex(parseError('quotbal.dat').reason, /quote/i);
  t.regex(parseError('badinv01.dat').reason, /Via/);
  t.regex(parseError('ltgtruri.dat').reason, /Request-URI/);
  t.regex(parseError('test.dat').reason, /version/i);
  t.regex(parseError('mismatch01.dat').reason, /CSeq/);
  t.regex(parseError('multi01.dat').reason, /Duplicate/);
  t.regex(parseError('insuf.dat').reason, /Missing/);
});

test('partial headers let the server answer a broken request', (t) => {
  const p = parseError('quotbal.dat').partial;
  t.is(p.isRequest, true);
  t.is(p.vias.length, 1);
  t.truthy(p.callId);
  t.truthy(p.cseq);
  t.truthy(p.from);
  t.truthy(p.to);
});

test('rfc5118: IPv6 references', (t) => {
  t.is(parse('ipv6-good.dat', 'rfc5118').ruriParsed().host, '[2001:db8::10]');
  const amb = parse('port-ambiguous.dat', 'rfc5118').ruriParsed();
  t.is(amb.host, '[2001:db8::10:5070]');
  t.is(amb.port, null);
  const un = parse('port-unambiguous.dat', 'rfc5118').ruriParsed();
  t.is(un.host, '[2001:db8::10]');
  t.is(un.port, 5070);
  const nd = parse('via-received-param-no-delim.dat', 'rfc5118').topVia!;
  t.is(nd.branch, 'z9hG4bKas3');
  t.is(nd.received, '2001:db8::9:255');
  const wd = parse('via-received-param-with-delim.dat', 'rfc5118').topVia!;
  t.is(wd.received, '2001:db8::9:255');
  t.is(parse('ipv4-mapped-ipv6.dat', 'rfc5118').topVia!.host, '[::ffff:192.0.2.10]');
  const mult = parse('mult-ip-in-header.dat', 'rfc5118').vias();
  t.deepEqual(
    mult.map((v) => [v.host, v.port]),
    [
      ['[2001:db8::9:1]', 6050],
      ['192.0.2.1', null],
      ['[2001:db8::9:255]', null],
    ],
  );
  t.is(mult[2]!.received, '192.0.2.200');
  t.is(parse('ipv6-bug-abnf-3-colons.dat', 'rfc5118').ruriParsed().host, '[2001:db8:::192.0.2.1]');
});

test('rfc5118 ipv6-bad: unbracketed IPv6 Request-URI → 400', (t) => {
  const e = t.throws(() => parse('ipv6-bad.dat', 'rfc5118')) as SipParseError;
  t.is(e.status, 400);
  t.regex(e.reason, /IPv6/);
});

test('rfc5118 archive bytes as-is (bare LF) are refused, never crash', (t) => {
  const raw = readFileSync(`${ROOT}rfc5118/ipv6-good.dat`);
  const e = t.throws(() => parseMessage(raw)) as SipParseError;
  t.is(e.status, 400);
});
