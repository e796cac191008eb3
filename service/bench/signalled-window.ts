import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceProcess } from '../../test/support/service-process';
import { closedLoop, CONNECTIONS } from './closed-loop';
import { classifierBody } from './requests';

/**
 * One window of classifier load between two SIGUSR2s to a service whose preload starts recording on
 * the first and writes `file` on the second (heap-sampler.ts, async-counter.ts). Resolves with the
 * requests answered in the window and the file's text.
 */
export async function signalledWindow(
  svc: ServiceProcess,
  file: string,
  seconds: number,
  body = classifierBody,
): Promise<{ requests: number; text: string }> {
  svc.child.kill('SIGUSR2');
  await sleep(200);
  const run = await closedLoop(svc.url, body, CONNECTIONS, seconds);
  // The recording covers the 200 ms settle times too; nothing but these requests runs in them.
  svc.child.kill('SIGUSR2');
  for (let waited = 0; !existsSync(file); waited += 100) {
    if (waited > 30_000) throw new Error(`the service wrote no ${file}`);
    await sleep(100);
  }
  await sleep(200);
  return { requests: run.requests, text: readFileSync(file, 'utf8') };
}
