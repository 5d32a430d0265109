/**
 * An index over an array, built once per array and reused while the array stays the same
 * length: the evaluation context's Services and Pods arrays are read by every resource checked,
 * so a scan per resource would make a namespace's check quadratic. The CLI's fact gathering
 * pushes to those arrays, so an array that grew gets a fresh index; nothing replaces an element
 * in place.
 */
export function indexedPerArray<T, I>(build: (items: readonly T[]) => I): (items: readonly T[]) => I {
  const indexes = new WeakMap<readonly T[], { length: number; index: I }>();
  return (items) => {
    let entry = indexes.get(items);
    if (!entry || entry.length !== items.length) indexes.set(items, (entry = { length: items.length, index: build(items) }));
    return entry.index;
  };
}
