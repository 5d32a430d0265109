/**
 * Webhook certificates without cert-manager (the chart's default), for more than one replica.
 *
 * The API server trusts one caBundle and the webhook Service balances across replicas, so every
 * replica must serve a certificate signed by the same CA. A certificate generated per pod in its
 * own `--cert-dir` cannot give that. So the chart creates one empty Secret (`--cert-secret`);
 * the first replica to start fills it with a CA and a serving certificate (an update with the
 * read resourceVersion: a concurrent replica's write wins or loses cleanly, the loser reads the
 * winner's), every replica copies it into `--cert-dir`, and each patches the CA into the
 * ValidatingWebhookConfiguration's caBundle (`--webhook-configuration`). RBAC stays narrow: get
 * and update of that one Secret, get and patch of that one configuration (resourceNames); no
 * create, which resourceNames cannot restrict. Renewal (30 days before expiry, checked at start
 * and hourly) makes a new CA and keeps the old one in the bundle until every replica has moved.
 * See docs/adr/0089-webhook-certificates.md.
 */
import * as x509 from '@peculiar/x509';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { caFile, certFile, generateCertificates, keyFile } from './certs.js';
import { contentTypes, isConflict, resourcePath, statusOf, type Kube, type Resource } from '../controller/kube.js';

const secretResource: Resource = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
const webhookConfigurationResource: Resource = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', namespaced: false };

export interface SecretRef {
  namespace: string;
  name: string;
}

export interface CertificateSecretOptions {
  /** SANs of the serving certificate (the Service's DNS names). */
  dnsNames: string[];
  /** Validity of generated certificates (default 365 days). */
  days?: number;
  /** A certificate expiring sooner than this is replaced (default 30 days). */
  renewBeforeDays?: number;
  now?: () => number;
}

interface SecretObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  data?: Record<string, string>;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string | undefined => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

/**
 * Why the Secret's certificate cannot be used as it is, or undefined when it can: all three
 * files present, the leaf signed by the CA, covering every DNS name, not expiring within the
 * renewal window.
 */
export async function unusableReason(files: { ca?: string; cert?: string; key?: string }, o: CertificateSecretOptions): Promise<string | undefined> {
  if (!files.ca || !files.cert || !files.key) return 'empty';
  try {
    const ca = new x509.X509Certificate(files.ca);
    const leaf = new x509.X509Certificate(files.cert);
    if (!(await leaf.verify({ publicKey: ca, signatureOnly: true }))) return 'tls.crt is not signed by ca.crt';
    const renewAt = (o.now ?? Date.now)() + (o.renewBeforeDays ?? 30) * 86_400_000;
    if (leaf.notAfter.getTime() < renewAt) return `expires ${leaf.notAfter.toISOString()}`;
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    const names = new Set((san?.names.items ?? []).filter((n) => n.type === 'dns').map((n) => n.value));
    const missing = o.dnsNames.filter((n) => !names.has(n));
    if (missing.length > 0) return `does not cover ${missing.join(', ')}`;
  } catch (e) {
    return `unreadable: ${(e as Error).message}`;
  }
  return undefined;
}

/**
 * Writes ca.crt, tls.key, then tls.crt (each by rename: the server's watcher never sees a cert
 * without its key); nothing when the directory already holds this certificate.
 */
async function writeCertDir(dir: string, files: { ca: string; cert: string; key: string }): Promise<void> {
  const current = await readFile(join(dir, certFile), 'utf8').catch(() => undefined);
  const currentCa = await readFile(join(dir, caFile), 'utf8').catch(() => undefined);
  if (current === files.cert && currentCa === files.ca) return;
  await mkdir(dir, { recursive: true });
  const put = async (name: string, text: string, mode: number): Promise<void> => {
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, text, { mode });
    await rename(tmp, join(dir, name));
  };
  await put(caFile, files.ca, 0o644);
  await put(keyFile, files.key, 0o600);
  await put(certFile, files.cert, 0o644);
}

/** The first certificate of a PEM bundle, if it is still valid: trusted beside a new CA while replicas move over. */
function stillValidFirstCert(pem: string | undefined, now: number): string | undefined {
  const first = pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/)?.[0];
  if (!first) return undefined;
  try {
    return new x509.X509Certificate(first).notAfter.getTime() > now ? first.replace(/\n?$/, '\n') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes `ref` hold a usable CA and serving certificate (generating them when it does not) and
 * copies them into `certDir`. Returns the CA PEM and whether this call generated it.
 */
export async function syncCertificateSecret(kube: Kube, ref: SecretRef, certDir: string, o: CertificateSecretOptions): Promise<{ caPem: string; generated: boolean; replaced?: string }> {
  const path = resourcePath(secretResource, ref.namespace, ref.name);
  for (let attempt = 1; ; attempt++) {
    let secret: SecretObject;
    try {
      secret = await kube.request<SecretObject>('GET', path);
    } catch (e) {
      if (statusOf(e) === 404) throw new Error(`--cert-secret ${ref.namespace}/${ref.name} does not exist: create it empty (the Helm chart does); meshwarden fills it`, { cause: e });
      throw e;
    }
    const files = { ca: unb64(secret.data?.[caFile]), cert: unb64(secret.data?.[certFile]), key: unb64(secret.data?.[keyFile]) };
    const reason = await unusableReason(files, o);
    if (reason === undefined) {
      await writeCertDir(certDir, files as { ca: string; cert: string; key: string });
      return { caPem: files.ca!, generated: false };
    }
    const made = await generateCertificates({ dnsNames: o.dnsNames, ...(o.days !== undefined ? { days: o.days } : {}) });
    // Renewal: the bundle keeps trusting the previous CA, because the other replicas serve the old
    // certificate until their next sync (serve re-syncs hourly).
    const previousCa = stillValidFirstCert(files.ca, (o.now ?? Date.now)());
    const next = { ca: made.caCert + (previousCa ?? ''), cert: made.cert, key: made.key };
    try {
      // The CA key is not kept: a renewal makes a new CA (and patches the new caBundle).
      await kube.request('PUT', path, {
        body: { ...secret, data: { ...secret.data, [caFile]: b64(next.ca), [certFile]: b64(next.cert), [keyFile]: b64(next.key) } },
      });
    } catch (e) {
      // Another replica wrote first: read and use its certificate.
      if (isConflict(e) && attempt < 5) continue;
      throw e;
    }
    await writeCertDir(certDir, next);
    return { caPem: next.ca, generated: true, replaced: reason };
  }
}

interface WebhookConfigurationObject {
  webhooks?: Array<{ name: string; clientConfig?: { caBundle?: string } }>;
}

/**
 * Sets every webhook's clientConfig.caBundle in the ValidatingWebhookConfiguration `name` to
 * `caPem`. A JSON patch that tests each webhook's name at its index, so a concurrent edit
 * (webhooks reordered, added) fails the patch instead of landing on the wrong entry; then it
 * re-reads and tries again.
 */
export async function patchCaBundle(kube: Kube, name: string, caPem: string): Promise<'patched' | 'unchanged'> {
  const path = resourcePath(webhookConfigurationResource, undefined, name);
  const bundle = b64(caPem);
  for (let attempt = 1; ; attempt++) {
    const current = await kube.request<WebhookConfigurationObject>('GET', path);
    const ops = (current.webhooks ?? []).flatMap((w, i) =>
      w.clientConfig?.caBundle === bundle
        ? []
        : [
            { op: 'test', path: `/webhooks/${i}/name`, value: w.name },
            { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: bundle },
          ],
    );
    if (ops.length === 0) return 'unchanged';
    try {
      await kube.request('PATCH', path, { body: ops, contentType: contentTypes.jsonPatch, query: { fieldManager: 'meshwarden' } });
      return 'patched';
    } catch (e) {
      // 422 from a failed `test` op: the list changed under us.
      if ((statusOf(e) === 422 || isConflict(e)) && attempt < 5) continue;
      throw e;
    }
  }
}
