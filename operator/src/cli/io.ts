/**
 * What a CLI command reads and writes, given by bin.ts (the process) or a test (buffers). Its own
 * module so that the commands main.ts dispatches to (adopt, migrate, versions) need not import main.ts.
 */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  cwd?: string;
}
