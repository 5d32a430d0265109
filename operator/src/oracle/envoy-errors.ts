/**
 * Why the oracle could not judge at all — as distinct from Envoy's verdict on a config. The
 * CLI reports these in one line with exit code 2 (not 1, which means findings); every
 * message is meant for the user and names the fix.
 */

/** The binary cannot be run, crashed, or the sandbox around it is unavailable. */
export class EnvoyUnavailableError extends Error {
  override name = 'EnvoyUnavailableError';
}

/** Envoy did not finish validating within the deadline (it was killed, with its sandbox). */
export class EnvoyTimeoutError extends EnvoyUnavailableError {
  override name = 'EnvoyTimeoutError';
}
