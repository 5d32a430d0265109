/** Well-known Envoy filter names and type URLs istiod generates (IST@1.28.0 pkg/wellknown, pilot/pkg/xds/filters/filters.go). */
export const HCM_NAME = 'envoy.filters.network.http_connection_manager';
export const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_NAME = 'envoy.filters.http.router';
export const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
export const VIRTUAL_INBOUND = 'virtualInbound';
export const VIRTUAL_OUTBOUND = 'virtualOutbound';
