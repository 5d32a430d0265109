/**
 * An evaluation worker for the pool's and the server's tests (EvaluationPoolOptions.workerUrl):
 * the real worker loop with a judge that misbehaves on request, by object name, so the budgets
 * are tested without depending on which input the validator happens to be slow on:
 *   spin   loops forever (a Lua pattern or handler escaping the emulator's budget)
 *   hog    allocates on the V8 heap until the heap cap stops it
 *   bloat  allocates outside the heap (Buffers) up to 1 GiB, then spins
 *   facts  reports the facts it holds: `services=N`
 * anything else: no findings, at once (the warm-up too).
 */
import type { Diagnostic } from '../diagnostics.js';
import { serveEvaluations, workerSettings } from './eval-worker.js';

const finding = (message: string): Diagnostic[] => [{ rule: 'MW000', severity: 'error', message, path: '', object: { kind: 'Test', name: 'facts' } }];

if (workerSettings()?.entry === import.meta.url) {
  await serveEvaluations((object, ctx) => {
    const name = (object.metadata as { name?: string } | undefined)?.name;
    if (name === 'spin') for (;;);
    if (name === 'hog') {
      const keep: unknown[] = [];
      for (;;) keep.push({ a: [1, 2, 3], b: 'x'.repeat(64) + keep.length });
    }
    if (name === 'bloat') {
      const keep: Buffer[] = [];
      for (let i = 0; i < 64; i++) keep.push(Buffer.alloc(16 * 1024 * 1024, 1));
      for (;;);
    }
    if (name === 'facts') return finding(`services=${ctx.services.length}`);
    return [];
  });
}
