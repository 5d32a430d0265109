/**
 * One decode's state and what every part of the decoder shares: the options, the path being
 * decoded, the findings (bounded), and what the findings depend on (see ./shared-decodes.ts).
 */
import type protobuf from 'protobufjs';
import { formatPath } from '../../../diagnostics.js';
import type { Finding, Rule } from '../../rule.js';
import type { ExtensionCategory } from '../categories.js';
import { rootVersion } from '../load.js';
import { lookupType, type TypeInfo } from './reflect.js';
import { rulesSignature, wholeSignature, type TypeUse } from './shared-decodes.js';

export interface DecodeOptions {
  /** Evaluate protoc-gen-validate rules (default true). */
  pgv?: boolean;
  /**
   * The JSON is a partial message merged into an existing one (EnvoyFilter `MERGE`): rules that
   * need a field to be present (required, min_len of an absent string, min_items of an absent list,
   * required oneofs) are not applied to absent fields.
   */
  partial?: boolean;
  /** Allowed extension categories of the top-level message's `typed_config` (Any) field, or of the top-level Any itself. */
  typedConfigCategories?: readonly ExtensionCategory[];
  /** Where the config is used, for messages: `applyTo: LISTENER_FILTER`. */
  context?: string;
  /** Stop after this many findings (default 100). */
  maxFindings?: number;
  /** Ignore an `@type` key at the top level (the JSON is the body of an Any whose type was checked by the caller). */
  skipTypeKey?: boolean;
  /**
   * Whose JSON parser the config meets first (default `istiod`).
   * - `istiod`: an EnvoyFilter `patch.value` is decoded by istiod (golang/protobuf `jsonpb`, unknown
   *   fields allowed): Durations are Go durations (`"60s"`, `"1m"`, `"500ms"`), and the object forms
   *   of Duration and wrappers, bools written as strings and enum names in the wrong case are errors.
   * - `envoy`: Envoy's own JSON/YAML loader (static bootstrap): Durations only as `"1.5s"` or
   *   `{seconds, nanos}`, wrappers also as `{value}`, bools also as strings, enum names in any case.
   */
  dialect?: 'istiod' | 'envoy';
}

/** A decode in progress; the decoder (../decode.ts) extends it with the walk through messages. */
export class DecodeState {
  readonly findings: Finding[] = [];
  readonly segs: Array<string | number> = [];
  readonly partial: boolean;
  private readonly max: number;
  protected depth = 0;
  protected full = false;
  readonly envoyDialect: boolean;
  /** What the findings depend on (see {@link DecodeDeps}); `undefined` once they depend on the whole Root. */
  deps: Map<string, TypeUse> | undefined = new Map();

  constructor(
    readonly root: protobuf.Root,
    readonly opts: DecodeOptions,
  ) {
    this.partial = opts.partial === true;
    this.max = opts.maxFindings ?? 100;
    this.envoyDialect = opts.dialect === 'envoy';
  }

  private path(extra?: string | number): string {
    if (extra === undefined) return formatPath(this.segs);
    this.segs.push(extra);
    const p = formatPath(this.segs);
    this.segs.pop();
    return p;
  }

  report(rule: Rule, message: string, hint?: string, extra?: string | number, severity?: Finding['severity']): void {
    if (this.full) return;
    this.findings.push(rule.finding(this.path(extra), message, hint, severity));
    if (this.findings.length >= this.max) this.full = true;
  }

  /** Looks a type up by name, recording what was found. */
  lookup(name: string): protobuf.Type | undefined {
    const type = lookupType(this.root, name);
    if (this.deps && !this.deps.has(name)) this.deps.set(name, { rules: type ? 0 : -1, whole: -1, keys: new Map(), ruled: [] });
    return type;
  }

  /** Records that the decode reads message `ti`; returns where to record the keys it reads. */
  protected use(ti: TypeInfo): TypeUse | undefined {
    if (!this.deps) return undefined;
    let u = this.deps.get(ti.fullName);
    if (!u) this.deps.set(ti.fullName, (u = { rules: 0, whole: -1, keys: new Map(), ruled: [] }));
    if (u.rules === 0) {
      u.rules = rulesSignature(ti) + 1;
      u.whole = wholeSignature(ti);
    }
    return u;
  }

  /** The findings being made depend on more than the types looked up. */
  rootWide(): void {
    this.deps = undefined;
  }

  get versionText(): string {
    this.rootWide();
    const v = rootVersion(this.root);
    return v ? `the Envoy ${v} API` : 'this Envoy API';
  }
}
