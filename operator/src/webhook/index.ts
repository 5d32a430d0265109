/** The admission webhook: HTTPS server, pure admission decision, certificates, configuration, metrics. */
export { createWebhookServer, validatePath, type WebhookServer, type WebhookServerOptions } from './server.js';
export { admit, defaultLimits, clusterFactRules, validatedKinds, type AdmissionLimits, type AdmissionOptions, type AdmissionOutcome } from './admission.js';
export { ensureServingCertificate, generateCertificates, serviceDnsNames } from './certs.js';
export { validatingWebhookConfiguration, meshwardenWebhookName, istioWebhookName, type WebhookConfigurationOptions, type FailurePolicy } from './configuration.js';
export { createWebhookMetrics, type WebhookMetrics } from './metrics.js';
export { webhookFlagOptions, webhookFlagsUsage, webhookOptionsFromFlags, caInjectionFromFlags, defaultCertDir, WebhookFlagError, type CaInjectionFlags } from './flags.js';
export { syncCertificateSecret, patchCaBundle } from './ca-injection.js';
export { helmTemplate } from './configuration.js';
