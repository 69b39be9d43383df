/**
 * The life of one non-INVITE server transaction over UDP, without a network: create it for
 * an already parsed REGISTER, reply 200 through it (builds and serializes the response, arms
 * Timer J, hands the bytes to a transport that drops them) and terminate it (cancels the
 * timer, removes it from the tables). Parsing is left out: sip.parse measures it.
 */
import type { ReceiveInfo } from '../../core/sip/types.ts';
import { parseMessage } from '../../core/sip/parser.ts';
import { TransactionLayer } from '../../core/transaction/layer.ts';
import { registerMicro } from '../micro.ts';

const REGISTER = Buffer.from(
  [
    'REGISTER sip:127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-bench-1;rport',
    'Max-Forwards: 70',
    'From: <sip:alice@127.0.0.1>;tag=a1',
    'To: <sip:alice@127.0.0.1>',
    'Call-ID: bench-tm-1@127.0.0.1',
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@127.0.0.1:5070>',
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'),
  'latin1',
);

const RCV: ReceiveInfo = {
  transport: 'udp',
  srcIp: '127.0.0.1',
  srcPort: 5070,
  dstIp: '127.0.0.1',
  dstPort: 5060,
  connectionId: null,
  receivedAt: 0,
};

let layer: TransactionLayer | null = null;

registerMicro({
  name: 'tm.transaction',
  description:
    'create a server transaction for a parsed REGISTER, reply 200 through it (Timer J armed), terminate it',
  prepare() {
    let sent = 0;
    const l = new TransactionLayer({
      transport: {
        send: () => {
          sent++;
          return Promise.resolve();
        },
      },
    });
    layer = l;
    const msg = parseMessage(REGISTER);
    const op = (): number => {
      const st = l.createServer(msg, RCV);
      if (st === null) throw new Error('no server transaction');
      st.reply(200, 'OK');
      st.terminate();
      return sent;
    };
    // Fail here, not in the timed loop: one round must leave the tables and the heap empty.
    op();
    const s = l.stats();
    if (sent !== 1 || s.servers !== 0 || s.timers !== 0) {
      return Promise.resolve({
        skip: `transaction not released (sent ${sent}, ${JSON.stringify(s)})`,
      });
    }
    return Promise.resolve(op);
  },
  dispose() {
    layer?.close();
    layer = null;
  },
});
