/** The modules built into polysip, in load order. The composition root registers them. */
import type { PolysipModule } from '../core/api/module.ts';
import { module as core } from './core/index.ts';
import { module as sl } from './sl/index.ts';
import { module as pv } from './pv/index.ts';
import { module as hdr } from './hdr/index.ts';
import { module as textops } from './textops/index.ts';
import { module as siputils } from './siputils/index.ts';
import { module as maxfwd } from './maxfwd/index.ts';
import { module as sanity } from './sanity/index.ts';
import { module as corex } from './corex/index.ts';
import { module as tm } from './tm/index.ts';
import { module as tmx } from './tmx/index.ts';
import { module as rr } from './rr/index.ts';
import { module as htable } from './htable/index.ts';
import { module as pike } from './pike/index.ts';

export const builtinModules: readonly PolysipModule[] = [
  core,
  sl,
  pv,
  hdr,
  textops,
  siputils,
  maxfwd,
  sanity,
  corex,
  tm,
  tmx,
  rr,
  htable,
  pike,
];
