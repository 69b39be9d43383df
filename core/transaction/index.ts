/** Public API of the transaction layer (RFC 3261 §17, RFC 6026). */
export {
  TransactionLayer,
  type TransactionLayerOptions,
  type TransactionStats,
  type TxLogger,
} from './layer.ts';
export {
  ServerTransaction,
  type ServerState,
  type ServerTxOwner,
  type RetransmissionOutcome,
} from './server-tx.ts';
export { ClientTransaction, type ClientState, type ClientTxUser } from './client-tx.ts';
export {
  TimerHeap,
  TimerNode,
  DEFAULT_TIMERS,
  type TimerConfig,
  type TimerTarget,
} from './timers.ts';
export { buildAck, buildCancel } from './build.ts';
export { serverKey, clientKey, responseKey, dialogKey, isRfc3261Branch } from './keys.ts';
export type { TxHost } from './host.ts';
