/**
 * How the demo talks: numbered step headings with their duration, indented detail lines,
 * commands shown as `$ …`. Bold only on a terminal (and never with NO_COLOR), so the
 * output reads the same in a log or a test.
 */
const styled = process.stdout.isTTY === true && !process.env.NO_COLOR;
const bold = (s: string): string => (styled ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (styled ? `\x1b[2m${s}\x1b[0m` : s);

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const pad = '    ';
export const indent = (text: string, prefix = pad): string =>
  text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => (l ? prefix + l : l))
    .join('\n');

export class Steps {
  private n = 0;
  private started = Date.now();
  private readonly t0 = Date.now();
  private open = false;

  constructor(private readonly total: number) {}

  /** Closes the previous step (prints its duration) and opens the next. */
  step(title: string, why?: string): void {
    this.close();
    this.n++;
    this.started = Date.now();
    this.open = true;
    console.log(`\n${bold(`[${this.n}/${this.total}] ${title}`)}`);
    if (why) console.log(indent(dim(why)));
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    console.log(dim(`${pad}(${seconds(Date.now() - this.started)})`));
  }

  elapsed(): number {
    return Date.now() - this.t0;
  }
}

export const say = (text: string): void => console.log(indent(text));
export const command = (cmd: string): void => console.log(`${pad}${bold(`$ ${cmd}`)}`);
export const output = (text: string): void => console.log(indent(text, `${pad}  `));

/** `1..8: 200 200 429` with runs of more than six equal codes folded: `200 ×114`. */
export function codesLine(codes: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < codes.length;) {
    let j = i;
    while (j < codes.length && codes[j] === codes[i]) j++;
    const run = j - i;
    parts.push(run > 6 ? `${codes[i]} ×${run}` : Array<number>(run).fill(codes[i]!).join(' '));
    i = j;
  }
  return `request 1..${codes.length}: ${parts.join(' ')}`;
}
