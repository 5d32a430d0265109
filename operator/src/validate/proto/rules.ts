/**
 * MW2xx: strict decode of Envoy typed config into the real Envoy API protos of one Envoy
 * version, and the protoc-gen-validate (PGV) rules carried in their options.
 */
import { rules } from '../catalogue.js';

export const unknownField = rules.MW201;

export const unknownType = rules.MW202;

export const wrongCategory = rules.MW203;

export const badValue = rules.MW204;

export const oneofConflict = rules.MW205;

export const pgvViolation = rules.MW206;

export const typedStructHides = rules.MW207;

export const deprecatedField = rules.MW208;

export const protosetMissing = rules.MW209;

export const notChecked = rules.MW210;

export const mergeTypeMismatch = rules.MW211;
