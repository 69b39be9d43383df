/** KSR.rr: Record-Route and loose routing (Kamailio's rr module). */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import type { RouteContext } from '../../core/api/context.ts';
import {
  addRrParam,
  checkRouteParam,
  isDirection,
  looseRoute,
  looseRoutePreloaded,
  nextHopRoute,
  recordRoute,
  recordRouteAdvertised,
  recordRoutePreset,
  removeRecordRoute,
} from './rr.ts';

type Impl = (ctx: RouteContext, ...a: (string | number)[]) => number;

function fn(name: string, params: KsrFunction['params'], doc: string, impl: Impl): KsrFunction {
  return { module: 'rr', name, params, returns: 'int', doc, impl };
}

const S = (v: string | number): string => String(v);

const exports: KsrFunction[] = [
  fn(
    'record_route',
    [],
    'Adds Record-Route (two, r2=on, when the outgoing transport or address family differs).',
    (ctx) => recordRoute(ctx),
  ),
  fn('record_route_params', [str('sparams')], 'record_route with extra parameters.', (ctx, p) =>
    recordRoute(ctx, S(p)),
  ),
  fn(
    'record_route_preset_one',
    [str('addr1')],
    'Adds Record-Route with the given address.',
    (ctx, a) => recordRoutePreset(ctx, S(a), null),
  ),
  fn(
    'record_route_preset',
    [str('addr1'), str('addr2')],
    'Adds two Record-Routes (r2=on) with the given addresses.',
    (ctx, a, b) => recordRoutePreset(ctx, S(a), S(b)),
  ),
  fn(
    'record_route_advertised_address',
    [str('addr')],
    'record_route using the given advertised address.',
    (ctx, a) => recordRouteAdvertised(ctx, S(a)),
  ),
  fn(
    'loose_route',
    [],
    'Routes by the Route set: 1 next hop set, -1 no route (or only ours), -2 bad flow token, -3 preloaded.',
    (ctx) => looseRoute(ctx),
  ),
  fn(
    'loose_route_preloaded',
    [],
    'True only for a preloaded Route set on an initial request.',
    (ctx) => looseRoutePreloaded(ctx),
  ),
  fn(
    'loose_route_mode',
    [int('vmode')],
    'loose_route with mode bits (flow tokens are not used here).',
    (ctx) => looseRoute(ctx),
  ),
  fn('remove_record_route', [], 'Removes the Record-Route headers added by this proxy.', (ctx) =>
    removeRecordRoute(ctx),
  ),
  fn(
    'add_rr_param',
    [str('sparam')],
    'Adds a parameter (";name=value") to our Record-Route.',
    (ctx, p) => addRrParam(ctx, S(p)),
  ),
  fn(
    'check_route_param',
    [str('sre')],
    'True if the parameters of our Route header match the regex.',
    (ctx, re) => checkRouteParam(ctx, S(re)),
  ),
  fn(
    'is_direction',
    [str('dir')],
    'True if the in-dialog request goes "upstream" or "downstream".',
    (ctx, d) => isDirection(ctx, S(d)),
  ),
  fn('next_hop_route', [], 'True if a Route header is left for the next hop.', (ctx) =>
    nextHopRoute(ctx),
  ),
];

export const module: PolysipModule = { name: 'rr', exports };
