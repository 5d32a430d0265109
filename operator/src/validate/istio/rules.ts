/** MW4xx: EnvoyFilter patches applied to the istiod-generated baseline of each target Istio version. */
import { rules } from '../catalogue.js';

export const MW401 = rules.MW401;
export const MW402 = rules.MW402;
export const MW403 = rules.MW403;
export const MW404 = rules.MW404;
export const MW405 = rules.MW405;
export const MW406 = rules.MW406;
export const MW407 = rules.MW407;
export const MW408 = rules.MW408;
export const MW409 = rules.MW409;
export const MW410 = rules.MW410;
export const MW411 = rules.MW411;
export const MW412 = rules.MW412;
export const MW413 = rules.MW413;
export const MW414 = rules.MW414;
export const MW415 = rules.MW415;
export const MW416 = rules.MW416;
export const MW417 = rules.MW417;
export const MW418 = rules.MW418;
export const MW419 = rules.MW419;
export const MW420 = rules.MW420;
export const MW421 = rules.MW421;
export const MW422 = rules.MW422;
export const MW423 = rules.MW423;
export const MW425 = rules.MW425;
export const MW424 = rules.MW424;

// Istio 1.32 / issue 15 (helper C, ADR 0112): matches whose meaning depends on the Istio version (versioned-matches.ts).
export const MW426 = rules.MW426;
export const MW427 = rules.MW427;

// Real-world fidelity / issue 22 (helper J, ADR 0120).
export const MW428 = rules.MW428;
export const MW429 = rules.MW429;
