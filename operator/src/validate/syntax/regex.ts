/**
 * RE2 checks. Envoy compiles every `safe_regex` with Google RE2 (source/common/common/regex.cc)
 * and refuses a program larger than the runtime key `re2.max_program_size.error_level`
 * (Envoy default 100; Istio's bootstrap sets 32768 in pkg/bootstrap/config.go `extractRuntimeFlags`).
 * istiod matches EnvoyFilter `proxyVersion` with Go's regexp (RE2 syntax, unanchored search).
 *
 * We compile with the `re2` npm package (the same C++ library), loaded in ./re2-engine.ts only. It
 * translates a few JavaScript constructs before compiling (`\uXXXX`, `\u{…}`, `\cX`, long `\p{Letter}`
 * names), which RE2 itself rejects; those are caught by a pre-scan so the verdict matches Envoy's, not node's.
 * The package does not expose `RE2::ProgramSize()`, so the size is estimated (warning only).
 *
 * Since the CVE-2026-73552 fix Envoy compiles `safe_regex` with RE2's Latin-1 charset instead of
 * UTF-8: every 1.40 patch, and the 1.38.4+/1.39.1+ security releases (ENVOY_BOUNDARIES.re2Latin1*).
 * The pattern's UTF-8 bytes are then read one byte per character, so a non-ASCII character is
 * several characters, `\p{..}` classes only cover code points up to U+00FF, `.` is one byte, and
 * `\x{…}` above FF is an invalid escape (ADR 0111).
 */
import { compileRe2, re2SyntaxError } from './re2-engine.js';
import type { Finding } from '../rule.js';
import { Lru } from './lru.js';
import { PROXY_VERSION, REGEX_INVALID, REGEX_LATIN1, REGEX_PROGRAM_SIZE } from './rules.js';
import { since } from '../../versions/table.js';
import { ENVOY_BOUNDARIES } from '../../versions/boundaries.js';

/** Istio sidecars and gateways run with this `re2.max_program_size.error_level`. */
export const ISTIO_RE2_MAX_PROGRAM_SIZE = 32768;
/** Envoy's own default when no runtime layer overrides it. */
export const ENVOY_RE2_MAX_PROGRAM_SIZE = 100;

/** How Envoy's RE2 reads a `safe_regex`: as UTF-8 code points, or as Latin-1 bytes. */
export type Re2Charset = 'utf8' | 'latin1';

/**
 * The charsets an Envoy minor may compile `safe_regex` with: its patches differ from
 * ENVOY_BOUNDARIES.re2Latin1Patches on (the security backport), all are Latin-1 from re2Latin1.
 */
export function re2CharsetsOf(envoyMinor: string): readonly Re2Charset[] {
  if (since(envoyMinor, ENVOY_BOUNDARIES.re2Latin1, 'envoy')) return ['latin1'];
  if (since(envoyMinor, ENVOY_BOUNDARIES.re2Latin1Patches, 'envoy')) return ['utf8', 'latin1'];
  return ['utf8'];
}

/** Which Envoy builds read a pattern as Latin-1, for messages (the same text for every version, so findings merge). */
const LATIN1_BUILDS = 'Envoy 1.40, and the 1.38.4+/1.39.1+ security releases, compile safe_regex in RE2 Latin-1 mode (CVE-2026-73552)';

export interface CheckRegexOptions {
  /** `re2.max_program_size.error_level` of the target proxy; default Istio's 32768. */
  maxProgramSize?: number;
  /** Finding path; default `''`. */
  path?: string;
  /** Envoy minor of the target proxy: decides the RE2 charset(s). Default: UTF-8 only (Envoy before the switch). */
  envoyVersion?: string;
}

/** JS-only syntax the npm package silently translates but RE2 (and so Envoy) rejects. */
function jsOnlyConstruct(pattern: string): string | undefined {
  const longNames =
    /^(Uppercase_Letter|Lowercase_Letter|Titlecase_Letter|Cased_Letter|Modifier_Letter|Other_Letter|Letter|Nonspacing_Mark|Spacing_Mark|Enclosing_Mark|Mark|Decimal_Number|Letter_Number|Other_Number|Number|Connector_Punctuation|Dash_Punctuation|Open_Punctuation|Close_Punctuation|Initial_Punctuation|Final_Punctuation|Other_Punctuation|Punctuation|Math_Symbol|Currency_Symbol|Modifier_Symbol|Other_Symbol|Symbol|Space_Separator|Line_Separator|Paragraph_Separator|Separator|Control|Format|Surrogate|Private_Use|Unassigned|Other)$|^(Script|sc)=/;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '\\') continue;
    const c = pattern[i + 1];
    if (c === 'u') return '`\\u` escape (JavaScript syntax; RE2 uses `\\x{…}`)';
    if (c === 'c') return '`\\c` control escape (JavaScript syntax; RE2 uses `\\x..`)';
    if ((c === 'p' || c === 'P') && pattern[i + 2] === '{') {
      const end = pattern.indexOf('}', i + 3);
      const name = end > 0 ? pattern.slice(i + 3, end) : '';
      if (longNames.test(name)) return `\`\\${c}{${name}}\` (RE2 knows only short category names like \\pL and script names like \\p{Greek})`;
    }
    i++; // skip the escaped character
  }
  return undefined;
}

/** Names the unsupported construct behind an RE2 error message. */
function nameConstruct(pattern: string, err: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern) && /perl operator|named capture/.test(err)) return 'lookahead/lookbehind assertions (`(?=`, `(?!`, `(?<=`, `(?<!`) are not supported by RE2';
  if (/\(\?>/.test(pattern) && /perl operator/.test(err)) return 'atomic groups `(?>…)` are not supported by RE2';
  if (/invalid escape sequence: \\[1-9]/.test(err)) return 'backreferences (`\\1`…`\\9`) are not supported by RE2';
  if (/invalid escape sequence: \\k/.test(err)) return 'named backreferences (`\\k<name>`) are not supported by RE2';
  if (/bad repetition operator: [*+?]\+/.test(err)) return 'possessive quantifiers (`*+`, `++`, `?+`) are not supported by RE2';
  if (/invalid repetition size/.test(err)) return 'repetition counts above 1000 (or nested repeats whose product exceeds 1000) are not supported by RE2';
  if (/invalid escape sequence: \\[GZ]/.test(err)) return 'this escape is not supported by RE2 (use \\A, \\z)';
  return undefined;
}

/**
 * Compiles `pattern` as RE2. Returns undefined when valid, else a message naming the problem.
 */
export function re2Error(pattern: string): string | undefined {
  const hit = verdicts.get(pattern);
  if (hit !== undefined) return hit === '' ? undefined : hit;
  const v = re2ErrorUncached(pattern);
  verdicts.set(pattern, v ?? '');
  return v;
}

/** Key characters the two verdict caches hold (tests: the bound must hold against unique huge patterns). */
export function regexCacheKeyChars(): number {
  return verdicts.keyLength + proxyVersionCache.keyLength;
}

/** Drops the memoised regex and proxyVersion verdicts (tests and benchmarks). */
export function clearRegexCache(): void {
  verdicts.clear();
  proxyVersionCache.clear();
}

/**
 * Compile verdicts by pattern ('' = valid); RE2 compilation costs ~50-80 µs. Bounded in key
 * characters too: a pattern may be 256 KiB, so 1,000 of them alone could pin 500 MB.
 */
const verdicts = new Lru<string>(1000, 8 * 1024 * 1024);

/**
 * Compiles `pattern` as Envoy's RE2 does under `charset`. Latin-1 reads the pattern's UTF-8 bytes
 * one per character: compiling that byte string in UTF-8 mode parses alike, except that a `\x{…}`
 * escape above FF does not exist in Latin-1 (RE2: "invalid escape sequence").
 */
export function re2ErrorIn(pattern: string, charset: Re2Charset): string | undefined {
  if (charset === 'utf8') return re2Error(pattern);
  for (const wide of pattern.replace(/\\\\/g, '\u0000\u0000').matchAll(/\\x\{0*([0-9A-Fa-f]{3,})\}/g)) {
    if (parseInt(wide[1]!, 16) > 0xff) return `\`\\x{${wide[1]}}\` is above \\x{FF}, which Latin-1 cannot hold (RE2: invalid escape sequence)`;
  }
  return re2Error(Buffer.from(pattern, 'utf8').toString('latin1'));
}

function re2ErrorUncached(pattern: string): string | undefined {
  const js = jsOnlyConstruct(pattern);
  if (js !== undefined) return `${js} is not RE2 syntax`;
  const err = re2SyntaxError(pattern);
  if (err === undefined) return undefined;
  const named = nameConstruct(pattern, err);
  return named ? `${named} (RE2: ${err})` : `invalid RE2 regex: ${err}`;
}

// ------------------------------------------------------------------ program size estimate

/**
 * RE2 program size of `^\p{X}` measured with Envoy 1.36.2 (`envoy --mode validate` with
 * re2.max_program_size.error_level 1), rounded up. Unknown names: 600; negated (\P): 1300.
 */
const UNICODE_CLASS_SIZE: Record<string, number> = {
  L: 1200,
  Lu: 800,
  Ll: 830,
  Lo: 940,
  Lt: 60,
  Lm: 300,
  M: 560,
  Mn: 500,
  Mc: 300,
  Me: 20,
  N: 240,
  Nd: 90,
  Nl: 60,
  No: 200,
  P: 340,
  S: 450,
  Z: 20,
  Zs: 20,
  C: 80,
  Cc: 10,
  Common: 360,
  Inherited: 70,
  Han: 90,
  Latin: 90,
  Cyrillic: 40,
  Greek: 70,
  Arabic: 100,
};
/** A Unicode class in Latin-1 mode covers at most 256 code points: a few byte ranges. */
const LATIN1_CLASS = 6;
function unicodeClassSize(name: string, negated: boolean, charset: Re2Charset): number {
  if (charset === 'latin1') return LATIN1_CLASS;
  if (negated) return 1300;
  return UNICODE_CLASS_SIZE[name.startsWith('^') ? '' : name] ?? (name.length <= 2 ? 600 : 150);
}
const ANY_CHAR = 10; // `.` and negated classes in UTF-8 mode
const ANY_BYTE = 2; // the same in Latin-1 mode (`.` is [^\n]: two byte ranges)

/**
 * A conservative estimate of RE2's `ProgramSize()` for a valid pattern: one instruction per
 * literal byte, UTF-8 expansion for `.`/negated/Unicode classes, +2 per capture, +1 per
 * alternation/loop, bounded repeats expanded `max` times, plus the unanchored `.*?` prefix.
 * Calibrated against Envoy 1.36.2 on 40 patterns: within 1.0–2.0× of the real size for ASCII
 * patterns (mostly 1.0–1.5×, over-estimating), within ~1.1× for Unicode classes. In Latin-1 mode
 * (Envoy 1.40) `.`, negated and Unicode classes are single byte ranges (checked against 1.40.0).
 */
export function estimateProgramSize(pattern: string, charset: Re2Charset = 'utf8'): number {
  const anyChar = charset === 'latin1' ? ANY_BYTE : ANY_CHAR;
  let i = 0;
  let foldCase = false;
  const peek = (): string | undefined => pattern[i];

  const parseRepeat = (atom: number): number => {
    for (;;) {
      const c = peek();
      if (c === '*' || c === '+' || c === '?') {
        i++;
        if (peek() === '?') i++;
        atom = atom + 1;
      } else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}\??/.exec(pattern.slice(i, i + 32));
        if (!m) return atom;
        i += m[0].length;
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? undefined : Number(m[3]);
        atom = max === undefined ? Math.max(min, 1) * atom + 1 : max * atom + (max - min);
      } else return atom;
    }
  };
  const parseClass = (): number => {
    // at '['
    i++;
    let negated = false;
    if (peek() === '^') {
      negated = true;
      i++;
    }
    let ranges = 0;
    let unicode = 0;
    let first = true;
    while (i < pattern.length && (peek() !== ']' || first)) {
      first = false;
      const c = pattern[i]!;
      if (c === '\\') {
        const e = pattern[i + 1] ?? '';
        if ((e === 'p' || e === 'P') && pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i);
          unicode += unicodeClassSize(pattern.slice(i + 3, end < 0 ? pattern.length : end), e === 'P', charset);
          i = end < 0 ? pattern.length : end + 1;
          continue;
        }
        if (e === 'p' || e === 'P') {
          unicode += unicodeClassSize(pattern[i + 2] ?? '', e === 'P', charset);
          i += 3;
          continue;
        }
        if ('dDwWsS'.includes(e)) ranges += e === e.toUpperCase() ? 4 : 3;
        else ranges += 1;
        i += 2;
      } else if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i);
        i = end < 0 ? pattern.length : end + 2;
        ranges += 3;
      } else {
        const cp = pattern.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        ranges += cp > 0x7f ? 3 : 1;
        if (peek() === '-' && pattern[i + 1] !== ']' && pattern[i + 1] !== undefined) {
          i++;
          const cp2 = pattern.codePointAt(i)!;
          i += cp2 > 0xffff ? 2 : 1;
          if (cp2 > 0x7f) ranges += 6;
        }
      }
    }
    i++; // ']'
    let size = ranges + unicode;
    if (negated) size = unicode > 0 && charset === 'utf8' ? Math.max(size, 1300) : size + anyChar;
    if (foldCase) size *= 2;
    return Math.max(size, 1);
  };
  const parseAtom = (): number => {
    const c = pattern[i]!;
    if (c === '[') return parseClass();
    if (c === '.') {
      i++;
      return anyChar;
    }
    if (c === '^' || c === '$') {
      i++;
      return 1;
    }
    if (c === '\\') {
      const e = pattern[i + 1] ?? '';
      i += 2;
      if (e === 'p' || e === 'P') {
        let name: string;
        if (pattern[i] === '{') {
          const end = pattern.indexOf('}', i);
          name = pattern.slice(i + 1, end < 0 ? pattern.length : end);
          i = end < 0 ? pattern.length : end + 1;
        } else name = pattern[i++] ?? '';
        return unicodeClassSize(name, e === 'P', charset);
      }
      if (e === 'x' && pattern[i] === '{') {
        const end = pattern.indexOf('}', i);
        i = end < 0 ? pattern.length : end + 1;
        return 4;
      }
      if (e === 'x') {
        i += 2;
        return 1;
      }
      if (e === 'Q') {
        const end = pattern.indexOf('\\E', i);
        const lit = end < 0 ? pattern.slice(i) : pattern.slice(i, end);
        i = end < 0 ? pattern.length : end + 2;
        return Buffer.byteLength(lit, 'utf8');
      }
      if ('dws'.includes(e)) return 3;
      if ('DWS'.includes(e)) return anyChar + 4;
      if (e === 'C') return 1;
      return 1;
    }
    const cp = pattern.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    return bytes;
  };

  // Groups are walked with an explicit stack (not recursion): RE2 and Envoy accept any nesting
  // depth (measured: 100,000 nested groups pass `envoy --mode validate`), so must we.
  interface Group {
    /** Sum of the finished alternatives, their count, the alternative being read. */
    alts: number;
    branches: number;
    concat: number;
    capture: boolean;
  }
  const open = (capture: boolean): Group => ({ alts: 0, branches: 1, concat: 0, capture });
  const close = (g: Group): number => g.alts + g.concat + (g.branches - 1) + (g.capture ? 2 : 0);
  const stack: Group[] = [open(false)];
  let size = 0;
  while (i < pattern.length) {
    const top = stack[stack.length - 1]!;
    const c = pattern[i]!;
    if (c === '|') {
      i++;
      top.alts += top.concat;
      top.concat = 0;
      top.branches++;
    } else if (c === ')') {
      i++;
      if (stack.length === 1) {
        // unbalanced: the compile step reports it; count what was read and go on
        size += close(top);
        stack[0] = open(false);
      } else {
        stack.pop();
        stack[stack.length - 1]!.concat += parseRepeat(close(top));
      }
    } else if (c === '(') {
      i++;
      let capture = true;
      if (peek() === '?') {
        const m = /^\?(P?<[^>]*>|[imsU-]*:|[imsU-]*\))/.exec(pattern.slice(i, i + 300));
        if (m) {
          i += m[0].length;
          if (m[0].endsWith(')')) {
            if (/i/.test(m[0].split('-')[0] ?? '')) foldCase = true;
            top.concat += parseRepeat(0); // flag group
            continue;
          }
          capture = m[0].includes('<');
        } else capture = false;
      }
      stack.push(open(capture));
    } else top.concat += parseRepeat(parseAtom());
  }
  while (stack.length > 1) {
    const g = stack.pop()!;
    stack[stack.length - 1]!.concat += close(g); // unclosed group: the compile step reports it
  }
  size += close(stack[0]!);
  const anchored = pattern.startsWith('^') || pattern.startsWith('\\A');
  return size + 2 + (anchored ? 0 : 3);
}

/**
 * Checks a regex for Envoy (`safe_regex`, google_re2) on one Envoy minor: RE2 syntax under each
 * charset that minor may use (error naming the unsupported construct), the program-size limit
 * (estimated; warning), and what Latin-1 mode changes (warning).
 */
export function checkRegex(pattern: string, opts: CheckRegexOptions = {}): Finding[] {
  const path = opts.path ?? '';
  const charsets = opts.envoyVersion === undefined ? (['utf8'] as const) : re2CharsetsOf(opts.envoyVersion);
  const err = re2Error(pattern);
  if (err !== undefined) {
    return [REGEX_INVALID.finding(path, `regex ${JSON.stringify(pattern)}: ${err}`, 'rewrite without the construct; Envoy rejects the whole resource (NACK)')];
  }
  if (charsets.includes('latin1')) {
    const latin1 = re2ErrorIn(pattern, 'latin1');
    if (latin1 !== undefined) {
      return [
        REGEX_INVALID.finding(
          path,
          `regex ${JSON.stringify(pattern)}: ${latin1}; ${LATIN1_BUILDS}`,
          'write the character as its UTF-8 bytes (e.g. \\xC3\\xA9 for é) or as a literal; Envoy rejects the whole resource (NACK)',
        ),
      ];
    }
  }
  const out: Finding[] = [];
  const max = opts.maxProgramSize ?? ISTIO_RE2_MAX_PROGRAM_SIZE;
  const size = Math.max(...charsets.map((c) => estimateProgramSize(pattern, c)));
  if (size > max) {
    out.push(
      REGEX_PROGRAM_SIZE.finding(
        path,
        `regex ${JSON.stringify(pattern.length > 80 ? pattern.slice(0, 77) + '...' : pattern)} has an estimated RE2 program size of ~${size} > re2.max_program_size.error_level ${max}; Envoy would reject it`,
        'simplify the regex (fewer bounded repeats, ASCII classes instead of \\p{..} or `.`), or raise the runtime key',
      ),
    );
  }
  if (charsets.includes('latin1')) {
    const changed = latin1Differences(pattern);
    if (changed.length > 0) {
      out.push(
        REGEX_LATIN1.finding(
          path,
          `regex ${JSON.stringify(pattern.length > 80 ? pattern.slice(0, 77) + '...' : pattern)} has ${changed.join(' and ')}: ${LATIN1_BUILDS}, where it matches bytes, not characters, so it matches differently than on UTF-8 builds (Envoy 1.39.0 and older)`,
          'write the pattern in ASCII: spell a non-ASCII character as its UTF-8 byte sequence outside classes (\\xC3\\xA9 for é), use an alternation instead of a class of non-ASCII characters, and byte ranges instead of \\p{..}',
        ),
      );
    }
  }
  return out;
}

/**
 * What in `pattern` Latin-1 mode reads differently from UTF-8. A non-ASCII character becomes its
 * UTF-8 bytes: alone it still matches the same bytes, but inside a class it is a set of single
 * bytes, a repetition after it repeats its last byte only, and case folding does not apply to it.
 * A Unicode class only covers U+0000–U+00FF. (`.` and negated classes also take one byte instead
 * of one character; too common to report, ADR 0111 says so.)
 */
function latin1Differences(pattern: string): string[] {
  const out: string[] = [];
  const caseless = /\(\?[a-zA-Z]*i[a-zA-Z-]*[:)]/.test(pattern);
  const chars = [...pattern];
  const changed = new Set<string>();
  const classes = new Set<string>();
  let inClass = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      const e = chars[i + 1] ?? '';
      if (e === 'p' || e === 'P') {
        const rest = chars.slice(i + 2, i + 2 + 64).join('');
        const m = /^(\{[^}]*\}|[A-Za-z])/.exec(rest);
        if (m) classes.add(`\\${e}${m[0]}`);
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (c.codePointAt(0)! > 0x7f) changed.add(c);
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (chars[i + 1] === '^') i++;
      if (chars[i + 1] === ']') i++; // a leading ] is a literal
      continue;
    }
    if (c.codePointAt(0)! > 0x7f && (caseless || /^[*+?{]$/.test(chars[i + 1] ?? ''))) changed.add(c);
  }
  if (changed.size > 0) {
    const list = [...changed]
      .slice(0, 3)
      .map((c) => JSON.stringify(c))
      .join(', ');
    out.push(`non-ASCII character${changed.size > 1 ? 's' : ''} ${list} in a class, under a repetition or case-insensitive`);
  }
  if (classes.size > 0) out.push(`Unicode class${classes.size > 1 ? 'es' : ''} ${[...classes].slice(0, 3).join(', ')}`);
  return out;
}

// ------------------------------------------------------------------ proxyVersion

/** Versions an ISTIO_VERSION can take, used to see what a proxyVersion regex really selects. */
const CANDIDATES: string[] = (() => {
  const out: string[] = [];
  for (const major of [1, 2, 11]) {
    const minors = major === 1 ? 40 : 5;
    for (let minor = 0; minor < minors; minor++) for (const patch of [0, 1, 10]) out.push(`${major}.${minor}.${patch}`);
  }
  return out;
})();

function describeMinors(versions: string[]): string {
  const mm = [...new Set(versions.map((v) => v.split('.').slice(0, 2).join('.')))];
  const shown = mm.slice(0, 6).join(', ');
  return mm.length > 6 ? `${shown} and ${mm.length - 6} more` : shown;
}

/**
 * Checks an EnvoyFilter `configPatches[].match.proxy.proxyVersion`: RE2/Go syntax plus the
 * heuristics of failure mode 33 (unanchored, unescaped dots, a minor that also matches its
 * two-digit siblings, too long, empty).
 */
export function checkProxyVersion(pattern: string, opts: { path?: string } = {}): Finding[] {
  const path = opts.path ?? '';
  const hit = proxyVersionCache.get(pattern);
  if (hit !== undefined) return hit.map((f) => ({ ...f, path }));
  const out = checkProxyVersionUncached(pattern, path);
  proxyVersionCache.set(pattern, out);
  return out.map((f) => ({ ...f }));
}

const proxyVersionCache = new Lru<Finding[]>(1000, 8 * 1024 * 1024);

function checkProxyVersionUncached(pattern: string, path: string): Finding[] {
  if (pattern === '') {
    return [PROXY_VERSION.finding(path, 'proxyVersion is empty: it restricts nothing and the patch applies to every proxy version', 'set e.g. `^1\\.28\\.` or remove the field')];
  }
  if (pattern.length > 1024) {
    return [
      PROXY_VERSION.finding(
        path,
        `proxyVersion is ${pattern.length} characters long (> 1024): recent istiod never matches it, so the patch silently applies nowhere`,
        'use a short anchored regex such as `^1\\.28\\.`',
      ),
    ];
  }
  const err = re2Error(pattern);
  if (err !== undefined) return [REGEX_INVALID.finding(path, `proxyVersion ${JSON.stringify(pattern)}: ${err}`, 'istiod rejects the EnvoyFilter')];

  const v = /(\d+)(?:\\\.|\.|\[\.\])(\d+)/.exec(pattern);
  const hint = v ? `use ^${v[1]}\\.${v[2]}\\.` : 'use an anchored, escaped prefix such as ^1\\.28\\.';
  const out: Finding[] = [];
  const re = compileRe2(pattern);
  const matched = CANDIDATES.filter((c) => re.test(c));
  const anchored = pattern.startsWith('^') || pattern.startsWith('\\A');
  const intentionalSet = /[|[\]]|\\d/.test(pattern);

  if (matched.length === 0) {
    out.push(PROXY_VERSION.finding(path, `proxyVersion ${JSON.stringify(pattern)} matches no Istio version of the form X.Y.Z: the patch never applies`, hint));
    return out;
  }
  if (!anchored) {
    const foreign = v ? matched.filter((c) => !c.startsWith(`${v[1]}.`)) : [];
    out.push(
      PROXY_VERSION.finding(
        path,
        `proxyVersion ${JSON.stringify(pattern)} is not anchored: istiod searches ISTIO_VERSION, so it also matches versions that merely contain it${foreign.length ? ` (e.g. ${describeMinors(foreign)})` : ''}`,
        hint,
      ),
    );
  }
  if (v && !intentionalSet) {
    const intended = `${v[1]}.${v[2]}`;
    const others = matched.filter((c) => c.split('.').slice(0, 2).join('.') !== intended && c.startsWith(`${v[1]}.`));
    if (others.length > 0) {
      out.push(PROXY_VERSION.finding(path, `proxyVersion ${JSON.stringify(pattern)} meant for ${intended} also matches ${describeMinors(others)}`, hint));
    }
  }
  if (hasUnescapedVersionDot(pattern)) {
    out.push(PROXY_VERSION.finding(path, `proxyVersion ${JSON.stringify(pattern)} has an unescaped '.', which matches any character`, hint));
  }
  return out;
}

/** A `.` outside a class, not escaped, next to a digit (a version separator, not `.*`). */
function hasUnescapedVersionDot(pattern: string): boolean {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '.' && /\d/.test(pattern[i - 1] ?? '') && /\d/.test(pattern[i + 1] ?? '')) return true;
  }
  return false;
}
