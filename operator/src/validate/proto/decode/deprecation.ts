/**
 * Deprecated fields and enum values (MW208): Envoy accepts them with a warning and may reject
 * them in a later release.
 */
import type protobuf from 'protobufjs';
import { deprecatedField } from '../rules.js';
import type { FieldInfo, TypeInfo } from './reflect.js';
import type { DecodeState } from './state.js';

/** Default-valued JSON: Envoy warns about a deprecated field only when it is set to something. */
function isEmptyJson(v: unknown): boolean {
  return v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}

/** Field `fi` of `ti`, deprecated, is given as `v` at key `key` of the current object. */
export function deprecatedFieldSet(d: DecodeState, ti: TypeInfo, fi: FieldInfo, v: unknown, key: string): void {
  if (isEmptyJson(v)) return;
  d.report(
    deprecatedField,
    `"${fi.name}" of ${ti.fullName} is deprecated in ${d.versionText}`,
    "Envoy logs a deprecation warning for it and may reject it in a later release; see the field's documentation for its replacement",
    key,
  );
}

export function deprecatedEnum(d: DecodeState, e: protobuf.Enum, valueName: string): void {
  const vo = (e as unknown as { valuesOptions?: Record<string, Record<string, unknown> | undefined> }).valuesOptions;
  if (vo?.[valueName]?.['deprecated'] === true) {
    d.report(deprecatedField, `enum value ${valueName} of ${e.fullName.slice(1)} is deprecated in ${d.versionText}`);
  }
}
