/**
 * KSR.permissions (Kamailio's permissions module, address and trusted tables). The tables are
 * loaded into memory at start and reloaded every `reload_interval` seconds (Kamailio reloads
 * on an RPC command), so checks never wait for the database.
 */
import { BlockList, isIP } from 'node:net';
import type { RouteContext } from '../../core/api/context.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import type { AddressEntry, Store, TrustedEntry } from '../../core/store/types.ts';

export interface PermissionsParams {
  /** Seconds between reloads of the address and trusted tables (0 = load once). */
  readonly reload_interval?: number;
}

interface AddressRule {
  readonly group: number;
  readonly port: number;
  readonly net: BlockList;
}

interface TrustedRule {
  readonly src: BlockList;
  readonly proto: string;
  readonly from: RegExp | null;
}

function family(ip: string): 'ipv4' | 'ipv6' | null {
  const f = isIP(ip);
  return f === 4 ? 'ipv4' : f === 6 ? 'ipv6' : null;
}

function netOf(ip: string, mask: number): BlockList | null {
  const f = family(ip);
  if (!f) return null;
  const bl = new BlockList();
  const bits = Math.max(0, Math.min(f === 'ipv4' ? 32 : 128, mask));
  bl.addSubnet(ip, bits, f);
  return bl;
}

export class Permissions {
  #addresses: AddressRule[] = [];
  #trusted: TrustedRule[] = [];
  readonly #store: Store;
  readonly #log: (msg: string) => void;
  #timer: NodeJS.Timeout | null = null;

  constructor(store: Store, params: PermissionsParams, log: (msg: string) => void) {
    this.#store = store;
    this.#log = log;
    const every = Number(params.reload_interval ?? 10);
    if (every > 0) {
      this.#timer = setInterval(() => {
        this.reload().catch((e: Error) => this.#log(`permissions: reload failed: ${e.message}`));
      }, every * 1000);
      this.#timer.unref();
    }
  }

  async reload(): Promise<void> {
    const addresses = (await this.#store.addresses.list()) as AddressEntry[];
    const trusted = (await this.#store.addresses.listTrusted()) as TrustedEntry[];
    const a: AddressRule[] = [];
    for (const e of addresses) {
      const net = netOf(e.ip, e.mask);
      if (net) a.push({ group: e.group, port: e.port, net });
      else this.#log(`permissions: address row ${e.ip}/${e.mask} is not an IP network, skipped`);
    }
    const t: TrustedRule[] = [];
    for (const e of trusted) {
      const src = netOf(e.srcIp, isIP(e.srcIp) === 6 ? 128 : 32);
      if (!src) continue;
      let from: RegExp | null = null;
      if (e.fromPattern !== '') {
        try {
          from = new RegExp(e.fromPattern);
        } catch {
          this.#log(`permissions: trusted from_pattern ${e.fromPattern} is not a regex, skipped`);
          continue;
        }
      }
      t.push({ src, proto: e.proto.toLowerCase(), from });
    }
    this.#addresses = a;
    this.#trusted = t;
  }

  /** The group of the first rule matching ip:port (restricted to `group` when given), or -1. */
  groupOf(ip: string, port: number, group?: number): number {
    const f = family(ip);
    if (!f) return -1;
    for (const r of this.#addresses) {
      if (group !== undefined && r.group !== group) continue;
      if (r.port !== 0 && r.port !== port) continue;
      if (r.net.check(ip, f)) return r.group;
    }
    return -1;
  }

  trusted(ctx: RouteContext): boolean {
    const ip = ctx.rcv.srcIp;
    const f = family(ip);
    if (!f) return false;
    let fromUri: string | null = null;
    for (const r of this.#trusted) {
      if (!r.src.check(ip, f)) continue;
      if (r.proto !== 'any' && r.proto !== '' && r.proto !== ctx.rcv.transport) continue;
      if (r.from) {
        if (fromUri === null) {
          try {
            fromUri = ctx.msg.from()?.uri.raw ?? '';
          } catch {
            fromUri = '';
          }
        }
        if (!r.from.test(fromUri)) continue;
      }
      return true;
    }
    return false;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}

export function createPermissionsModule(opts: {
  store: Store;
  params?: PermissionsParams;
  log?: (msg: string) => void;
}): { module: PolysipModule; permissions: Permissions } {
  const perms = new Permissions(opts.store, opts.params ?? {}, opts.log ?? (() => {}));
  const fn = (
    name: string,
    ps: KsrFunction['params'],
    doc: string,
    impl: KsrFunction['impl'],
  ): KsrFunction => ({ module: 'permissions', name, params: ps, returns: 'int', doc, impl });
  const exports: KsrFunction[] = [
    fn(
      'allow_source_address',
      [int('addr_group')],
      'True (1) when the source IP and port are in the address group; else -1.',
      (ctx, g) => (perms.groupOf(ctx.rcv.srcIp, ctx.rcv.srcPort, Number(g)) >= 0 ? 1 : -1),
    ),
    fn(
      'allow_address',
      [int('addr_group'), str('ips'), int('port')],
      'True (1) when ip:port is in the address group (a row with port 0 matches any port).',
      (_ctx, g, ip, p) => (perms.groupOf(String(ip), Number(p), Number(g)) >= 0 ? 1 : -1),
    ),
    fn(
      'allow_source_address_group',
      [],
      'The address group of the source IP and port, or -1.',
      (ctx) => perms.groupOf(ctx.rcv.srcIp, ctx.rcv.srcPort),
    ),
    fn(
      'allow_address_group',
      [str('_addr'), int('_port')],
      'The address group of ip:port, or -1.',
      (_ctx, ip, p) => perms.groupOf(String(ip), Number(p)),
    ),
    fn(
      'allow_trusted',
      [],
      'True (1) when source IP, protocol and From URI match a trusted row; else -1.',
      (ctx) => (perms.trusted(ctx) ? 1 : -1),
    ),
  ];
  return { module: { name: 'permissions', exports, stop: () => perms.stop() }, permissions: perms };
}
