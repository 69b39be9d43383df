/**
 * The sealed strings topoh puts on the wire. Kamailio XORs with the key; here a value is
 * encrypted and authenticated (a synthetic-IV construction: the IV is a MAC of the
 * plaintext), so a tampered or foreign value is refused instead of decoding to garbage, and
 * the same input always gives the same output: retransmissions, CANCELs and nodes sharing
 * the key all mask a header identically, which keeps topoh stateless.
 *
 * The output alphabet is base64url (letters, digits, `-`, `_`): every character is allowed
 * in a SIP token, a URI parameter value, a Via branch and a Call-ID word.
 */
import { createCipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What a sealed value stands for; part of the MAC, so a masked Via cannot pass as a URI. */
export type SealKind = 'via' | 'uri' | 'callid';

const KIND_BYTE: Record<SealKind, number> = { via: 0x56, uri: 0x55, callid: 0x43 };
const TAG_LEN = 12;
const B64URL = /^[A-Za-z0-9_-]+$/;

export class TopohCodec {
  readonly #enc: Buffer;
  readonly #mac: Buffer;

  constructor(maskKey: string) {
    if (maskKey === '') throw new Error('topoh: mask_key must not be empty');
    const okm = Buffer.from(
      hkdfSync('sha256', Buffer.from(maskKey, 'utf8'), 'polysip-topoh', 'keys', 64),
    );
    this.#enc = okm.subarray(0, 32);
    this.#mac = okm.subarray(32, 64);
  }

  /** Seals header text (a latin1 "binary" string, as the message model holds it). */
  seal(kind: SealKind, text: string): string {
    const pt = Buffer.concat([Buffer.of(KIND_BYTE[kind]), Buffer.from(text, 'latin1')]);
    const tag = this.#tag(pt);
    const ct = this.#ctr(tag, pt);
    return Buffer.concat([tag, ct]).toString('base64url');
  }

  /** The text sealed in `token`, or null when it was not sealed by this key as `kind`. */
  open(kind: SealKind, token: string): string | null {
    if (!B64URL.test(token)) return null;
    const raw = Buffer.from(token, 'base64url');
    // Non-canonical base64 (stray trailing bits) is a modified token, not ours.
    if (raw.length <= TAG_LEN || raw.toString('base64url') !== token) return null;
    const tag = raw.subarray(0, TAG_LEN);
    const pt = this.#ctr(tag, raw.subarray(TAG_LEN));
    if (!timingSafeEqual(this.#tag(pt), tag)) return null;
    if (pt[0] !== KIND_BYTE[kind]) return null;
    return pt.subarray(1).toString('latin1');
  }

  #tag(pt: Buffer): Buffer {
    return createHmac('sha256', this.#mac).update(pt).digest().subarray(0, TAG_LEN);
  }

  #ctr(tag: Buffer, data: Buffer): Buffer {
    const iv = Buffer.alloc(16);
    tag.copy(iv);
    const c = createCipheriv('aes-256-ctr', this.#enc, iv);
    return Buffer.concat([c.update(data), c.final()]);
  }
}
