/**
 * Conditions (Kubernetes API conventions: type/status/reason/message/observedGeneration/
 * lastTransitionTime, keyed by type) and the status a reconcile writes. Pure.
 *
 *   Accepted   the spec passed evaluate() (schema, rendering, the validator)
 *   Programmed the generated objects are applied as rendered from this generation
 *   Ready      both; its reason is what `kubectl get` shows
 */
import type { Condition, EffectiveLimit, GeneratedRef } from '../api/types.gen.js';
import type { Diagnostic } from '../diagnostics.js';
import { codesTagged, ruleOf } from '../validate/catalogue.js';

export const conditionTypes = ['Accepted', 'Programmed', 'Ready'] as const;
/** Plus `Effective` (effective.ts): set only when istiod is configured, so not among the first-visit conditions. */
export type ConditionType = (typeof conditionTypes)[number] | 'Effective';

export const reasons = {
  accepted: 'Accepted',
  applied: 'Applied',
  invalidSpec: 'InvalidSpec',
  validationFailed: 'ValidationFailed',
  targetNotFound: 'TargetNotFound',
  notOwned: 'NotOwned',
  applyFailed: 'ApplyFailed',
} as const;

export interface Status {
  observedGeneration?: number;
  conditions?: Condition[];
  generated?: GeneratedRef[];
  effective?: EffectiveLimit[];
}

export interface ConditionInput {
  type: ConditionType;
  status: Condition['status'];
  reason: string;
  message: string;
}

const maxMessage = 4000;

function clip(s: string): string {
  return s.length <= maxMessage ? s : `${s.slice(0, maxMessage - 20)} … (truncated)`;
}

/** One finding per line: `MW602 spec.limits[0].port: port 1234 is not a port of …`. */
export function formatFindings(diags: readonly Diagnostic[]): string {
  return diags.map((d) => `${d.rule} ${d.path || '(object)'}: ${d.message}`).join('; ');
}

const targetMissing = codesTagged('targetNotFound');

/** Why a spec is not accepted: schema errors, a missing target, or any other validator error. */
export function rejectionReason(errors: readonly Diagnostic[]): string {
  if (errors.some((d) => ruleOf(d.rule)?.layer === 'schema')) return reasons.invalidSpec;
  if (errors.some((d) => targetMissing.has(d.rule))) return reasons.targetNotFound;
  return reasons.validationFailed;
}

export interface Outcome {
  diagnostics: readonly Diagnostic[];
  /** Objects of the same name that belong to someone else. */
  conflicts: readonly string[];
  /** The error of the last write, if any. */
  applyError?: string;
  /** Whether last good objects remain from an earlier generation (only for the message). */
  keptPrevious?: boolean;
}

export function computeConditions(o: Outcome): ConditionInput[] {
  const errors = o.diagnostics.filter((d) => d.severity === 'error');
  const warnings = o.diagnostics.filter((d) => d.severity === 'warning');
  if (errors.length > 0) {
    const reason = rejectionReason(errors);
    const findings = clip(formatFindings(errors));
    const kept = o.keptPrevious ? '; the objects generated from the last valid spec stay in place' : '';
    return [
      { type: 'Accepted', status: 'False', reason, message: findings },
      { type: 'Programmed', status: 'False', reason, message: `not applied: the spec is invalid${kept}` },
      { type: 'Ready', status: 'False', reason, message: findings },
    ];
  }
  const accepted: ConditionInput = {
    type: 'Accepted',
    status: 'True',
    reason: reasons.accepted,
    message: warnings.length > 0 ? clip(`valid, with warnings: ${formatFindings(warnings)}`) : 'the spec is valid',
  };
  if (o.conflicts.length > 0) {
    const message = clip(`not applied: ${o.conflicts.join('; ')} already exist and are not managed by this resource`);
    return [accepted, { type: 'Programmed', status: 'False', reason: reasons.notOwned, message }, { type: 'Ready', status: 'False', reason: reasons.notOwned, message }];
  }
  if (o.applyError !== undefined) {
    const message = clip(o.applyError);
    return [accepted, { type: 'Programmed', status: 'False', reason: reasons.applyFailed, message }, { type: 'Ready', status: 'False', reason: reasons.applyFailed, message }];
  }
  return [
    accepted,
    { type: 'Programmed', status: 'True', reason: reasons.applied, message: 'the generated objects are applied' },
    { type: 'Ready', status: 'True', reason: reasons.applied, message: 'the generated configuration is applied' },
  ];
}

/** Merges new condition values into the existing list, keeping lastTransitionTime when the status did not change. */
export function setConditions(existing: readonly Condition[] | undefined, next: readonly ConditionInput[], generation: number | undefined, now: string): Condition[] {
  const out: Condition[] = (existing ?? []).filter((c) => !next.some((n) => n.type === c.type)).map((c) => ({ ...c }));
  for (const n of next) {
    const prior = existing?.find((c) => c.type === n.type);
    out.push({
      type: n.type,
      status: n.status,
      reason: n.reason,
      message: n.message,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: prior && prior.status === n.status ? prior.lastTransitionTime : now,
    });
  }
  const order = (t: string): number => {
    const i = (conditionTypes as readonly string[]).indexOf(t);
    return i < 0 ? conditionTypes.length : i;
  };
  return out.sort((a, b) => order(a.type) - order(b.type));
}

export interface Transition {
  type: string;
  from?: Condition['status'];
  to: Condition['status'];
  reason: string;
  message: string;
}

/** Conditions whose status or reason changed: each becomes an Event. Unknown (first visit) is not an event. */
export function transitions(before: readonly Condition[] | undefined, after: readonly Condition[]): Transition[] {
  const out: Transition[] = [];
  for (const c of after) {
    if (c.status === 'Unknown') continue;
    const b = before?.find((p) => p.type === c.type);
    if (b && b.status === c.status && b.reason === c.reason) continue;
    out.push({ type: c.type, ...(b ? { from: b.status } : {}), to: c.status, reason: c.reason, message: c.message });
  }
  return out;
}

/** Canonical JSON (sorted keys) for comparisons that must not depend on key order. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : val,
  );
}

export function statusEqual(a: Status | undefined, b: Status | undefined): boolean {
  return canonical(a ?? {}) === canonical(b ?? {});
}

/**
 * One Event for the transitions of one reconcile (fewer writes than one per condition):
 * Warning when any condition went False, its reason that of Ready when Ready moved; the note
 * lists every transition, e.g. `Accepted=True, Programmed=True, Ready=True: the generated …`.
 */
export function transitionEvent(ts: readonly Transition[]): { type: 'Normal' | 'Warning'; reason: string; note: string } | undefined {
  if (ts.length === 0) return undefined;
  const main = ts.find((t) => t.type === 'Ready') ?? ts.find((t) => t.to === 'False') ?? ts[0]!;
  const type = ts.some((t) => t.to === 'False') ? 'Warning' : 'Normal';
  return { type, reason: main.reason, note: `${ts.map((t) => `${t.type}=${t.to}`).join(', ')}: ${main.message}` };
}
