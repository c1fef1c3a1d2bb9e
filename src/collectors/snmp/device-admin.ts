// The SNMP device table as the component exposes it to readers and administrators (the HTTP API's
// /api/devices): config devices and API-added ones, their poll status, and writes to the latter.
import type { DeviceConfig } from './config.ts';
import type { Target } from './devices.ts';

export interface DeviceAdmin {
  /** Every target: config devices first, then API-added ones (a config device shadows an API one). */
  targets(): Target[];
  /** The poll status of one target, when it is polled. */
  status(id: string): Record<string, unknown> | undefined;
  /** Adds or replaces an API-added device and re-syncs the poller. */
  put(id: string, d: DeviceConfig): void;
  /** Removes an API-added device; false when there was none. */
  delete(id: string): boolean;
}
