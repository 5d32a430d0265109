/**
 * Asks istiod which config each connected proxy accepted: the `istio.io/debug/syncz` type that
 * `istioctl proxy-status` reads, over the ADS stream of istiod's xDS port
 * (envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources).
 *
 * istiod (pilot/pkg/xds/statusgen.go) answers one DiscoveryResponse with one
 * envoy.service.status.v3.ClientConfig per proxy connected to *that* replica: node.id is the
 * proxy ID (`<pod>.<namespace>`), and per watched xDS type a config_status computed from the
 * connection's nonces — ERROR when the last response was NACKed (cleared by the next ACK),
 * NOT_SENT, SYNCED (nonce acked == nonce sent) or STALE (sent, not acked yet) — last_updated
 * (when istiod last sent that type) and, on ERROR, error_state.details (Envoy's NACK text).
 * There is no version: correlation with our writes is by time (see effective.ts, ADR 0085).
 *
 * Authorisation (istiod's ENABLE_DEBUG_ENDPOINT_AUTH, default on): debug types need a verified
 * identity, which istiod only has for an authenticated stream — TLS on 15012 with a Kubernetes
 * service account token (audience istio-ca) whose namespace is istiod's root namespace or listed
 * in DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES; other namespaces see only their own proxies. On the
 * plaintext port 15010 istiod answers only with ENABLE_DEBUG_ENDPOINT_AUTH=false (tests, or
 * XDS_AUTH_PLAINTEXT=true with a token).
 *
 * One short stream per query (request → first response → cancel) over one HTTP/2 channel per
 * address, kept open: re-requesting a type on an open stream would be read as an ACK and not
 * answered.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ClientConfig, DiscoveryRequest, DiscoveryResponse, clientConfigTypeUrl, stringStruct, timestampMs, toObjectOptions, type ClientConfigObject, type ConfigStatus } from './messages.js';

export const synczTypeUrl = 'istio.io/debug/syncz';
const adsMethod = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

export interface XdsTypeStatus {
  typeUrl: string;
  status: ConfigStatus;
  /** When istiod last sent this type to the proxy (istiod's clock, ms). */
  lastSentMs?: number;
  /** The NACK: Envoy's error text and the send it answered. */
  error?: { details: string; atMs?: number };
}

export interface ProxySync {
  /** istiod's proxy ID: `<pod name>.<namespace>` for Kubernetes workloads. */
  id: string;
  namespace?: string;
  istioVersion?: string;
  /** The istiod address that reported it. */
  istiod: string;
  types: XdsTypeStatus[];
}

export interface SynczOptions {
  /** A service account token (re-read on every query: projected tokens rotate); sent as `authorization: Bearer`. */
  tokenFile?: string;
  /** PEM CA bundle of istiod's serving certificate: TLS (port 15012) instead of plaintext. */
  caFile?: string;
  /** Server name to verify istiod's certificate against, e.g. istiod.istio-system.svc. */
  serverName?: string;
  /** Per-query deadline. */
  timeoutMs?: number;
  /** Our node's namespace and service account (istiod matches them against the token's identity). */
  namespace?: string;
  serviceAccount?: string;
}

/** The namespace and service account a Kubernetes service account token names (unverified: istiod verifies it). */
export function tokenIdentity(token: string): { namespace?: string; serviceAccount?: string } {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      'kubernetes.io'?: { namespace?: string; serviceaccount?: { name?: string } };
      sub?: string;
    };
    const k = payload['kubernetes.io'];
    if (k?.namespace) return { namespace: k.namespace, ...(k.serviceaccount?.name ? { serviceAccount: k.serviceaccount.name } : {}) };
    const m = /^system:serviceaccount:([^:]+):(.+)$/.exec(payload.sub ?? '');
    return m ? { namespace: m[1]!, serviceAccount: m[2]! } : {};
  } catch {
    return {};
  }
}

/** Decodes one syncz DiscoveryResponse into per-proxy statuses. */
export function decodeSyncz(body: Buffer, istiod: string): ProxySync[] {
  const res = DiscoveryResponse.toObject(DiscoveryResponse.decode(body), toObjectOptions) as { resources?: Array<{ type_url?: string; value?: Uint8Array }> };
  const out: ProxySync[] = [];
  for (const any of res.resources ?? []) {
    if (any.type_url !== clientConfigTypeUrl || !any.value) continue;
    const cc = ClientConfig.toObject(ClientConfig.decode(any.value), toObjectOptions) as ClientConfigObject;
    const meta = cc.node?.metadata?.fields ?? {};
    const p: ProxySync = {
      id: cc.node?.id ?? '',
      istiod,
      types: (cc.generic_xds_configs ?? []).map((g) => {
        const t: XdsTypeStatus = { typeUrl: g.type_url ?? '', status: g.config_status ?? 'UNKNOWN' };
        const sent = timestampMs(g.last_updated);
        if (sent !== undefined) t.lastSentMs = sent;
        if (g.error_state?.details) {
          const at = timestampMs(g.error_state.last_update_attempt);
          t.error = { details: g.error_state.details, ...(at !== undefined ? { atMs: at } : {}) };
        }
        return t;
      }),
    };
    const ns = meta.NAMESPACE?.string_value;
    if (ns) p.namespace = ns;
    const v = meta.ISTIO_VERSION?.string_value;
    if (v) p.istioVersion = v;
    out.push(p);
  }
  return out;
}

export class SynczClient {
  readonly #clients = new Map<string, grpc.Client>();

  constructor(private readonly opts: SynczOptions = {}) {}

  #client(address: string): grpc.Client {
    let c = this.#clients.get(address);
    if (!c) {
      const creds = this.opts.caFile ? grpc.credentials.createSsl(readFileSync(this.opts.caFile)) : grpc.credentials.createInsecure();
      const options: grpc.ChannelOptions = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
      if (this.opts.caFile && this.opts.serverName) options['grpc.ssl_target_name_override'] = this.opts.serverName;
      c = new grpc.Client(address, creds, options);
      this.#clients.set(address, c);
    }
    return c;
  }

  #request(): Buffer {
    let ns = this.opts.namespace ?? 'default';
    let sa = this.opts.serviceAccount;
    if (this.opts.tokenFile) {
      const id = tokenIdentity(readFileSync(this.opts.tokenFile, 'utf8').trim());
      ns = id.namespace ?? ns;
      sa = id.serviceAccount ?? sa;
    }
    // istiod parses the node like a proxy's (type~ip~id~domain); without ProxyConfig metadata
    // it is left out of syncz itself. GENERATOR=event selects the status generator.
    const meta: Record<string, string> = { GENERATOR: 'event', NAMESPACE: ns, ISTIO_VERSION: '65536.65536.65536' };
    if (sa) meta.SERVICE_ACCOUNT = sa;
    const msg = DiscoveryRequest.fromObject({
      node: { id: `sidecar~127.0.0.1~meshwarden.${ns}~${ns}.svc.cluster.local`, metadata: stringStruct(meta) },
      type_url: synczTypeUrl,
    });
    return Buffer.from(DiscoveryRequest.encode(msg).finish());
  }

  /** Every proxy connected to the istiod at `address`, with its per-type sync status. */
  fetch(address: string): Promise<ProxySync[]> {
    const client = this.#client(address);
    const md = new grpc.Metadata();
    if (this.opts.tokenFile) md.set('authorization', `Bearer ${readFileSync(this.opts.tokenFile, 'utf8').trim()}`);
    const request = this.#request();
    return new Promise<ProxySync[]>((resolve, reject) => {
      let settled = false;
      const call = client.makeBidiStreamRequest<Buffer, Buffer>(
        adsMethod,
        (b) => b,
        (b) => b,
        md,
        {
          deadline: Date.now() + (this.opts.timeoutMs ?? 5000),
        },
      );
      const finish = (err: Error | undefined, value?: ProxySync[]): void => {
        if (settled) return;
        settled = true;
        call.cancel();
        if (err) reject(err);
        else resolve(value ?? []);
      };
      call.on('data', (body: Buffer) => {
        try {
          finish(undefined, decodeSyncz(body, address));
        } catch (e) {
          finish(e as Error);
        }
      });
      call.on('error', (e: grpc.ServiceError) => finish(new Error(`syncz from istiod ${address}: ${e.details || e.message}`)));
      call.on('end', () => finish(new Error(`syncz from istiod ${address}: stream ended without a response`)));
      call.write(request);
    });
  }

  /** Closes the channels of addresses no longer asked (an istiod pod went away). */
  retain(addresses: readonly string[]): void {
    for (const [a, c] of this.#clients) {
      if (addresses.includes(a)) continue;
      c.close();
      this.#clients.delete(a);
    }
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
