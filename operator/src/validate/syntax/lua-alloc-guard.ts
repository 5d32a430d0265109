/**
 * String-memory bounds for the fengari run, as LuaJIT enforces them (docs/adr/0100).
 *
 * fengari allocates every Lua string and string buffer with `new Uint8Array(n)` (lvm.js
 * luaV_concat, lauxlib.js luaL_Buffer, lstrlib/ltablib through it), resolving the global
 * `Uint8Array` at call time. Typed-array memory lives outside the V8 heap, so a worker's
 * `resourceLimits` do not bound it; replacing the global constructor in the worker's realm does.
 *
 * Only ever installed inside the Lua worker thread (lua-worker.ts), never in the main realm.
 */

/**
 * LuaJIT's LJ_MAX_STR (lj_def.h, = LJ_MAX_MEM32). Envoy (LuaJIT 2.1) already refuses a string of
 * exactly this length with "string length overflow" (measured with `string.rep`), hence `>=`.
 */
export const LJ_MAX_STR = 0x7fffff00;

/** A request for a string longer than LuaJIT allows; becomes the Lua error Envoy reports. */
export class StringLengthOverflow extends Error {
  constructor() {
    super('string length overflow');
  }
}

/** The run allocated more string memory than the validator grants one script. */
export class MemoryBudgetExceeded extends Error {
  constructor(readonly budget: number) {
    super(`string memory budget of ${budget} bytes exceeded`);
  }
}

/** Once over budget, small allocations (error messages) still succeed so the VM can unwind. */
const UNWIND_SLACK = 4096;

let armed = false;
let budget = Number.POSITIVE_INFINITY;
let allocated = 0;
let exceeded = false;
let native: typeof Uint8Array | undefined;
let bounded: typeof Uint8Array | undefined;
let onFailure: ((err: StringLengthOverflow | MemoryBudgetExceeded) => void) | undefined;

/** Raises `err` through the failure handler (a Lua error in the running thread), else throws it. */
function fail(err: StringLengthOverflow | MemoryBudgetExceeded): never {
  onFailure?.(err);
  throw err;
}

function account(n: number): void {
  if (n >= LJ_MAX_STR) fail(new StringLengthOverflow());
  if (exceeded) {
    if (n > UNWIND_SLACK) fail(new MemoryBudgetExceeded(budget));
    return;
  }
  allocated += n;
  if (allocated > budget) {
    exceeded = true;
    fail(new MemoryBudgetExceeded(budget));
  }
}

/** Whether the armed run went over its budget (the run is then stopped, whatever pcall does). */
export function allocationBudgetExceeded(): boolean {
  return exceeded;
}

/**
 * Starts counting: every later byte-array allocation is charged against `limit` bytes. A failed
 * allocation calls `failure`, which should raise a Lua error (it must not return normally).
 */
export function armAllocationGuard(limit: number, failure?: (err: StringLengthOverflow | MemoryBudgetExceeded) => void): void {
  if (bounded) (globalThis as { Uint8Array: unknown }).Uint8Array = bounded;
  armed = true;
  onFailure = failure;
  budget = limit;
  allocated = 0;
  exceeded = false;
}

/** Stops counting; returns the bytes allocated since arming. */
export function disarmAllocationGuard(): number {
  if (native) (globalThis as { Uint8Array: unknown }).Uint8Array = native;
  armed = false;
  onFailure = undefined;
  return allocated;
}

/**
 * Defines the bounded subclass of `Uint8Array` and makes it the global one until the first
 * disarm; call it before fengari is loaded, so that fengari's load-time `Uint8Array.from.bind`
 * binds the bounded `from`. Afterwards the bounded class is the global one only while armed:
 * the per-run prelude (hundreds of small arrays) runs at native speed.
 * Views on an existing buffer (`new Uint8Array(buffer, off, len)`, subarray) allocate nothing.
 */
export function installAllocationGuard(): void {
  if (native) return;
  const Native = globalThis.Uint8Array;
  native = Native;
  class BoundedUint8Array extends Native {
    constructor(a?: unknown, b?: number, c?: number) {
      if (armed) {
        if (typeof a === 'number') account(a);
        else if (a !== null && typeof a === 'object' && !(a instanceof ArrayBuffer) && !(a instanceof SharedArrayBuffer)) {
          const len = (a as { length?: unknown }).length;
          if (typeof len === 'number') account(len);
        }
      }
      super(a as ArrayBuffer, b, c);
    }
    /** Arrays made while disarmed (by the native class) are byte strings to fengari too. */
    static override [Symbol.hasInstance](v: unknown): boolean {
      return v instanceof Native;
    }
  }
  // fengari copies strings with `Uint8Array.from(bytes)`; on a subclass V8 takes the generic
  // iterator path (measured: a fengari run 4× slower), so copy with `set`.
  const nativeFrom = Native.from.bind(BoundedUint8Array) as (...args: unknown[]) => Uint8Array;
  Object.defineProperty(BoundedUint8Array, 'from', {
    value: function from(src: unknown, ...rest: unknown[]): Uint8Array {
      const len = rest.length === 0 && src !== null && typeof src === 'object' ? (src as { length?: unknown }).length : undefined;
      if (typeof len !== 'number') return nativeFrom(src, ...rest);
      const out = new BoundedUint8Array(len);
      out.set(src as ArrayLike<number>);
      return out;
    },
  });
  bounded = BoundedUint8Array;
  (globalThis as { Uint8Array: unknown }).Uint8Array = BoundedUint8Array;
}
