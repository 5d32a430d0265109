/**
 * The webhook's serving certificate. `--cert-dir` either holds `tls.crt`/`tls.key` (from
 * cert-manager or a mounted Secret: used as they are, reloaded when they change), or is
 * empty: then a CA and a serving certificate signed by it are generated there, and `ca.crt`
 * is what goes into the ValidatingWebhookConfiguration's caBundle (as Pepr and istiod do).
 * ECDSA P-256 with SHA-256, through node:crypto WebCrypto and @peculiar/x509.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const certFile = 'tls.crt';
export const keyFile = 'tls.key';
export const caFile = 'ca.crt';

export interface ServingCertificate {
  cert: string;
  key: string;
  /** PEM of the CA that signed `cert`, when the directory has a `ca.crt`. */
  ca?: string;
  /** True when this call generated the files. */
  generated: boolean;
}

export interface CertOptions {
  /** Subject alternative names besides 127.0.0.1 and localhost, e.g. `meshwarden-webhook.meshwarden-system.svc`. */
  dnsNames?: string[];
  /** Validity of generated certificates in days (default 365). */
  days?: number;
}

/** In-cluster DNS names of a Service, as the API server may dial them. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/**
 * Uses `dir/tls.crt` + `dir/tls.key` when both exist; otherwise generates `ca.crt`, `ca.key`,
 * `tls.crt` and `tls.key` there. One of the pair without the other is an error (a
 * half-mounted Secret must not be silently replaced by a self-signed certificate).
 */
export async function ensureServingCertificate(dir: string, opts: CertOptions = {}): Promise<ServingCertificate> {
  const hasCert = existsSync(join(dir, certFile));
  const hasKey = existsSync(join(dir, keyFile));
  if (hasCert !== hasKey) throw new Error(`${dir} has ${hasCert ? certFile : keyFile} but not ${hasCert ? keyFile : certFile}`);
  if (hasCert) return { ...(await readServingCertificate(dir)), generated: false };
  await mkdir(dir, { recursive: true });
  const made = await generateCertificates(opts);
  // The key first and the certificate last, each by rename: a watcher never sees a cert without its key.
  const put = async (name: string, text: string, mode: number): Promise<void> => {
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, text, { mode });
    await rename(tmp, join(dir, name));
  };
  await put(caFile, made.caCert, 0o644);
  await put('ca.key', made.caKey, 0o600);
  await put(keyFile, made.key, 0o600);
  await put(certFile, made.cert, 0o644);
  return { cert: made.cert, key: made.key, ca: made.caCert, generated: true };
}

export async function readServingCertificate(dir: string): Promise<Omit<ServingCertificate, 'generated'>> {
  const [cert, key] = await Promise.all([readFile(join(dir, certFile), 'utf8'), readFile(join(dir, keyFile), 'utf8')]);
  const ca = existsSync(join(dir, caFile)) ? await readFile(join(dir, caFile), 'utf8') : undefined;
  return { cert, key, ...(ca !== undefined ? { ca } : {}) };
}

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

/** A fresh CA and a serving certificate for 127.0.0.1, localhost and `opts.dnsNames`. */
export async function generateCertificates(opts: CertOptions = {}): Promise<{ caCert: string; caKey: string; cert: string; key: string }> {
  const days = opts.days ?? 365;
  const notBefore = new Date(Date.now() - 5 * 60_000); // clock skew
  const notAfter = new Date(Date.now() + days * 86_400_000);
  const gen = (): Promise<CryptoKeyPair> => webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const [caKeys, keys] = await Promise.all([gen(), gen()]);

  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=meshwarden-webhook-ca',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const dns = [...new Set(['localhost', ...(opts.dnsNames ?? []).filter((n) => !isIP(n))])];
  const ips = [...new Set(['127.0.0.1', ...(opts.dnsNames ?? []).filter((n) => isIP(n))])];
  const leaf = await x509.X509CertificateGenerator.create({
    subject: `CN=${dns.find((n) => n !== 'localhost') ?? 'localhost'}`,
    issuer: ca.subject,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([...dns.map((value) => ({ type: 'dns' as const, value })), ...ips.map((value) => ({ type: 'ip' as const, value }))]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    caCert: ca.toString('pem') + '\n',
    caKey: await pkcs8Pem(caKeys.privateKey),
    cert: leaf.toString('pem') + '\n',
    key: await pkcs8Pem(keys.privateKey),
  };
}
