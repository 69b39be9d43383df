/** KSR.siputils: message checks and R-URI parameter helpers (Kamailio's siputils module). */
import { parseUri } from '../../core/sip/uri.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import {
  addUriParam,
  cmpHdrName,
  hasTotag,
  isAlphanumEx,
  isFirstHop,
  isNumeric,
  isTelNumber,
  isUri,
  uriParamAny,
  uriParamRm,
  uriParamValue,
} from './checks.ts';

const M = 'siputils';

const exports: KsrFunction[] = [
  {
    module: M,
    name: 'has_totag',
    params: [],
    returns: 'int',
    doc: '1 when the To header has a tag (in-dialog request), -1 otherwise.',
    impl: (ctx) => hasTotag(ctx),
  },
  {
    module: M,
    name: 'is_request',
    params: [],
    returns: 'int',
    doc: '1 for a request, -1 for a reply.',
    impl: (ctx) => (ctx.msg.isRequest ? 1 : -1),
  },
  {
    module: M,
    name: 'is_reply',
    params: [],
    returns: 'int',
    doc: '1 for a reply, -1 for a request.',
    impl: (ctx) => (ctx.msg.isRequest ? -1 : 1),
  },
  {
    module: M,
    name: 'is_sip',
    params: [],
    returns: 'int',
    doc: '1: every message this server routes is SIP.',
    impl: () => 1,
  },
  {
    module: M,
    name: 'is_http',
    params: [],
    returns: 'int',
    doc: '-1: HTTP is not routed through scripts.',
    impl: () => -1,
  },
  {
    module: M,
    name: 'is_first_hop',
    params: [],
    returns: 'int',
    doc: 'Requests: 1 with a single Via. Replies: 1 when the top Record-Route is this server and not a loop.',
    impl: (ctx) => isFirstHop(ctx, 0),
  },
  {
    module: M,
    name: 'is_first_hop_mode',
    params: [int('mode')],
    returns: 'int',
    doc: 'is_first_hop; mode 1 skips the IP-host and loop checks for replies.',
    impl: (ctx, mode) => isFirstHop(ctx, Number(mode)),
  },
  {
    module: M,
    name: 'is_uri',
    params: [str('suri')],
    returns: 'int',
    doc: '1 when the value parses as a URI.',
    impl: (_ctx, v) => isUri(String(v)),
  },
  {
    module: M,
    name: 'uri_param',
    params: [str('sparam')],
    returns: 'int',
    doc: '1 when the R-URI has the parameter without a value (name case-sensitive).',
    impl: (ctx, p) => uriParamValue(ctx, String(p), null),
  },
  {
    module: M,
    name: 'uri_param_value',
    params: [str('sparam'), str('svalue')],
    returns: 'int',
    doc: '1 when the R-URI has the parameter with exactly that value.',
    impl: (ctx, p, v) => uriParamValue(ctx, String(p), String(v)),
  },
  {
    module: M,
    name: 'uri_param_any',
    params: [str('sparam')],
    returns: 'int',
    doc: '1 when the R-URI has the parameter, with or without a value (name case-insensitive).',
    impl: (ctx, p) => uriParamAny(ctx, String(p)),
  },
  {
    module: M,
    name: 'uri_param_rm',
    params: [str('sparam')],
    returns: 'int',
    doc: 'Removes the parameter from the R-URI; 1 also when it was absent.',
    impl: (ctx, p) => uriParamRm(ctx, String(p)),
  },
  {
    module: M,
    name: 'add_uri_param',
    params: [str('param')],
    returns: 'int',
    doc: 'Appends ";param" (e.g. "user=phone") to the R-URI parameters.',
    impl: (ctx, p) => addUriParam(ctx, String(p)),
  },
  {
    module: M,
    name: 'is_tel_number',
    params: [str('tval')],
    returns: 'int',
    doc: '1 when the value is a telephone number (+ and a non-zero digit, or only digits), -2 otherwise.',
    impl: (_ctx, v) => isTelNumber(String(v)),
  },
  {
    module: M,
    name: 'is_uri_user_e164',
    params: [str('uri')],
    returns: 'int',
    doc: '1 when the user part of the SIP URI is an E.164 number (+ and 2 to 15 digits), -1 otherwise (as the cfg function; not a KEMI export in Kamailio).',
    impl: (_ctx, uri) => isUriUserE164(String(uri)),
  },
  {
    module: M,
    name: 'is_numeric',
    params: [str('tval')],
    returns: 'int',
    doc: '1 when the value is only digits, -2 otherwise.',
    impl: (_ctx, v) => isNumeric(String(v)),
  },
  {
    module: M,
    name: 'is_alphanum',
    params: [str('tval')],
    returns: 'int',
    doc: '1 when the value is only [0-9A-Za-z]; -2 when empty, -3 otherwise.',
    impl: (_ctx, v) => isAlphanumEx(String(v), ''),
  },
  {
    module: M,
    name: 'is_alphanumex',
    params: [str('tval'), str('eset')],
    returns: 'int',
    doc: 'is_alphanum also accepting the characters of eset.',
    impl: (_ctx, v, e) => isAlphanumEx(String(v), String(e)),
  },
  {
    module: M,
    name: 'cmp_hdr_name',
    params: [str('shname1'), str('shname2')],
    returns: 'int',
    doc: '1 when both names designate the same header (compact forms included), -1/-2 otherwise.',
    impl: (_ctx, a, b) => cmpHdrName(String(a), String(b)),
  },
];

export const module: PolysipModule = { name: M, exports };

/** E.164 as siputils checks it: '+', then 2 to 15 digits, in the user part of a SIP/SIPS URI. */
function isUriUserE164(text: string): number {
  let user: string | null;
  try {
    const uri = parseUri(text);
    if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return -1;
    user = uri.user;
  } catch {
    return -1;
  }
  return user !== null && /^\+\d{2,15}$/.test(user) ? 1 : -1;
}
