/**
 * LuaJIT's parser limits that luaparse does not know, checked before luaparse runs
 * (docs/adr/0100-bounded-lua-evaluation.md).
 *
 * LuaJIT (src/lj_parse.c) counts "syntax levels" to protect its C stack: `synlevel_begin`
 * increments `ls->level` on entering every `parse_chunk` (each block and function body), every
 * `expr_binop` (each expression, each unary operator, each operand parsed at a higher priority,
 * so right-associative `..`/`^` chains deepen by one per operator) and every trailing label; at
 * LJ_MAX_XLEVEL (200) it fails with "chunk has too many syntax levels". `parse_assignment`
 * also refuses `level + targets >= 200` ("… has more than 200 variable names").
 * Envoy rejects such a script at config load (calibrated with Envoy 1.36 and 1.39).
 *
 * This is a syntax-only mirror of LuaJIT's recursive descent: it recurses exactly where LuaJIT
 * counts a level and stops at 200, so its own recursion is bounded whatever the input depth.
 * It gives up silently (undefined) on anything malformed: luaparse then names the syntax error.
 */

/** LuaJIT's LJ_MAX_XLEVEL (lj_def.h). */
export const LJ_MAX_XLEVEL = 200;

export interface LevelViolation {
  kind: 'levels' | 'variables';
  /** 1-based line of the script where LuaJIT stops. */
  line: number;
  /** Line of the enclosing function for `variables` (0 = the main chunk). */
  functionLine: number;
}

const KEYWORDS = new Set([
  'and',
  'break',
  'do',
  'else',
  'elseif',
  'end',
  'false',
  'for',
  'function',
  'goto',
  'if',
  'in',
  'local',
  'nil',
  'not',
  'or',
  'repeat',
  'return',
  'then',
  'true',
  'until',
  'while',
]);

/** Left and right priorities of LuaJIT 2.1's binary operators (lj_parse.c `priority[]`). */
const BINARY: Record<string, readonly [number, number]> = {
  '+': [6, 6],
  '-': [6, 6],
  '*': [7, 7],
  '/': [7, 7],
  '%': [7, 7],
  '^': [10, 9],
  '..': [5, 4],
  '==': [3, 3],
  '~=': [3, 3],
  '<': [3, 3],
  '<=': [3, 3],
  '>': [3, 3],
  '>=': [3, 3],
  and: [2, 2],
  or: [1, 1],
};
const UNARY_PRIORITY = 8;

class GiveUp extends Error {}
class TooDeep extends Error {
  constructor(readonly violation: LevelViolation) {
    super(violation.kind);
  }
}

interface Token {
  /** 'name' | 'number' | 'string' | 'eof' | a keyword | an operator. */
  type: string;
  line: number;
}

const isNameStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 0x80;
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** A Lua 5.1/LuaJIT tokenizer reduced to what the level count needs (token kinds and lines). */
class Lexer {
  private i = 0;
  private line = 1;
  constructor(private readonly src: string) {}

  /** `[==[` at `at`: the level (number of `=`), or -1 when it is no long bracket. */
  private longBracket(at: number): number {
    let j = at + 1;
    while (this.src[j] === '=') j++;
    return this.src[j] === '[' ? j - at - 1 : -1;
  }

  private skipLong(level: number): void {
    const close = `]${'='.repeat(level)}]`;
    const end = this.src.indexOf(close, this.i);
    if (end < 0) throw new GiveUp();
    this.countLines(this.i, end);
    this.i = end + close.length;
  }

  private countLines(from: number, to: number): void {
    for (let k = from; k < to; k++) if (this.src.charCodeAt(k) === 10) this.line++;
  }

  next(): Token {
    const s = this.src;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (Number.isNaN(c)) return { type: 'eof', line: this.line };
      if (c === 10) {
        this.line++;
        this.i++;
      } else if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) this.i++;
      else if (c === 45 && s.charCodeAt(this.i + 1) === 45) {
        this.i += 2;
        const level = s[this.i] === '[' ? this.longBracket(this.i) : -1;
        if (level >= 0) {
          this.i += level + 2;
          this.skipLong(level);
        } else {
          const nl = s.indexOf('\n', this.i);
          this.i = nl < 0 ? s.length : nl;
        }
      } else break;
    }
    const line = this.line;
    const c = s.charCodeAt(this.i);
    const ch = s[this.i]!;
    if (isNameStart(c)) {
      const start = this.i;
      while (isNameChar(s.charCodeAt(this.i))) this.i++;
      const word = s.slice(start, this.i);
      return { type: KEYWORDS.has(word) ? word : 'name', line };
    }
    if (isDigit(c) || (ch === '.' && isDigit(s.charCodeAt(this.i + 1)))) {
      this.i++;
      for (;;) {
        const d = s[this.i];
        if (d === undefined) break;
        const prev = s[this.i - 1]!;
        if (isNameChar(d.charCodeAt(0)) || d === '.' || ((d === '+' || d === '-') && /[eEpP]/.test(prev))) this.i++;
        else break;
      }
      return { type: 'number', line };
    }
    if (ch === '"' || ch === "'") {
      this.i++;
      for (;;) {
        const d = s[this.i];
        if (d === undefined || d === '\n') throw new GiveUp();
        if (d === '\\') {
          if (s[this.i + 1] === '\n') this.line++;
          this.i += 2;
        } else if (d === ch) {
          this.i++;
          break;
        } else this.i++;
      }
      return { type: 'string', line };
    }
    if (ch === '[') {
      const level = this.longBracket(this.i);
      if (level >= 0) {
        this.i += level + 2;
        this.skipLong(level);
        return { type: 'string', line };
      }
    }
    for (const op of ['...', '..', '==', '~=', '<=', '>=', '::']) {
      if (s.startsWith(op, this.i)) {
        this.i += op.length;
        return { type: op, line };
      }
    }
    this.i++;
    return { type: ch, line };
  }

  /** Position to restore after a one-token lookahead. */
  mark(): [number, number] {
    return [this.i, this.line];
  }
  reset([i, line]: [number, number]): void {
    this.i = i;
    this.line = line;
  }
}

class LevelParser {
  private tok: Token;
  private level = 0;
  /** Lines where the enclosing functions start (0 = main chunk), innermost last. */
  private readonly functions: number[] = [0];

  constructor(private readonly lex: Lexer) {
    this.tok = lex.next();
  }

  private advance(): void {
    this.tok = this.lex.next();
  }
  private is(type: string): boolean {
    return this.tok.type === type;
  }
  private accept(type: string): boolean {
    if (this.tok.type !== type) return false;
    this.advance();
    return true;
  }
  private expect(type: string): void {
    if (!this.accept(type)) throw new GiveUp();
  }
  private peekType(): string {
    const saved = this.lex.mark();
    const t = this.lex.next();
    this.lex.reset(saved);
    return t.type;
  }

  /** LuaJIT's synlevel_begin. */
  private enter(): void {
    if (++this.level >= LJ_MAX_XLEVEL) throw new TooDeep({ kind: 'levels', line: this.tok.line, functionLine: this.functions.at(-1)! });
  }
  private leave(): void {
    this.level--;
  }

  chunkToEof(): void {
    this.chunk();
    if (!this.is('eof')) throw new GiveUp();
  }

  private isBlockEnd(): boolean {
    const t = this.tok.type;
    return t === 'else' || t === 'elseif' || t === 'end' || t === 'until' || t === 'eof';
  }

  /** parse_chunk: one level for the whole statement list. */
  private chunk(): void {
    this.enter();
    while (!this.isBlockEnd()) {
      this.statement();
      this.accept(';');
    }
    this.leave();
  }

  private statement(): void {
    switch (this.tok.type) {
      case 'if':
        this.advance();
        this.expr();
        this.expect('then');
        this.chunk();
        while (this.is('elseif')) {
          this.advance();
          this.expr();
          this.expect('then');
          this.chunk();
        }
        if (this.accept('else')) this.chunk();
        this.expect('end');
        return;
      case 'while':
        this.advance();
        this.expr();
        this.expect('do');
        this.chunk();
        this.expect('end');
        return;
      case 'do':
        this.advance();
        this.chunk();
        this.expect('end');
        return;
      case 'for':
        this.advance();
        this.expect('name');
        if (this.accept('=')) {
          this.expr();
          this.expect(',');
          this.expr();
          if (this.accept(',')) this.expr();
        } else {
          while (this.accept(',')) this.expect('name');
          this.expect('in');
          this.exprList();
        }
        this.expect('do');
        this.chunk();
        this.expect('end');
        return;
      case 'repeat':
        this.advance();
        this.chunk();
        this.expect('until');
        this.expr();
        return;
      case 'function': {
        const line = this.tok.line;
        this.advance();
        this.expect('name');
        while (this.accept('.')) this.expect('name');
        if (this.accept(':')) this.expect('name');
        this.body(line);
        return;
      }
      case 'local':
        this.advance();
        if (this.is('function')) {
          const line = this.tok.line;
          this.advance();
          this.expect('name');
          this.body(line);
          return;
        }
        do this.expect('name');
        while (this.accept(','));
        if (this.accept('=')) this.exprList();
        return;
      case 'return':
        this.advance();
        if (!this.isBlockEnd() && !this.is(';')) this.exprList();
        return;
      case 'break':
      case ';':
        this.advance();
        return;
      case '::':
        this.label();
        return;
      case 'goto':
        if (this.peekType() === 'name') {
          this.advance();
          this.advance();
          return;
        }
        this.callOrAssignment();
        return;
      default:
        this.callOrAssignment();
    }
  }

  /** parse_label, with LuaJIT's extra level per trailing label. */
  private label(): void {
    this.advance();
    this.expect('name');
    this.expect('::');
    while (this.is('::')) {
      this.enter();
      this.label();
      this.leave();
    }
  }

  private callOrAssignment(): void {
    this.primary();
    if (!this.is('=') && !this.is(',')) return;
    let targets = 1;
    while (this.accept(',')) {
      this.primary();
      if (this.level + targets >= LJ_MAX_XLEVEL) {
        throw new TooDeep({ kind: 'variables', line: this.tok.line, functionLine: this.functions.at(-1)! });
      }
      targets++;
    }
    this.expect('=');
    this.exprList();
  }

  private body(line: number): void {
    this.functions.push(line);
    this.expect('(');
    if (!this.is(')')) {
      do {
        if (!this.accept('...')) this.expect('name');
      } while (this.accept(','));
    }
    this.expect(')');
    this.chunk();
    this.expect('end');
    this.functions.pop();
  }

  private exprList(): void {
    this.expr();
    while (this.accept(',')) this.expr();
  }

  private expr(): void {
    this.binop(0);
  }

  /** expr_binop: one level per call; returns the unconsumed operator, as LuaJIT does. */
  private binop(limit: number): string | undefined {
    this.enter();
    this.unop();
    let op = this.binaryOperator();
    while (op !== undefined && BINARY[op]![0] > limit) {
      this.advance();
      op = this.binop(BINARY[op]![1]);
    }
    this.leave();
    return op;
  }

  private binaryOperator(): string | undefined {
    return Object.hasOwn(BINARY, this.tok.type) ? this.tok.type : undefined;
  }

  private unop(): void {
    if (this.is('not') || this.is('-') || this.is('#')) {
      this.advance();
      this.binop(UNARY_PRIORITY);
      return;
    }
    this.simple();
  }

  private simple(): void {
    switch (this.tok.type) {
      case 'number':
      case 'string':
      case 'nil':
      case 'true':
      case 'false':
      case '...':
        this.advance();
        return;
      case '{':
        this.table();
        return;
      case 'function': {
        const line = this.tok.line;
        this.advance();
        this.body(line);
        return;
      }
      default:
        this.primary();
    }
  }

  private primary(): void {
    if (this.accept('(')) {
      this.expr();
      this.expect(')');
    } else this.expect('name');
    for (;;) {
      switch (this.tok.type) {
        case '.':
          this.advance();
          this.expect('name');
          break;
        case '[':
          this.advance();
          this.expr();
          this.expect(']');
          break;
        case ':':
          this.advance();
          this.expect('name');
          this.args();
          break;
        case '(':
        case 'string':
        case '{':
          this.args();
          break;
        default:
          return;
      }
    }
  }

  private args(): void {
    if (this.is('{')) {
      this.table();
      return;
    }
    if (this.accept('string')) return;
    this.expect('(');
    if (!this.is(')')) this.exprList();
    this.expect(')');
  }

  private table(): void {
    this.expect('{');
    while (!this.is('}')) {
      if (this.accept('[')) {
        this.expr();
        this.expect(']');
        this.expect('=');
        this.expr();
      } else if (this.is('name') && this.peekType() === '=') {
        this.advance();
        this.advance();
        this.expr();
      } else this.expr();
      if (!this.accept(',') && !this.accept(';')) break;
    }
    this.expect('}');
  }
}

/**
 * The first LuaJIT parser limit `code` breaks, or undefined (also when the script is malformed
 * before reaching one: the syntax check reports that).
 */
export function luajitLevelViolation(code: string): LevelViolation | undefined {
  try {
    new LevelParser(new Lexer(code)).chunkToEof();
    return undefined;
  } catch (e) {
    if (e instanceof TooDeep) return e.violation;
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}
