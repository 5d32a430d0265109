/**
 * The rule catalogue contract. Every validator layer declares its rules with
 * `defineRule` and reports `Finding`s; the orchestrator attaches the object and the
 * source position and turns them into `Diagnostic`s.
 *
 * Code ranges: MW1xx schema, MW2xx Envoy proto decode and PGV, MW3xx Envoy semantics,
 * MW4xx patches applied to the Istio baseline, MW5xx Lua/RE2/Wasm, MW6xx cross-object,
 * MW7xx the real Envoy as oracle (`meshwarden validate --envoy`).
 */
import type { Diagnostic, Severity } from '../diagnostics.js';
import type { EnvoyMinor } from '../versions/table.js';

export type Layer = 'schema' | 'proto' | 'semantic' | 'patch' | 'syntax' | 'cross' | 'oracle';

export interface RuleDoc {
  /** Stable code, never reused: `MW201`. */
  code: string;
  layer: Layer;
  /** Default severity. */
  severity: Severity;
  /** One line: what the rule rejects. */
  title: string;
  /** Where the behaviour is documented (Envoy/Istio source or issue link). */
  source: string;
  /** Numbers of the rows of shared/docs/failure-modes.md this rule covers. */
  failureModes?: number[];
}

/** A finding before it is attached to an object: the path is relative to what the layer was given. */
export type Finding = Omit<Diagnostic, 'object' | 'source'>;

const catalogue = new Map<string, RuleDoc>();

export interface Rule extends RuleDoc {
  /** Builds a finding for this rule; `severity` defaults to the rule's. */
  finding(path: string, message: string, hint?: string, severity?: Severity): Finding;
}

export function defineRule(doc: RuleDoc): Rule {
  if (!/^MW[1-7]\d\d$/.test(doc.code)) throw new Error(`bad rule code ${doc.code}`);
  if (catalogue.has(doc.code)) throw new Error(`rule ${doc.code} defined twice`);
  catalogue.set(doc.code, doc);
  return {
    ...doc,
    finding: (path, message, hint, severity) => ({
      rule: doc.code,
      severity: severity ?? doc.severity,
      message,
      path,
      ...(hint !== undefined ? { hint } : {}),
    }),
  };
}

/** Every rule defined so far, sorted by code. Import the layers first to fill it. */
export function allRules(): RuleDoc[] {
  return [...catalogue.values()].sort((a, b) => a.code.localeCompare(b.code));
}

/** Prefixes a relative finding path with the path of the node the layer was given. */
export function joinPath(prefix: string, rel: string): string {
  if (rel === '') return prefix;
  if (prefix === '') return rel;
  return rel.startsWith('[') ? prefix + rel : `${prefix}.${rel}`;
}

/**
 * A rule's good and bad example, shared by the layers' tests: the bad one must give the
 * rule's finding at `path`, the good one must not; where Envoy can judge, `envoy` says what
 * the real binary does with the bad one.
 */
export interface RuleFixture {
  rule: string;
  good: Record<string, unknown>;
  bad: Record<string, unknown>;
  /** Path of the finding for `bad`. */
  path: string;
  severity?: 'error' | 'warning' | 'info';
  envoy?: 'reject' | 'accept';
  /** Envoy versions where `envoy` holds (default: both). */
  versions?: EnvoyMinor[];
  /** Substring of Envoy's error for `bad` (checked when envoy === 'reject'). */
  envoyText?: string;
}
