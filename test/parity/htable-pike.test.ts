/**
 * htable and pike KSR functions from Lua, Python and JS (in each placement the parity suite
 * runs): the KSR case script (test/ksr/cases.{lua,py,js}) answers a real UDP request
 * on 127.0.0.1 with a reason phrase carrying what it observed, and that phrase must be the same
 * bytes in every language; the server-side tables and the pike tracker must hold what the
 * script stored, whatever the placement.
 *
 * The built-in htable and pike modules are process-wide, so each run works on its own table
 * (`t_<label>`) and its own addresses (192.0.2.N, 2001:db8::N: only strings, never sent to).
 */
import test from 'ava';
import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';
import { startPolysip, type Polysip } from '../../bin/app.ts';
import { module as htable } from '../../modules/htable/index.ts';
import { pikeRpc } from '../../modules/pike/rpc.ts';
import { ksrScript, parityRuns, type ParityRun } from './langs.ts';

/** A UA on 127.0.0.1 that sends one request per case and returns the final reply's status line. */
class Ua {
  readonly #inbox: string[] = [];
  #seq = 0;
  private constructor(
    readonly sock: Socket,
    readonly port: number,
    readonly label: string,
  ) {
    sock.on('message', (m) => this.#inbox.push(m.toString('latin1')));
  }

  static async open(label: string): Promise<Ua> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    return new Ua(s, s.address().port, label);
  }

  async ask(serverPort: number, name: string, headers: readonly string[]): Promise<string> {
    const seq = ++this.#seq;
    const callId = `hp-${this.label}-${name}-${seq}@127.0.0.1`;
    const msg = [
      `OPTIONS sip:case@127.0.0.1:${serverPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-hp-${this.label}-${seq};rport`,
      'Max-Forwards: 70',
      `From: <sip:tester@127.0.0.1>;tag=hp${seq}`,
      `To: <sip:case@127.0.0.1:${serverPort}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
      `X-Case: ${name}`,
      ...headers,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    this.sock.send(Buffer.from(msg, 'latin1'), serverPort, '127.0.0.1');
    const deadline = Date.now() + 5000;
    for (;;) {
      const got = this.#inbox.find((m) => m.includes(callId) && !m.startsWith('SIP/2.0 1'));
      if (got) return got.split('\r\n')[0]!;
      if (Date.now() > deadline) return '(no reply)';
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.sock.close();
  }
}

function defineRun(run: ParityRun, index: number): void {
  const { label, placement } = run;
  const T = `t_${label.replace(/-/g, '_')}`;
  const ip4 = `192.0.2.${index + 1}`;
  const ip6 = `2001:db8::${index + 1}`;
  const title = (s: string) => `[${label}] ${s}`;
  let app: Polysip | undefined;
  let ua: Ua | undefined;
  const ask = (name: string, headers: readonly string[] = [`X-Table: ${T}`]) =>
    ua!.ask(app!.listeners[0]!.port, name, headers);

  test.before(async () => {
    app = await startPolysip({
      listen: ['udp:127.0.0.1:0'],
      script: ksrScript('cases', run.lang),
      placement,
      allowDestinations: ['127.0.0.0/8'],
      log: pino({ level: 'warn' }),
    });
    ua = await Ua.open(label);
  });
  test.after.always(async () => {
    ua?.close();
    await app?.stop();
  });

  test.serial(title('sht_get/gete/getw, sets/seti, inc/dec, is_null, setx*, $sht'), async (t) => {
    t.is(
      await ask('sht_rw'),
      'SIP/2.0 200 1 1 x 5 number nil [] <null> 6 5 4 1 -1 1 1 1 1 -255 y 5',
    );
    const tbl = htable.htables.table(T);
    t.is(tbl.get('n'), 4, 'the server-side table holds what the script stored');
    t.is(tbl.get('pv'), 'y');
    t.is(tbl.get('exi'), 7);
    t.true(tbl.item('ex')!.expires > 0, 'sht_setxs gave the item an expiry');
  });

  test.serial(title('sht_match_name, sht_has_name, sht_match_str_value, sht_cn'), async (t) => {
    t.is(await ask('sht_match'), 'SIP/2.0 200 1 -1 1 -1 1 1 1 1 2 1 0 -1');
  });

  test.serial(
    title('sht_rm, sht_rm_name_re, sht_rm_value_re, sht_rm_name/value, sht_reset'),
    async (t) => {
      t.is(
        await ask('sht_remove', [`X-Table: ${T}_r`]),
        'SIP/2.0 200 1 nil 1 1 nil nil 1 nil nil 1 1 nil -1 val-keep 1 1 0',
      );
    },
  );

  test.serial(
    title('sht_lock is re-entrant in one route; sht_unlock of a free slot is -1'),
    async (t) => {
      t.is(await ask('sht_lock'), 'SIP/2.0 200 1 1 1 1 -1');
    },
  );

  test.serial(title('a later request sees what an earlier one stored'), async (t) => {
    t.is(await ask('sht_persist', [`X-Table: ${T}_p`]), 'SIP/2.0 200 nil 1');
    t.is(await ask('sht_persist', [`X-Table: ${T}_p`]), 'SIP/2.0 200 1 2');
    t.is(htable.htables.table(`${T}_p`).get('hits'), 2);
  });

  test.serial(
    title('pike_check_ip / pike_check_req return as Kamailio; pike.top lists the source'),
    async (t) => {
      for (const ip of [ip4, ip6]) {
        t.is(await ask('pike', [`X-IP: ${ip}`]), 'SIP/2.0 200 1x29 -2x1 -1x2 req=1 bad=-3', ip);
        const hot = (pikeRpc['pike.top']!([]) as { ip: string }[]).map((e) => e.ip);
        t.true(hot.includes(ip), `${ip} in ${hot.join(' ')}`);
      }
    },
  );
}

parityRuns().forEach((run, i) => defineRun(run, i));
