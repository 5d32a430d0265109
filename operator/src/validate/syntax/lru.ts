/**
 * A tiny bounded memo (least recently used eviction). Pure: keyed by the input text only.
 * Bounded in entries and in key size: keys are whole scripts and patterns, so a count alone
 * would let 1,000 large scripts pin gigabytes (docs/adr/0100-bounded-lua-evaluation.md).
 */
export class Lru<V> {
  private readonly map = new Map<string, V>();
  private keyChars = 0;
  /**
   * @param max most entries kept
   * @param maxKeyChars most key characters kept in total (UTF-16 units); a longer key is not cached
   */
  constructor(
    private readonly max = 1000,
    private readonly maxKeyChars = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** Total characters of the keys held. */
  get keyLength(): number {
    return this.keyChars;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    if (this.map.has(key)) this.delete(key);
    if (key.length > this.maxKeyChars) return;
    while (this.map.size > 0 && (this.map.size >= this.max || this.keyChars + key.length > this.maxKeyChars)) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
    this.map.set(key, value);
    this.keyChars += key.length;
  }

  clear(): void {
    this.map.clear();
    this.keyChars = 0;
  }

  private delete(key: string): void {
    if (this.map.delete(key)) this.keyChars -= key.length;
  }
}
