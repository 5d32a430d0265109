/** istiod's cluster names, `direction|port|subset|host` (`outbound|9080||reviews.shop.svc.cluster.local`), read back. */

export function parseSubsetKey(name: string): { direction: string; port: number; subset: string; host: string } {
  const parts = name.split('|');
  if (parts.length < 4) return { direction: '', port: 0, subset: '', host: '' };
  return { direction: parts[0]!, port: Number(parts[1]) || 0, subset: parts[2]!, host: parts[3]! };
}
