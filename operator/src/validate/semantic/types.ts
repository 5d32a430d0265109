import type { EnvoyMinor } from '../../versions/table.js';

export type { EnvoyMinor };

export interface SemanticOptions {
  /** The config is a per-route config (typed_per_filter_config value), not an HTTP filter typed_config. */
  perRoute: boolean;
  envoyVersion: EnvoyMinor;
  /**
   * The config is merged into an existing one (EnvoyFilter MERGE): rules that depend on a field
   * being absent (filter_enabled, token_bucket, timeout, ...) are skipped.
   */
  partial?: boolean;
}
