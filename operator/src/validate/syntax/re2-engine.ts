/**
 * The one place that loads RE2. Envoy compiles `safe_regex` with Google's RE2 and istiod matches
 * `proxyVersion` with Go's regexp (RE2 syntax); we run the same C++ RE2 through the `re2` addon.
 * A WebAssembly build would install without a compiler, but the one published (re2-wasm 1.0.2)
 * aborts on patterns Envoy accepts: docs/adr/0118-re2-engine.md has the measurements and what a
 * replacement must pass. Swapping the engine is a change to this file only.
 */
import RE2 from 're2';

export interface Re2Matcher {
  /** Unanchored search, as Envoy's `PartialMatch` and Go's `MatchString`. */
  test(input: string): boolean;
}

/** Compiles `pattern`; throws an Error with RE2's own message (e.g. `invalid perl operator: (?=`) when it is not valid RE2. */
export function compileRe2(pattern: string): Re2Matcher {
  return new RE2(pattern, 'u');
}

/** RE2's own error message for `pattern`, or undefined when it compiles. */
export function re2SyntaxError(pattern: string): string | undefined {
  try {
    compileRe2(pattern);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
