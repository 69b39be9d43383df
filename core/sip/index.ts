/** Public API of the SIP message layer. */
export type {
  CSeq,
  HeaderField,
  NameAddr,
  NameValue,
  ReceiveInfo,
  SipMessage,
  SipUri,
  Transport,
  Via,
} from './types.ts';
export { SipParseError, SipValueError, type PartialMessage } from './errors.ts';
export { parseMessage, KNOWN_METHODS, type ParseOptions } from './parser.ts';
export { frameStream, findHeaderEnd, type FrameResult } from './framing.ts';
export {
  parseUri,
  formatUri,
  escape,
  unescape,
  withUriParam,
  sameAddress,
  USER_SAFE,
  PASSWORD_SAFE,
  PARAM_SAFE,
  HEADER_SAFE,
  type UriParts,
} from './uri.ts';
export {
  parseNameAddr,
  parseNameAddrList,
  formatNameAddr,
  quoteDisplayName,
  escapeUser,
} from './nameaddr.ts';
export { parseVia, parseViaList, formatVia } from './via.ts';
export { COMPACT_FORMS, COMPACT_OF, isListHeader, lnameOf, canonicalName } from './headers.ts';
export { splitList, findParam } from './lex.ts';
export { toScriptText, fromScriptText } from './text.ts';
export {
  buildResponse,
  buildResponseFromPartial,
  generateTag,
  generateBranch,
  type ResponseOptions,
} from './build.ts';
