/**
 * The cluster the baselines are captured in and the fidelity test runs against (the scenario of
 * envoy-templates/baselines/README.md): productpage (Service 9080 → container 8080) with a sidecar,
 * reviews:9080 and kube-dns:53 in the mesh, an ingress gateway (Service 80 → 8080) with a Gateway
 * for *.example.com and a VirtualService for bookinfo.example.com. Fixed ClusterIPs keep captures
 * reproducible; the API server must run with --service-cluster-ip-range=10.96.0.0/12.
 */
import { serviceYaml, type ProxyIdentity } from '../harness/istiod.js';
import { DEFAULT_PARAMS } from '../../operator/src/validate/istio/baseline.js';

export const inbound = DEFAULT_PARAMS.inbound[0]!;
export const server = DEFAULT_PARAMS.gatewayServers[0]!;
export const tcpPort = { servicePort: 9101, targetPort: 9100, serviceHost: 'tcp-echo.default.svc.cluster.local', protocol: 'tcp' as const };

/** The scenario's objects; `gatewayTargetPort` moves the gateway's listener (a real Envoy binds it). */
export const scenarioYaml = (gatewayTargetPort = server.targetPort): string =>
  [
    serviceYaml('default', 'productpage', { app: 'productpage' }, [{ name: 'http', port: inbound.servicePort, targetPort: inbound.targetPort }], '10.96.1.10'),
    serviceYaml('default', 'reviews', { app: 'reviews' }, [{ name: 'http', port: DEFAULT_PARAMS.outboundHttpPort, targetPort: 9080 }], '10.96.1.20'),
    serviceYaml('kube-system', 'kube-dns', { 'k8s-app': 'kube-dns' }, [{ name: 'tcp-dns', port: DEFAULT_PARAMS.tcpPort, targetPort: 53 }], '10.96.0.10'),
    serviceYaml('istio-system', 'istio-ingressgateway', { istio: 'ingressgateway' }, [{ name: 'http2', port: server.servicePort, targetPort: gatewayTargetPort }], '10.96.1.30'),
    `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${server.servicePort}, name: http, protocol: HTTP}
    hosts: ['*.example.com']
`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: [${server.host}]
  gateways: [istio-system/bookinfo-gateway]
  http:
  - route: [{destination: {host: productpage, port: {number: ${inbound.servicePort}}}}]
`,
  ].join('---\n');

/** Applied after the main captures: a workload with a TCP port, whose inbound chains are the `inboundTcp` elements. */
export const TCP_SCENARIO = serviceYaml('default', 'tcp-echo', { app: 'tcp-echo' }, [{ name: 'tcp', port: tcpPort.servicePort, targetPort: tcpPort.targetPort }], '10.96.1.40');

export const SIDECAR: ProxyIdentity = { kind: 'sidecar', name: 'productpage-v1-0', namespace: 'default', labels: { app: 'productpage', version: 'v1' } };
export const TCP_SIDECAR: ProxyIdentity = { kind: 'sidecar', name: 'tcp-echo-0', namespace: 'default', labels: { app: 'tcp-echo' }, ip: '127.0.0.4' };
export const ROUTER: ProxyIdentity = { kind: 'router', name: 'istio-ingressgateway-0', namespace: 'istio-system', labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' } };
