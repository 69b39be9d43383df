/**
 * The egress guard: an allow-list of destination networks checked before any socket is
 * touched, so a refused send never produces a packet or a connection attempt. Also the IP
 * helpers every transport file shares.
 */
import { BlockList, isIP } from 'node:net';

/** Verdicts are cached per host string; the cache is dropped wholesale past this size. */
const CACHE_LIMIT = 4096;

export class EgressGuard {
  readonly #list: BlockList;
  readonly #cache = new Map<string, boolean>();

  /** Throws an Error naming the first entry that is not `ip` or `ip/prefix`. */
  constructor(cidrs: readonly string[]) {
    this.#list = new BlockList();
    for (const entry of cidrs) {
      const slash = entry.indexOf('/');
      const addr = normalizeIp((slash < 0 ? entry : entry.slice(0, slash)).trim());
      const family = isIP(addr);
      const max = family === 6 ? 128 : 32;
      const prefixText = slash < 0 ? String(max) : entry.slice(slash + 1).trim();
      const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
      if (family === 0 || prefix < 0 || prefix > max) {
        throw new Error(
          `invalid allowDestinations entry '${entry}': expected an IPv4 or IPv6 CIDR such as 127.0.0.0/8 or ::1/128`,
        );
      }
      this.#list.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** `host` must be a normalized literal (see normalizeIp) of the given family. */
  allows(host: string, family: 4 | 6): boolean {
    let verdict = this.#cache.get(host);
    if (verdict === undefined) {
      verdict = this.#list.check(host, family === 6 ? 'ipv6' : 'ipv4');
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(host, verdict);
    }
    return verdict;
  }
}

/**
 * Brackets removed and IPv4-mapped IPv6 (`::ffff:1.2.3.4`) reduced to `1.2.3.4`, so one
 * peer has one spelling in ReceiveInfo, in the connection table and in the guard.
 */
export function normalizeIp(addr: string): string {
  if (addr.charCodeAt(0) === 0x5b /* [ */ && addr.charCodeAt(addr.length - 1) === 0x5d) {
    addr = addr.slice(1, -1);
  }
  if (
    addr.length > 7 &&
    addr.charCodeAt(0) === 0x3a /* : */ &&
    addr.charCodeAt(6) === 0x3a &&
    addr.slice(0, 7).toLowerCase() === '::ffff:' &&
    addr.includes('.', 7)
  ) {
    return addr.slice(7);
  }
  return addr;
}

export function ipFamily(addr: string): 0 | 4 | 6 {
  return isIP(addr) as 0 | 4 | 6;
}

export function isWildcard(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::';
}

/** 127.0.0.0/8 and ::1; enough to rank listeners (see SipTransportLayer.listenerFor). */
export function isLoopback(addr: string, family: 4 | 6): boolean {
  return family === 4 ? addr.startsWith('127.') : addr === '::1';
}
