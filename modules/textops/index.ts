/**
 * KSR.textops: regex search/replace/subst over the message, header presence and removal,
 * body checks, string helpers (Kamailio's textops). Header insertion is KSR.hdr's job; of the
 * cfg-only functions, append_hf is kept here because scripts use it (Kamailio's KEMI lacks it).
 */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import {
  appendHf,
  cmpStr,
  endsWith,
  hasBody,
  hasBodyType,
  inList,
  isPresentHf,
  isPresentHfRe,
  isPrivacy,
  removeHf,
  removeHfIdx,
  removeHfRe,
  replaceBody,
  replaceBodyAtonce,
  replaceMsg,
  search,
  searchBody,
  searchHf,
  searchStr,
  setBody,
  startsWith,
  strFind,
  substBody,
  substHf,
  substMsg,
  substUri,
  substUser,
} from './textops.ts';

const M = 'textops';
const S = String;

function fn(
  name: string,
  params: KsrFunction['params'],
  doc: string,
  impl: KsrFunction['impl'],
): KsrFunction {
  return { module: M, name, params, returns: 'int', doc, impl };
}

const exports: KsrFunction[] = [
  fn(
    'search',
    [str('sre')],
    'Regex (POSIX, case-insensitive) anywhere in the message: 1 / -1.',
    (ctx, re) => search(ctx, S(re)),
  ),
  fn('search_body', [str('sre')], 'Regex in the body: 1 / -1.', (ctx, re) =>
    searchBody(ctx, S(re)),
  ),
  fn(
    'search_hf',
    [str('hname'), str('sre'), str('flags')],
    'Regex in the bodies of the named headers (flags: a all, f first, l last).',
    (ctx, h, re, f) => searchHf(ctx, S(h), S(re), S(f)),
  ),
  fn('search_str', [str('stext'), str('sre')], 'Regex over the given text: 1 / -1.', (ctx, t, re) =>
    searchStr(ctx, S(t), S(re)),
  ),
  fn(
    'is_present_hf',
    [str('hname')],
    '1 when a header with that name (or compact form) exists.',
    (ctx, h) => isPresentHf(ctx, S(h)),
  ),
  fn('is_present_hf_re', [str('ematch')], '1 when a header name matches the regex.', (ctx, re) =>
    isPresentHfRe(ctx, S(re)),
  ),
  fn(
    'append_hf',
    [str('txt')],
    'Appends header text ("Name: value\\r\\n") after the last header (polysip addition: KEMI has hdr.append).',
    (ctx, t) => appendHf(ctx, S(t)),
  ),
  fn(
    'remove_hf',
    [str('hname')],
    'Removes every header with that name; 1 (also when none was there).',
    (ctx, h) => removeHf(ctx, S(h)),
  ),
  fn(
    'remove_hf_re',
    [str('ematch')],
    'Removes the headers whose name matches the regex; -1 when none.',
    (ctx, re) => removeHfRe(ctx, S(re)),
  ),
  fn(
    'remove_hf_idx',
    [str('hname'), int('idx')],
    'Removes the header of that name at index idx (negative from the end).',
    (ctx, h, i) => removeHfIdx(ctx, S(h), Math.trunc(Number(i))),
  ),
  fn(
    'subst',
    [str('subst')],
    "sed-like '/re/repl/flags' over headers and body (flags i, g, s).",
    (ctx, e) => substMsg(ctx, S(e)),
  ),
  fn('subst_uri', [str('subst')], "sed-like '/re/repl/flags' over the R-URI.", (ctx, e) =>
    substUri(ctx, S(e)),
  ),
  fn('subst_user', [str('subst')], "sed-like '/re/repl/flags' over the R-URI user.", (ctx, e) =>
    substUser(ctx, S(e)),
  ),
  fn('subst_body', [str('subst')], "sed-like '/re/repl/flags' over the body.", (ctx, e) =>
    substBody(ctx, S(e)),
  ),
  fn(
    'subst_hf',
    [str('hname'), str('subst'), str('flags')],
    "sed-like '/re/repl/flags' over the bodies of the named headers (flags: a, f, l).",
    (ctx, h, e, f) => substHf(ctx, S(h), S(e), S(f)),
  ),
  fn(
    'replace',
    [str('sre'), str('sval')],
    'Replaces the first regex match in headers and body.',
    (ctx, re, v) => replaceMsg(ctx, 'replace', S(re), S(v), false),
  ),
  fn(
    'replace_all',
    [str('sre'), str('sval')],
    'Replaces every regex match in headers and body.',
    (ctx, re, v) => replaceMsg(ctx, 'replace_all', S(re), S(v), true),
  ),
  fn(
    'replace_body',
    [str('sre'), str('sval')],
    'Replaces the first regex match in the body.',
    (ctx, re, v) => replaceBody(ctx, 'replace_body', S(re), S(v), false),
  ),
  fn(
    'replace_body_all',
    [str('sre'), str('sval')],
    'Replaces every regex match in the body (line by line).',
    (ctx, re, v) => replaceBody(ctx, 'replace_body_all', S(re), S(v), true),
  ),
  fn(
    'replace_body_atonce',
    [str('sre'), str('sval')],
    'Replaces every regex match in the body taken as one string.',
    (ctx, re, v) => replaceBodyAtonce(ctx, S(re), S(v)),
  ),
  fn('has_body', [], '1 when Content-Length announces a body.', (ctx) => hasBody(ctx)),
  fn('has_body_type', [str('ctype')], '1 when there is a body of that Content-Type.', (ctx, t) =>
    hasBodyType(ctx, S(t)),
  ),
  fn('set_body', [str('nb'), str('nc')], 'Replaces the body and its Content-Type.', (ctx, b, c) =>
    setBody(ctx, S(b), S(c)),
  ),
  fn(
    'is_privacy',
    [str('privacy')],
    '1 when the Privacy header lists that value (id, user, header…).',
    (ctx, p) => isPrivacy(ctx, S(p)),
  ),
  fn(
    'in_list',
    [str('subject'), str('list'), str('vsep')],
    '1 when subject is an item of the list.',
    (_ctx, s, l, sep) => inList(S(s), S(l), S(sep), false),
  ),
  fn(
    'in_list_prefix',
    [str('subject'), str('list'), str('vsep')],
    '1 when an item of the list is a prefix of subject.',
    (_ctx, s, l, sep) => inList(S(s), S(l), S(sep), true),
  ),
  fn(
    'cmp_str',
    [str('s1'), str('s2')],
    '1 when equal (case-sensitive), -1/-2 otherwise.',
    (_ctx, a, b) => cmpStr(S(a), S(b), false),
  ),
  fn(
    'cmp_istr',
    [str('s1'), str('s2')],
    '1 when equal ignoring case, -1/-2 otherwise.',
    (_ctx, a, b) => cmpStr(S(a), S(b), true),
  ),
  fn('starts_with', [str('s1'), str('s2')], '1 when s1 starts with s2.', (_ctx, a, b) =>
    startsWith(S(a), S(b)),
  ),
  fn('ends_with', [str('vstr'), str('vsuffix')], '1 when vstr ends with vsuffix.', (_ctx, a, b) =>
    endsWith(S(a), S(b)),
  ),
  fn(
    'str_find',
    [str('txt'), str('needle')],
    'Position (from 1) of needle in txt, -1 when absent.',
    (_ctx, a, b) => strFind(S(a), S(b), false),
  ),
  fn('str_ifind', [str('txt'), str('needle')], 'As str_find, ignoring case.', (_ctx, a, b) =>
    strFind(S(a), S(b), true),
  ),
];

export const module: PolysipModule = { name: M, exports };
