/**
 * The script languages and placements the parity suite runs every scenario against: Lua and JS
 * both in the SIP thread and isolated in a worker, Python once (it always runs in its worker).
 */
import { fileURLToPath } from 'node:url';
import type { Placement } from '../../bin/load-script.ts';

export const LANGS = ['lua', 'py', 'js'] as const;
export type Lang = (typeof LANGS)[number];
export type { Placement };

export const PLACEMENTS: readonly Placement[] = ['in-thread', 'isolated'];

/** One engine × placement combination of the parity suite. */
export interface ParityRun {
  readonly lang: Lang;
  readonly placement: Placement;
  /**
   * For titles and Call-IDs: `lua`, `lua-isolated`, `js`, `js-isolated`, `py` (in-thread runs
   * keep the bare language so their test titles did not change when placements were added).
   */
  readonly label: string;
}

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

/**
 * Placements to run, from POLYSIP_PARITY_PLACEMENTS (`in-thread`, `isolated` or both); both by
 * default.
 */
export function selectedPlacements(): readonly Placement[] {
  const env = process.env['POLYSIP_PARITY_PLACEMENTS'];
  if (!env) return PLACEMENTS;
  const wanted = env.split(',').map((s) => s.trim());
  return PLACEMENTS.filter((p) => wanted.includes(p));
}

/**
 * Every selected language in every selected placement. Python runs once, labelled `py` with
 * placement 'isolated' (its engine has no in-thread form), when either placement is selected.
 */
export function parityRuns(langs: readonly Lang[] = selectedLangs()): readonly ParityRun[] {
  const placements = selectedPlacements();
  const runs: ParityRun[] = [];
  for (const lang of langs) {
    if (lang === 'py') {
      if (placements.length > 0) runs.push({ lang, placement: 'isolated', label: 'py' });
      continue;
    }
    for (const placement of placements) {
      runs.push({
        lang,
        placement,
        label: placement === 'in-thread' ? lang : `${lang}-isolated`,
      });
    }
  }
  return runs;
}
