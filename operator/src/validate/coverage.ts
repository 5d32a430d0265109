/**
 * The failure modes of docs/failure-modes.md that no rule covers, with the reason.
 * Every other row must be named by some rule's `failureModes`; a test keeps it so.
 */
export const failureModeCount = 37;

export const uncoveredFailureModes: Readonly<Record<number, string>> = {
  35: 'A Wasm module built for an unsupported proxy-wasm ABI or importing WASI functions the host lacks is only visible in the module bytes, which meshwarden does not fetch; the oracle (`meshwarden validate --envoy`) does not load them either: file-backed sources never reach its sandboxed Envoy (MW704).',
};
