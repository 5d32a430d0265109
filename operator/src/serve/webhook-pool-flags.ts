/**
 * `meshwarden serve` flags bounding the admission webhook's work (docs/adr/0101-webhook-evaluation-pool.md):
 * the evaluation pool (workers, per-evaluation time and memory, queue) and the connection cap.
 * Defaults are eval-pool.ts's and server.ts's; only what is given is set.
 */
import type { WebhookServerOptions } from '../webhook/server.js';

export const webhookPoolFlagOptions = {
  'webhook-eval-workers': { type: 'string' },
  'webhook-eval-timeout': { type: 'string' },
  'webhook-eval-memory': { type: 'string' },
  'webhook-eval-queue': { type: 'string' },
  'webhook-max-connections': { type: 'string' },
} as const;

export const webhookPoolFlagsUsage = `        [--webhook-eval-workers 2] [--webhook-eval-timeout 4s] [--webhook-eval-memory 384Mi]
        [--webhook-eval-queue 64] [--webhook-max-connections 256]
        Each admission is judged in one of --webhook-eval-workers processes; one that runs past
        --webhook-eval-timeout (keep it well under the configuration's timeoutSeconds) or grows past
        --webhook-eval-memory is stopped and the request denied, naming the limit. When every worker
        is busy and --webhook-eval-queue requests wait, more are denied as "overloaded, retry".
        Pod memory: about 200 MiB + workers × --webhook-eval-memory.`;

export type WebhookPoolValues = { [K in keyof typeof webhookPoolFlagOptions]?: string };
export type WebhookPoolFlags = Pick<WebhookServerOptions, 'evaluation' | 'maxConnections'>;

export class WebhookPoolFlagError extends Error {}

function whole(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new WebhookPoolFlagError(`--${flag} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}

export function webhookPoolFromFlags(values: WebhookPoolValues): WebhookPoolFlags {
  const evaluation: NonNullable<WebhookServerOptions['evaluation']> = {};
  const v = values;
  if (v['webhook-eval-workers'] !== undefined) evaluation.size = whole(v['webhook-eval-workers'], 'webhook-eval-workers', 1, 64);
  if (v['webhook-eval-timeout'] !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(v['webhook-eval-timeout']);
    const ms = m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
    // The API server gives up after timeoutSeconds (at most 30 s): a later denial would never be read.
    if (!(ms >= 100 && ms <= 25_000)) throw new WebhookPoolFlagError(`--webhook-eval-timeout must be a duration from 100ms to 25s such as 4s, not "${v['webhook-eval-timeout']}"`);
    evaluation.timeoutMs = Math.round(ms);
  }
  if (v['webhook-eval-memory'] !== undefined) {
    const m = /^(\d+)(Mi|Gi)$/.exec(v['webhook-eval-memory']);
    const mb = m ? Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1) : NaN;
    // A warm validator takes about 200 MiB resident: less leaves no room to judge anything.
    if (!(mb >= 256 && mb <= 16_384)) throw new WebhookPoolFlagError(`--webhook-eval-memory must be a size from 256Mi to 16Gi such as 384Mi, not "${v['webhook-eval-memory']}"`);
    evaluation.rssMb = mb;
    // The heap cap trips first on ordinary JavaScript allocation, leaving the resident cap for buffers and native memory.
    evaluation.heapMb = Math.max(128, Math.round((mb * 2) / 3));
  }
  if (v['webhook-eval-queue'] !== undefined) evaluation.maxQueue = whole(v['webhook-eval-queue'], 'webhook-eval-queue', 0, 10_000);
  const out: WebhookPoolFlags = Object.keys(evaluation).length > 0 ? { evaluation } : {};
  if (v['webhook-max-connections'] !== undefined) out.maxConnections = whole(v['webhook-max-connections'], 'webhook-max-connections', 1, 100_000);
  return out;
}
