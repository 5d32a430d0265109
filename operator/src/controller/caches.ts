/**
 * The informer caches the controllers, reconciler and effective-state tracker read: one per
 * watched kind. Its own module so that each of them can name the caches without importing another.
 */
import type { K8sObject } from '../k8s-object.js';
import type { Pod, Service } from '../render/context.js';
import type { Cache } from './informers.js';

export type ResourceKind = 'SmartLimiter' | 'EnvoyPlugin';

export interface Caches {
  SmartLimiter: Cache<K8sObject>;
  EnvoyPlugin: Cache<K8sObject>;
  EnvoyFilter: Cache<K8sObject>;
  WasmPlugin: Cache<K8sObject>;
  Service: Cache<Service>;
  Pod: Cache<Pod>;
}
