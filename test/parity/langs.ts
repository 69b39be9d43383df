/** The three script languages the parity suite runs every scenario against. */
import { fileURLToPath } from 'node:url';

export const LANGS = ['lua', 'py', 'js'] as const;
export type Lang = (typeof LANGS)[number];

/** `scripts/default.<lang>`, the default routing script in that language. */
export function defaultScript(lang: Lang): string {
  return fileURLToPath(new URL(`../../scripts/default.${lang}`, import.meta.url));
}

/** `test/ksr/<stem>.<lang>`, a KSR test script in that language. */
export function ksrScript(stem: 'cases' | 'snippet', lang: Lang): string {
  return fileURLToPath(new URL(`../ksr/${stem}.${lang}`, import.meta.url));
}

/**
 * Languages to run, from POLYSIP_PARITY_LANGS (e.g. `py,js`); all three by default. Lets a
 * developer re-run one engine without editing the test.
 */
export function selectedLangs(): readonly Lang[] {
  const env = process.env['POLYSIP_PARITY_LANGS'];
  if (!env) return LANGS;
  const wanted = env.split(',').map((s) => s.trim());
  return LANGS.filter((l) => wanted.includes(l));
}
