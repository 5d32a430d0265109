/**
 * CIDR normalisation in the form Envoy prints a masked address
 * (`masked_remote_address` descriptor values: `10.0.0.0/8`, `2001:db8::/32`), so the
 * descriptor entries we configure equal the ones Envoy generates.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  prefix: number;
  /** Network address in canonical text form. */
  network: string;
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr, len] = text.split('/');
  const prefix = Number(len);
  if (addr === undefined || !Number.isInteger(prefix)) return undefined;
  if (isIPv4(addr) && prefix >= 0 && prefix <= 32) {
    const bytes = addr.split('.').map(Number);
    return { family: 4, prefix, network: mask(bytes, prefix, 8).join('.') };
  }
  if (isIPv6(addr) && prefix >= 0 && prefix <= 128) {
    return { family: 6, prefix, network: formatIPv6(mask(expandIPv6(addr), prefix, 16)) };
  }
  return undefined;
}

export function formatCidr(c: Cidr): string {
  return `${c.network}/${c.prefix}`;
}

function mask(parts: number[], prefix: number, bits: number): number[] {
  return parts.map((p, i) => {
    const keep = Math.max(0, Math.min(bits, prefix - i * bits));
    return keep === 0 ? 0 : p & (((1 << bits) - 1) ^ ((1 << (bits - keep)) - 1));
  });
}

function expandIPv6(addr: string): number[] {
  let text = addr;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, v4.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => parseInt(g, 16));
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
