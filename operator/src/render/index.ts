import type { EnvoyPlugin, SmartLimiter } from '../api/types.gen.js';
import type { RenderContext } from './context.js';
import { renderEnvoyPlugin } from './envoyplugin.js';
import type { RenderResult } from './result.js';
import { renderSmartLimiter } from './smartlimiter.js';

export type MeshwardenResource = SmartLimiter | EnvoyPlugin;

/** Renders a schema-valid SmartLimiter or EnvoyPlugin. */
export function render(resource: MeshwardenResource, ctx: RenderContext): RenderResult {
  return resource.kind === 'SmartLimiter' ? renderSmartLimiter(resource, ctx) : renderEnvoyPlugin(resource, ctx);
}

export type { RenderContext } from './context.js';
export type { RenderResult } from './result.js';
