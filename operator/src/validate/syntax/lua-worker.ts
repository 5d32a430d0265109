/**
 * Entry of the Lua worker thread (started by lua-runner.ts). Bounds string memory first, then
 * loads fengari, then answers one request at a time: the runner posts `{ code, limits }` on the
 * port it handed over and blocks on `flag`; we post the outcome and wake it with Atomics.notify.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { installAllocationGuard } from './lua-alloc-guard.js';
import type { RunLimits, RunOutcome } from './lua-sandbox.js';

interface Boot {
  port: MessagePort;
  /** flag[0]: 0 while the runner waits, 1 once a reply (or readiness) is posted. */
  flag: Int32Array;
}

const { port, flag } = workerData as Boot;

function signal(): void {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

installAllocationGuard();
// Loaded only now, so fengari resolves the bounded Uint8Array from its first allocation on.
const { runInThisThread } = await import('./lua-sandbox.js').catch((e: unknown) => {
  port.postMessage({ bootError: `cannot load the Lua emulator: ${e instanceof Error ? e.message : String(e)}` });
  signal();
  throw e;
});

// Warm up (prelude compiled, fengari's code paths compiled by V8) before reporting ready, so
// the caller's deadline measures the script, not the first-run cost.
runInThisThread('local warm = {} for i = 1, 100 do warm[i] = tostring(i) .. "x" end', { instructionBudget: 100_000, memoryBudget: 1 << 20 });

port.on('message', (req: { code: string; limits: RunLimits }) => {
  let out: RunOutcome;
  try {
    out = runInThisThread(req.code, req.limits);
  } catch (e) {
    out = { kind: 'internal', message: e instanceof Error ? e.message : String(e), approx: [], handlers: [] };
  }
  port.postMessage(out);
  signal();
});
signal();
