/**
 * MW3xx: Envoy's C++ semantic checks (config-load exceptions that NACK an xDS update) and the
 * silent no-ops of the rate-limit and Lua filters, on plain JSON typed configs. Rules that are
 * pure protoc-gen-validate constraints (e.g. LuaPerRoute `disabled: false`, header_value_match
 * without descriptor_value) or deprecations (`inline_code`) belong to MW2xx and are not repeated.
 * "[tested]" in a title means Envoy 1.36.2 and 1.39.3 `--mode validate` agree with the verdict
 * (operator/src/validate/semantic/oracle.test.ts).
 */
import { rules } from '../catalogue.js';

// ------------------------------------------------------------ local_ratelimit (MW301-MW319)

export const MW301 = rules.MW301;
export const MW302 = rules.MW302;
export const MW303 = rules.MW303;
export const MW304 = rules.MW304;
export const MW305 = rules.MW305;
export const MW306 = rules.MW306;
export const MW307 = rules.MW307;
export const MW308 = rules.MW308;
export const MW309 = rules.MW309;
export const MW310 = rules.MW310;
export const MW311 = rules.MW311;
export const MW312 = rules.MW312;
export const MW313 = rules.MW313;
export const MW314 = rules.MW314;
export const MW315 = rules.MW315;

// ------------------------------------------------------------ global ratelimit (MW320-MW329)

export const MW320 = rules.MW320;
export const MW321 = rules.MW321;
export const MW322 = rules.MW322;
export const MW323 = rules.MW323;
export const MW324 = rules.MW324;

// ------------------------------------------------------------ Lua (MW330-MW339)

export const MW330 = rules.MW330;
export const MW331 = rules.MW331;

// ------------------------------------------------------------ per-filter config wrappers (MW340-MW349)

export const MW340 = rules.MW340;

// ------------------------------------------------------------ HTTP connection manager (MW350-MW359)

export const MW350 = rules.MW350;
export const MW351 = rules.MW351;
