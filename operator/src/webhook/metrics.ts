/**
 * Webhook metrics under controller-runtime's names, so dashboards built for kubebuilder
 * operators work unchanged (controller-runtime pkg/webhook/internal/metrics), plus one
 * meshwarden series for the verdicts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface WebhookMetrics {
  registry: Registry;
  /** controller_runtime_webhook_requests_total{code,webhook} */
  requests: Counter<'code' | 'webhook'>;
  /** controller_runtime_webhook_latency_seconds{webhook} */
  latency: Histogram<'webhook'>;
  /** controller_runtime_webhook_requests_in_flight{webhook} */
  inFlight: Gauge<'webhook'>;
  /** meshwarden_webhook_admissions_total{kind,operation,allowed} */
  admissions: Counter<'kind' | 'operation' | 'allowed'>;
}

/**
 * Registers the series on `registry` (default: a new one with Node's default metrics).
 * Registering twice on one registry throws, as prom-client does: give each server its own
 * registry or share the operator's once.
 */
export function createWebhookMetrics(registry?: Registry): WebhookMetrics {
  const reg = registry ?? new Registry();
  if (!registry) collectDefaultMetrics({ register: reg });
  return {
    registry: reg,
    requests: new Counter({
      name: 'controller_runtime_webhook_requests_total',
      help: 'Total number of admission requests by HTTP status code.',
      labelNames: ['code', 'webhook'],
      registers: [reg],
    }),
    latency: new Histogram({
      name: 'controller_runtime_webhook_latency_seconds',
      help: 'Histogram of the latency of processing admission requests',
      labelNames: ['webhook'],
      // controller-runtime uses prometheus.DefBuckets; finer at the low end, where a 3 ms target lives.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [reg],
    }),
    inFlight: new Gauge({
      name: 'controller_runtime_webhook_requests_in_flight',
      help: 'Current number of admission requests being served.',
      labelNames: ['webhook'],
      registers: [reg],
    }),
    admissions: new Counter({
      name: 'meshwarden_webhook_admissions_total',
      help: 'Admission verdicts by kind, operation and outcome.',
      labelNames: ['kind', 'operation', 'allowed'],
      registers: [reg],
    }),
  };
}
