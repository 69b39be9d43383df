/**
 * The header section is held as latin1 ("binary") strings: one char per octet, so every byte
 * round-trips. Scripts want real text, so values cross into a script through these two.
 */

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Octets held in a latin1 string → the UTF-8 text they encode (invalid sequences → U+FFFD). */
export function toScriptText(binary: string): string {
  if (isAscii(binary)) return binary;
  return Buffer.from(binary, 'latin1').toString('utf8');
}

/** A script's text → its UTF-8 octets held in a latin1 string. */
export function fromScriptText(s: string): string {
  if (isAscii(s)) return s;
  return Buffer.from(s, 'utf8').toString('latin1');
}
