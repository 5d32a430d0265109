import { editDistance } from '../../../util/edit-distance.js';

/** The candidate closest to `s`, if close enough to be a plausible typo. */
export function closest(s: string, candidates: Iterable<string>): string | undefined {
  const norm = (x: string) => x.toLowerCase().replace(/[_-]/g, '');
  const ns = norm(s);
  const max = Math.max(1, Math.min(3, Math.floor(s.length / 4)));
  let best: string | undefined;
  let bestD = max + 1;
  for (const c of candidates) {
    if (norm(c) === ns) return c;
    const d = editDistance(s, c, max);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
