/**
 * Loads the per-Envoy-version FileDescriptorSets written by scripts/build-protosets.sh
 * (`.tools/protos/envoy-1.NN.pb`, generated from go-control-plane/envoy, never committed) into
 * protobufjs Roots, once per version and only when first asked for.
 *
 * protobufjs' descriptor import keeps only the options descriptor.proto knows. To keep the
 * protoc-gen-validate rules we decode the set with a descriptor.proto root that also carries
 * validate.proto's and udpa's option extensions (taken from the set itself), then copy them onto
 * the reflection objects under the keys protobufjs uses for custom options:
 *   field.options['(validate.rules)']      plain object, camelCase keys (`{ string: { minLen: 1 } }`)
 *   type.options['(validate.disabled)'], type.options['(validate.ignored)']
 *   type.options['(udpa.annotations.versioning).previous_message_type']
 *   oneof.options['(validate.required)']
 * See docs/adr/0020-envoy-protos-per-version.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor.js';
import { envoyMinors, isEnvoyMinor, VERSION_TABLE, type EnvoyMinor } from '../../versions/table.js';
import { howToGet, resolvedDataDir } from '../../util/validator-data.js';

/** Envoy minors we build descriptor sets for: every row of the version table. */
export const ENVOY_VERSIONS: readonly EnvoyMinor[] = envoyMinors();
export type EnvoyVersion = EnvoyMinor;

/** Istio minor → Envoy minor of its istio-proxy (the version table's pairs). */
export const ISTIO_TO_ENVOY: Readonly<Record<string, EnvoyVersion>> = Object.fromEntries(VERSION_TABLE.map((r) => [r.istio, r.envoy]));

export function isEnvoyVersion(v: string): v is EnvoyVersion {
  return isEnvoyMinor(v);
}

/** What scripts/build-protosets.sh records next to each set (`envoy-1.NN.json`). */
export interface ProtosetMeta {
  envoyVersion: string;
  goControlPlane: string;
  modules: Record<string, string>;
  files: number;
  messages: number;
  enums: number;
}

export interface ProtoSchema {
  version: EnvoyVersion;
  root: protobuf.Root;
  meta?: ProtosetMeta;
  /** Path of the .pb file it was loaded from. */
  file: string;
}

/** Thrown when the descriptor set of a version has not been built. */
export class ProtosetMissingError extends Error {
  readonly version: string;
  readonly file: string;
  constructor(version: string, file: string) {
    super(`the Envoy ${version} proto descriptor set is missing (${file}); ${howToGet({ kind: 'protos', version })}`);
    this.name = 'ProtosetMissingError';
    this.version = version;
    this.file = file;
  }
}

/** Thrown when a set exists but cannot be decoded (truncated or not a FileDescriptorSet): as good as missing. */
export class ProtosetUnreadableError extends ProtosetMissingError {
  constructor(version: string, file: string, cause: unknown) {
    super(version, file);
    this.message = `the Envoy ${version} proto descriptor set ${file} cannot be read (${cause instanceof Error ? cause.message : String(cause)}); replace it: ${howToGet({ kind: 'protos', version })}`;
    this.name = 'ProtosetUnreadableError';
  }
}

let protosDirOverride: string | undefined;

/** Sets the directory holding `envoy-1.NN.pb` (tests, packaged images); `undefined` restores the default. */
export function setProtosDir(dir: string | undefined): void {
  protosDirOverride = dir;
}

/**
 * Where the sets live: {@link setProtosDir}, else `$MESHWARDEN_PROTOS_DIR`, else the installed
 * package's `data/protos`, else the checkout's `.tools/protos` (util/validator-data.ts).
 */
export function protosDir(): string {
  return protosDirOverride ?? resolvedDataDir('protos');
}

export function protosetFile(version: string): string {
  return join(protosDir(), `envoy-${version}.pb`);
}

/** True when the set for `version` has been built. */
export function hasProtoset(version: string): boolean {
  return existsSync(protosetFile(version));
}

const cache = new Map<string, ProtoSchema>();
const versionOfRoot = new WeakMap<protobuf.Root, EnvoyVersion>();

/** The Envoy version a Root was loaded for, if it came from {@link loadProtoSchema}. */
export function rootVersion(root: protobuf.Root): EnvoyVersion | undefined {
  return versionOfRoot.get(root);
}

/** Schemas loaded so far (used for "exists in another version" hints without loading more). */
export function loadedSchemas(): ProtoSchema[] {
  return [...cache.values()];
}

/** Loads (once) the descriptor set of an Envoy version. Throws {@link ProtosetMissingError}. */
export function loadProtoSchema(version: EnvoyVersion): ProtoSchema {
  const key = `${protosDir()}\0${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const file = protosetFile(version);
  if (!existsSync(file)) throw new ProtosetMissingError(version, file);
  let root: protobuf.Root;
  try {
    root = rootFromDescriptorSet(readFileSync(file));
  } catch (e) {
    throw new ProtosetUnreadableError(version, file, e);
  }
  let meta: ProtosetMeta | undefined;
  const metaFile = file.replace(/\.pb$/, '.json');
  if (existsSync(metaFile)) meta = JSON.parse(readFileSync(metaFile, 'utf8')) as ProtosetMeta;
  const schema: ProtoSchema = { version, root, file, ...(meta ? { meta } : {}) };
  cache.set(key, schema);
  versionOfRoot.set(root, version);
  return schema;
}

/** Shorthand for `loadProtoSchema(version).root`. */
export function loadRoot(version: EnvoyVersion): protobuf.Root {
  return loadProtoSchema(version).root;
}

/** Forgets loaded sets (tests). */
export function clearProtoCache(): void {
  cache.clear();
}

// ---------------------------------------------------------------------------------------------

const OPTION_FILES = ['google/protobuf/descriptor.proto', 'google/protobuf/duration.proto', 'google/protobuf/timestamp.proto', 'validate/validate.proto', 'udpa/annotations/versioning.proto'];

/** `message FileDescriptorSet { repeated bytes file = 1; }` and `message F { string name = 1; }`. */
const lazyRoot = protobuf.Root.fromJSON({
  nested: {
    RawSet: { fields: { file: { rule: 'repeated', type: 'bytes', id: 1 } } },
    NameOnly: { fields: { name: { type: 'string', id: 1 } } },
  },
});
const RawSet = lazyRoot.lookupType('RawSet');
const NameOnly = lazyRoot.lookupType('NameOnly');

type Obj = Record<string, unknown>;
interface DescMessage {
  name: string;
  field?: Array<{ name: string; options?: Obj | null }>;
  nestedType?: DescMessage[];
  oneofDecl?: Array<{ name: string; options?: Obj | null }>;
  options?: Obj | null;
}
interface DescFile {
  name: string;
  package?: string;
  messageType?: DescMessage[];
}

/** Builds a Root from FileDescriptorSet bytes, keeping PGV and versioning options. */
export function rootFromDescriptorSet(bytes: Uint8Array): protobuf.Root {
  // 1. The few files that define the option extensions, decoded with protobufjs' own descriptor types.
  const raw = RawSet.decode(bytes) as unknown as { file: Uint8Array[] };
  const optionFiles: unknown[] = [];
  for (const f of raw.file) {
    const name = (NameOnly.decode(f) as unknown as { name: string }).name;
    if (OPTION_FILES.includes(name)) optionFiles.push(descriptorExt.FileDescriptorProto.decode(f));
  }
  // 2. A descriptor root whose *Options messages know validate.* and udpa.* extensions.
  const optRoot = protobuf.Root.fromDescriptor({ file: optionFiles } as never);
  const FileDescriptorSet = optRoot.lookupType('google.protobuf.FileDescriptorSet');
  const FieldRules = optRoot.lookupTypeOrEnum('validate.FieldRules') as protobuf.Type | undefined;
  const set = FileDescriptorSet.decode(bytes) as unknown as { file: DescFile[] };
  // 3. The reflection root (proto field names kept; JSON names are on field.jsonName).
  const root = protobuf.Root.fromDescriptor(set as never, { keepCase: true });
  // 4. Copy the extension options onto the reflection objects.
  const toObj = (m: unknown): Obj => (FieldRules ? FieldRules.toObject(m as protobuf.Message, { longs: Number, enums: String, bytes: String }) : {});
  const visit = (m: DescMessage, scope: string): void => {
    const fullName = scope ? `${scope}.${m.name}` : m.name;
    const type = root.lookup(fullName) as protobuf.Type | null;
    if (!type || !(type instanceof protobuf.Type)) return;
    const mo = m.options;
    if (mo) {
      const opts = (type.options ??= {});
      if (mo['.validate.disabled']) opts['(validate.disabled)'] = true;
      if (mo['.validate.ignored']) opts['(validate.ignored)'] = true;
      const ver = mo['.udpa.annotations.versioning'] as { previousMessageType?: string } | undefined;
      if (ver?.previousMessageType) opts['(udpa.annotations.versioning).previous_message_type'] = ver.previousMessageType;
    }
    for (const fd of m.field ?? []) {
      const rules = fd.options?.['.validate.rules'];
      if (!rules) continue;
      const field = type.fields[fd.name];
      if (field) (field.options ??= {})['(validate.rules)'] = toObj(rules);
    }
    for (const od of m.oneofDecl ?? []) {
      if (od.options?.['.validate.required']) {
        const oneof = type.oneofs?.[od.name];
        if (oneof) (oneof.options ??= {})['(validate.required)'] = true;
      }
    }
    for (const n of m.nestedType ?? []) visit(n, fullName);
  };
  for (const f of set.file) for (const m of f.messageType ?? []) visit(m, f.package ?? '');
  return root;
}
