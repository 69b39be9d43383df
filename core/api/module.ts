/**
 * A module's front door (`modules/<name>/index.ts`) exports one `PolysipModule`: its KSR
 * declarations and, when it needs them, start/stop hooks. The composition root loads the
 * modules it is configured with and hands their exports to the registry.
 */
import type { KsrExport } from './registry.ts';
import type { RouteContext } from './context.ts';

export type KsrFunction = KsrExport<RouteContext>;

export interface PolysipModule {
  /** As in Kamailio (`sl`, `tm`, `registrar`…). */
  readonly name: string;
  readonly exports: readonly KsrFunction[];
  /** Released when the server stops (timers, connections). */
  stop?(): Promise<void> | void;
}
