/**
 * MW11x: Istio's own API for EnvoyFilter (networking.istio.io/v1alpha3) and WasmPlugin
 * (extensions.istio.io/v1alpha1): the CRD schema of each target Istio minor (OpenAPI + CEL, as
 * the API server enforces it, with unknown fields reported because the API server prunes them),
 * then the checks of istiod's validating webhook and `istioctl analyze`.
 */
import { rules } from '../catalogue.js';

// ------------------------------------------------------------ CRD schema (MW110-MW119)

export const MW110 = rules.MW110;
export const MW111 = rules.MW111;
export const MW112 = rules.MW112;
export const MW113 = rules.MW113;
export const MW119 = rules.MW119;

// ------------------------------------------------------------ istiod webhook / analyzer (MW120-MW139)

export const MW120 = rules.MW120;
export const MW121 = rules.MW121;
export const MW122 = rules.MW122;
export const MW123 = rules.MW123;
export const MW124 = rules.MW124;
export const MW125 = rules.MW125;
export const MW126 = rules.MW126;
export const MW127 = rules.MW127;
export const MW128 = rules.MW128;
export const MW129 = rules.MW129;
export const MW130 = rules.MW130;
export const MW131 = rules.MW131;
export const MW132 = rules.MW132;
export const MW133 = rules.MW133;
export const MW134 = rules.MW134;
