/**
 * The webhook's command-line flags, for `meshwarden serve` and `serve --webhook-only` to
 * spread into their parseArgs options (the names and defaults follow controller-runtime):
 *
 *   const { values } = parseArgs({ args, options: { ...serveOptions, ...webhookFlagOptions } });
 *   const wh = createWebhookServer({ ...webhookOptionsFromFlags(values, process.env), context, logger });
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebhookServerOptions } from './server.js';
import { serviceDnsNames } from './certs.js';

export const webhookFlagOptions = {
  'webhook-port': { type: 'string', default: '9443' },
  'webhook-bind-address': { type: 'string', default: '0.0.0.0' },
  'cert-dir': { type: 'string' },
  /** `name.namespace` of the webhook's Service: its DNS names go into a generated certificate. */
  'webhook-service': { type: 'string' },
  'webhook-max-body-bytes': { type: 'string' },
  'webhook-request-timeout': { type: 'string' },
  /** `NAMESPACE/NAME` of a Secret all replicas share their generated certificate through (ca-injection.ts). */
  'cert-secret': { type: 'string' },
  /** ValidatingWebhookConfiguration whose caBundle is set to the CA at start (when the CA is known). */
  'webhook-configuration': { type: 'string' },
} as const;

export const webhookFlagsUsage = `        [--webhook-port 9443] [--webhook-bind-address 0.0.0.0] [--cert-dir DIR]
        [--webhook-service NAME.NAMESPACE] [--webhook-request-timeout 5s]
        [--cert-secret NAMESPACE/NAME] [--webhook-configuration NAME]
        Admission webhook (every replica): HTTPS on --webhook-port, POST /validate. --cert-dir holds
        tls.crt/tls.key (reloaded on change) or is empty: a CA (ca.crt) and certificate are generated.
        --cert-secret: replicas share one generated certificate through this (pre-created) Secret.
        --webhook-configuration: patch the CA into this ValidatingWebhookConfiguration's caBundle.`;

export class WebhookFlagError extends Error {}

type Values = { [K in keyof typeof webhookFlagOptions]?: string };

export interface CaInjectionFlags {
  certSecret?: { namespace: string; name: string };
  webhookConfiguration?: string;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `--cert-secret` and `--webhook-configuration` (ca-injection.ts); both need cluster access. */
export function caInjectionFromFlags(values: Values): CaInjectionFlags {
  const out: CaInjectionFlags = {};
  const secret = values['cert-secret'];
  if (secret !== undefined) {
    const [namespace, name, ...rest] = secret.split('/');
    if (rest.length > 0 || !namespace || !name || !dnsLabel.test(namespace) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
      throw new WebhookFlagError(`--cert-secret must be NAMESPACE/NAME, not "${secret}"`);
    }
    if (values['webhook-service'] === undefined) throw new WebhookFlagError('--cert-secret needs --webhook-service (the names the shared certificate must cover)');
    out.certSecret = { namespace, name };
  }
  const config = values['webhook-configuration'];
  if (config !== undefined) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(config)) throw new WebhookFlagError(`--webhook-configuration must be an object name, not "${config}"`);
    out.webhookConfiguration = config;
  }
  return out;
}

/** controller-runtime's default cert dir. */
export const defaultCertDir = (): string => join(tmpdir(), 'k8s-webhook-server', 'serving-certs');

export function webhookOptionsFromFlags(values: Values, env: NodeJS.ProcessEnv = {}): Pick<WebhookServerOptions, 'port' | 'host' | 'certDir' | 'dnsNames' | 'maxBodyBytes' | 'requestTimeoutMs'> {
  const port = Number(values['webhook-port'] ?? '9443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new WebhookFlagError(`--webhook-port must be a port number, not "${values['webhook-port']}"`);
  const out: ReturnType<typeof webhookOptionsFromFlags> = {
    port,
    host: values['webhook-bind-address'] ?? '0.0.0.0',
    certDir: values['cert-dir'] ?? env.MESHWARDEN_CERT_DIR ?? defaultCertDir(),
  };
  const svc = values['webhook-service'];
  if (svc !== undefined) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(svc);
    if (!m) throw new WebhookFlagError(`--webhook-service must be NAME.NAMESPACE, not "${svc}"`);
    out.dnsNames = serviceDnsNames(m[1]!, m[3]!);
  }
  if (values['webhook-max-body-bytes'] !== undefined) {
    const n = Number(values['webhook-max-body-bytes']);
    if (!Number.isInteger(n) || n < 1024) throw new WebhookFlagError('--webhook-max-body-bytes must be a whole number >= 1024');
    out.maxBodyBytes = n;
  }
  if (values['webhook-request-timeout'] !== undefined) {
    const m = /^(\d+)(ms|s)$/.exec(values['webhook-request-timeout']);
    if (!m) throw new WebhookFlagError(`--webhook-request-timeout must be a duration such as 5s or 2500ms`);
    out.requestTimeoutMs = m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
  }
  return out;
}
