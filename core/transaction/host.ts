/** What a transaction needs from the layer that owns it (kept small so the FSMs test alone). */
import type { SendTarget } from '../transport/types.ts';
import type { TimerConfig, TimerHeap } from './timers.ts';

export interface TxHost {
  readonly heap: TimerHeap;
  readonly config: TimerConfig;
  /** Sends; resolves false (after logging) when the transport refused. */
  send(target: SendTarget, data: Buffer): Promise<boolean>;
  /** A transaction reached Terminated: drop it from the tables. */
  released(tx: object): void;
  log(level: 'debug' | 'info' | 'warn', msg: string, fields?: Record<string, unknown>): void;
}

export function isReliable(transport: string): boolean {
  return transport !== 'udp';
}
