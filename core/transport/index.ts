export { ConnectionTable } from './connections.ts';
export { EgressGuard, normalizeIp } from './egress.ts';
export {
  SipTransportLayer,
  type FramingErrorHandler,
  type ListenOptions,
  type MessageHandler,
  type TransportOptions,
} from './layer.ts';
export { formatListenSpec, parseListenSpec } from './listen-spec.ts';
export { createStreamServer, StreamConnection, type LogFn, type StreamSink } from './tcp.ts';
export { loadTlsSettings, type TlsCertFiles, type TlsOptions, type TlsSettings } from './tls.ts';
export { UdpEndpoint } from './udp.ts';
export {
  TransportError,
  type ListenSpec,
  type Listener,
  type SendTarget,
  type TransportLayer,
} from './types.ts';
