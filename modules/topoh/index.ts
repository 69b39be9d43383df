/**
 * topoh (Kamailio's topology hiding module): loaded by configuration, nothing for the script
 * to call. Via, Contact and Record-Route of one side (and, with `mask_callid`, the Call-ID)
 * reach the other side sealed under `mask_ip`, and are opened again on the way back. It keeps
 * no state: see mask.ts for the rules and codec.ts for the sealing.
 *
 * Parameters, Kamailio's names and defaults: `mask_key` ("_static_value_": set your own),
 * `mask_ip` (127.0.0.8), `mask_callid` (0), `sanity_checks` (0), `uparam_name` ("line"),
 * `uparam_prefix` ("sr-"), `vparam_name` ("branch"), `vparam_prefix` ("z9hG4bKcydzigwkX"),
 * `callid_prefix` ("!!:"). As in Kamailio, the proxy must record-route the dialogs it hides.
 *
 * The core runs it through `MessageHooks`: the composition root passes `hooks` to the
 * SipServer (`messageHooks`) and `module` to the registry.
 */
import type { MessageHooks } from '../../core/api/context.ts';
import type { PolysipModule } from '../../core/api/module.ts';
import { Topoh, type TopohConfig } from './mask.ts';

export { Topoh, CALLID_FLAG, type TopohConfig } from './mask.ts';
export { TopohCodec, type SealKind } from './codec.ts';

export interface TopohModuleParams {
  readonly mask_key?: string;
  readonly mask_ip?: string;
  readonly mask_callid?: number | string;
  readonly sanity_checks?: number | string;
  readonly uparam_name?: string;
  readonly uparam_prefix?: string;
  readonly vparam_name?: string;
  readonly vparam_prefix?: string;
  readonly callid_prefix?: string;
}

export const TOPOH_DEFAULTS: TopohConfig = Object.freeze({
  maskKey: '_static_value_',
  maskIp: '127.0.0.8',
  maskCallid: false,
  sanityChecks: false,
  uparamName: 'line',
  uparamPrefix: 'sr-',
  vparamName: 'branch',
  vparamPrefix: 'z9hG4bKcydzigwkX',
  callidPrefix: '!!:',
});

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Checks and converts modparams (strings from the CLI or YAML, numbers from code). */
export function topohConfig(p: TopohModuleParams = {}): TopohConfig {
  const d = TOPOH_DEFAULTS;
  const cfg: TopohConfig = {
    maskKey: p.mask_key ?? d.maskKey,
    maskIp: p.mask_ip ?? d.maskIp,
    maskCallid: flag('mask_callid', p.mask_callid),
    sanityChecks: flag('sanity_checks', p.sanity_checks),
    uparamName: p.uparam_name ?? d.uparamName,
    uparamPrefix: p.uparam_prefix ?? d.uparamPrefix,
    vparamName: p.vparam_name ?? d.vparamName,
    vparamPrefix: p.vparam_prefix ?? d.vparamPrefix,
    callidPrefix: p.callid_prefix ?? d.callidPrefix,
  };
  if (cfg.maskKey === '') throw new Error('topoh: mask_key must not be empty');
  if (!/^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9.-]+)$/.test(cfg.maskIp))
    throw new Error(`topoh: mask_ip "${cfg.maskIp}" is not an address`);
  // What ends up in a URI parameter, a Via branch or a Call-ID must stay a token there.
  for (const [name, v] of [
    ['uparam_name', cfg.uparamName],
    ['uparam_prefix', cfg.uparamPrefix],
    ['vparam_name', cfg.vparamName],
    ['vparam_prefix', cfg.vparamPrefix],
  ] as const) {
    if (!TOKEN.test(v)) throw new Error(`topoh: ${name} "${v}" is not a token`);
  }
  if (!/^[A-Za-z0-9.!%*_+`'~()<>:\\"/[\]?{}-]+$/.test(cfg.callidPrefix))
    throw new Error(`topoh: callid_prefix "${cfg.callidPrefix}" is not allowed in a Call-ID`);
  return cfg;
}

function flag(name: string, v: number | string | undefined): boolean {
  if (v === undefined) return false;
  const n = Number(v);
  if (n !== 0 && n !== 1) throw new Error(`topoh: ${name} must be 0 or 1, not "${v}"`);
  return n === 1;
}

export interface TopohModule {
  /** For the registry (topoh declares no KSR function, as in Kamailio). */
  readonly module: PolysipModule;
  /** For the SipServer's `messageHooks`. */
  readonly hooks: MessageHooks;
  readonly topoh: Topoh;
}

export function createTopohModule(params: TopohModuleParams = {}): TopohModule {
  const topoh = new Topoh(topohConfig(params));
  return {
    module: { name: 'topoh', exports: [] },
    hooks: {
      incoming: (msg) => topoh.incoming(msg),
      outgoing: (msg, _target, core) => topoh.outgoing(msg, core),
    },
    topoh,
  };
}
