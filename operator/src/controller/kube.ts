/**
 * A thin REST client over the kubeconfig's TLS and auth settings (client-node's
 * `KubeConfig.applyToHTTPSOptions`): exact content types (server-side apply, merge and JSON
 * patches), raw JSON in and out (no generated-model round trip: `MicroTime` fields such as a
 * Lease's renewTime keep their microseconds), and the HTTP status on every error.
 */
import https from 'node:https';
import http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { K8sObject } from '../k8s-object.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function statusOf(e: unknown): number | undefined {
  if (e instanceof ApiError) return e.status;
  const err = e as { statusCode?: unknown; code?: unknown };
  if (typeof err?.statusCode === 'number') return err.statusCode;
  if (typeof err?.code === 'number') return err.code;
  return undefined;
}

export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;
export const isConflict = (e: unknown): boolean => statusOf(e) === 409;

export interface Resource {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export const resources = {
  SmartLimiter: { group: 'meshwarden.io', version: 'v1alpha1', plural: 'smartlimiters', namespaced: true },
  EnvoyPlugin: { group: 'meshwarden.io', version: 'v1alpha1', plural: 'envoyplugins', namespaced: true },
  EnvoyFilter: { group: 'networking.istio.io', version: 'v1alpha3', plural: 'envoyfilters', namespaced: true },
  WasmPlugin: { group: 'extensions.istio.io', version: 'v1alpha1', plural: 'wasmplugins', namespaced: true },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  Event: { group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true },
} satisfies Record<string, Resource>;

export type Kind = keyof typeof resources;

export function apiVersionOf(r: Resource): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** `/api/v1/namespaces/ns/pods/name` style paths; omit namespace for all namespaces. */
export function resourcePath(r: Resource, namespace?: string, name?: string, sub?: string): string {
  let p = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

export const contentTypes = {
  json: 'application/json',
  merge: 'application/merge-patch+json',
  jsonPatch: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** The requests the controller makes; an interface so reconcile logic can be tested with a fake. */
export interface Kube {
  request<T = K8sObject>(method: string, path: string, opts?: RequestOptions): Promise<T>;
}

export class KubeClient implements Kube {
  readonly #server: URL;
  #opts: https.RequestOptions | undefined;
  readonly #agent: https.Agent | http.Agent;
  /** Requests made, by verb; for metrics and tests. */
  requests = 0;

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.#server = new URL(cluster.server);
    this.#agent = this.#server.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 32 }) : new http.Agent({ keepAlive: true, maxSockets: 32 });
  }

  async #options(): Promise<https.RequestOptions> {
    // Re-apply each time when a token file may rotate; certificates are static.
    if (!this.#opts || this.kc.getCurrentUser()?.authProvider || this.kc.getCurrentUser()?.exec) {
      const o: https.RequestOptions = {};
      await this.kc.applyToHTTPSOptions(o);
      this.#opts = o;
    }
    return this.#opts;
  }

  async request<T = K8sObject>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const base = await this.#options();
    const url = new URL(this.#server.href.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...(base.headers as Record<string, string> | undefined), accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? contentTypes.json;
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    this.requests++;
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = mod.request(url, { ...base, method, headers, agent: this.#agent, timeout: opts.timeoutMs ?? 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve((text ? JSON.parse(text) : {}) as T);
            } catch (e) {
              reject(e);
            }
            return;
          }
          let reason = '';
          let message = text.slice(0, 2000);
          try {
            const s = JSON.parse(text) as { reason?: string; message?: string };
            reason = s.reason ?? '';
            message = s.message ?? message;
          } catch {
            /* not a Status */
          }
          reject(new ApiError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** Server-side apply of a whole object (JSON is YAML). `force` only for objects we own. */
export function applyObject(kube: Kube, r: Resource, obj: K8sObject, fieldManager: string, force: boolean, sub?: string): Promise<K8sObject> {
  return kube.request('PATCH', resourcePath(r, obj.metadata.namespace, obj.metadata.name, sub), {
    body: obj,
    contentType: contentTypes.apply,
    query: { fieldManager, force: force ? 'true' : undefined },
  });
}
