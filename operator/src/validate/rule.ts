/**
 * The rule contract. Every rule is an entry of the catalogue (catalogue.ts, docs/adr/0113-rule-catalogue.md);
 * a layer takes its rule from there by code (`rules.MW301`) and reports `Finding`s through it; the
 * orchestrator attaches the object and the source position and turns them into `Diagnostic`s.
 *
 * Code ranges: MW1xx schema, MW2xx Envoy proto decode and PGV, MW3xx Envoy semantics,
 * MW4xx patches applied to the Istio baseline, MW5xx Lua/RE2/Wasm, MW6xx cross-object,
 * MW7xx the real Envoy as oracle (`meshwarden validate --envoy`).
 */
import type { Diagnostic, Severity } from '../diagnostics.js';
import type { ENVOY_BOUNDARIES } from '../versions/boundaries.js';
import type { EnvoyMinor } from '../versions/table.js';
import type { IstioFeatures } from './istio/versions.js';

export type Layer = 'schema' | 'proto' | 'semantic' | 'patch' | 'syntax' | 'cross' | 'oracle';

/**
 * What the shells need to know about a rule, so they read their sets from the catalogue
 * instead of listing codes:
 * - `clusterObjects`: the verdict depends on other objects existing right now (a Service, its
 *   ports, its pods). The admission webhook reports it as a warning, since Kubernetes does not
 *   make creation order matter; the controller reports it in status, the CLI keeps it an error.
 * - `offlineFacts`: needs cluster facts an input file may lack (the Service, its pods, the
 *   operator's defaults): `meshwarden migrate` notes it instead of failing the conversion.
 * - `targetNotFound`: status reason TargetNotFound rather than ValidationFailed.
 * - `locateAtKey`: the CLI points at the field's key, not its value (the value is not wrong).
 * - `istiodRejects`: the API server or istiod rejects the object (or istiod cannot read it),
 *   so it never takes part in other objects' checks.
 * - `istioShape`: a shape error of the Istio CRD schema: the object is judged no further.
 */
export type RuleTag = 'clusterObjects' | 'offlineFacts' | 'targetNotFound' | 'locateAtKey' | 'istiodRejects' | 'istioShape';

/** One entry of the catalogue: everything about a rule except its code, which is the entry's key. */
export interface RuleEntry {
  layer: Layer;
  /** Default severity. */
  severity: Severity;
  /** One line: what the rule rejects. */
  title: string;
  /** How to fix it, in general: the hint of a finding that gives none of its own. */
  hint: string;
  /**
   * Where the behaviour is documented: a URL (optionally followed by a note such as the
   * function name) or an issue reference `owner/repo#N`.
   */
  sources: readonly string[];
  /** Numbers of the rows of docs/failure-modes.md this rule covers. */
  failureModes?: readonly number[];
  /** The version boundaries at which the rule judges differently (versions/boundaries.ts, validate/istio/versions.ts). */
  versions?: { envoy?: ReadonlyArray<keyof typeof ENVOY_BOUNDARIES>; istio?: ReadonlyArray<keyof IstioFeatures> };
  /** The rule of the patch layer that reports the same problem more precisely: when both fire, only that one is kept. */
  duplicateOf?: string;
  tags?: readonly RuleTag[];
}

export interface RuleDoc extends RuleEntry {
  /** Stable code, never reused: `MW201`. */
  code: string;
}

/** A finding before it is attached to an object: the path is relative to what the layer was given. */
export type Finding = Omit<Diagnostic, 'object' | 'source'>;

export interface Rule extends RuleDoc {
  /** Builds a finding for this rule; `hint` defaults to the rule's, `severity` to the rule's. */
  finding(path: string, message: string, hint?: string, severity?: Severity): Finding;
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
