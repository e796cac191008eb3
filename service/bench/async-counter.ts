/**
 * Preloaded into a service process by `classifier-promises.ts` (`-r async-counter.ts`): counts the
 * async resources the process creates, by type (PROMISE, Immediate, TickObject, Timeout...), through
 * an async_hooks `init` hook. The first SIGUSR2 starts counting; the second stops and writes the
 * counts as JSON to `ASYNC_COUNTER_FILE`. The hook slows every promise, so the counts are exact but
 * the process's speed under it means nothing.
 */
import { createHook } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';

const FILE = process.env.ASYNC_COUNTER_FILE;

if (FILE) {
  const counts: Record<string, number> = {};
  const hook = createHook({
    init(_id, type) {
      counts[type] = (counts[type] ?? 0) + 1;
    },
  });
  let counting = false;
  process.on('SIGUSR2', () => {
    if (!counting) {
      counting = true;
      hook.enable();
      return;
    }
    hook.disable();
    writeFileSync(FILE, JSON.stringify(counts));
  });
}
